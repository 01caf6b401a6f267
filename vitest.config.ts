import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One migrated database per run, copied for each test file: see test/support/database-template.ts.
    globalSetup: ['test/support/database-template.ts'],
    include: ['test/**/*.test.ts'],
    // Fault tests crash processes and restart PostgreSQL: `npm run test:faults` runs them alone.
    exclude: ['test/faults/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Each worker process runs file after file instead of one process per file, so the service's
    // modules load once per worker. Files share no state through them (src/ keeps none at module
    // level), and each still gets its own database.
    isolate: false,
  },
});
