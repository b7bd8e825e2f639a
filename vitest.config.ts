import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers and child processes; 2-core CI machines need headroom.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/setup/built-cli.ts', 'test/setup/sandbox-report.ts'],
  },
});
