import { defineConfig } from 'vitest/config';
import { timeoutForStarts } from './test/support/service-process.ts';

// Fault tests crash the service and restart PostgreSQL: they run one file at a time, alone.
export default defineConfig({
  test: {
    // One migrated database per run, copied for each test file: see test/support/database-template.ts.
    globalSetup: ['test/support/database-template.ts'],
    include: ['test/faults/**/*.test.ts'],
    // Each test starts the service up to twice, each hook once; a minute more for the rest.
    testTimeout: timeoutForStarts(2) + 60_000,
    hookTimeout: timeoutForStarts(1),
    pool: 'forks',
    fileParallelism: false,
  },
});
