import { defineConfig } from 'vitest/config';

// Fault tests crash the service and restart PostgreSQL: they run one file at a time, alone.
export default defineConfig({
  test: {
    // One migrated database per run, copied for each test file: see test/support/database-template.ts.
    globalSetup: ['test/support/database-template.ts'],
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
