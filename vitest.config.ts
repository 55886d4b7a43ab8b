import { defineConfig } from 'vitest/config';

// libchdb binds one data directory per process: forks give every test file its own process,
// and test/helpers/clickhouse.ts gives every process its own directory.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.kafka/**', 'data/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
