import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Inert unless GAITFORGE_LOOP_REPORT is set: then it records event-loop blocks (docs/testing.md).
    setupFiles: ['test/setup/loop-monitor.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
