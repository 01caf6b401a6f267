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
  },
});
