import { defineConfig } from 'vitest/config';

// Three groups of test files (vitest projects):
// - `main`: everything else, in 3 forks that each run many files without re-importing the module
//   graph (isolate: false). Most files wait on servers, child processes and windows, so 3 forks on
//   a 2-core CI machine keep both cores busy; the import phase drops from ~130 s to ~30 s.
// - `isolated`: files that need a process of their own: those that replace a module with vi.mock
//   (a fresh module graph), and the command-agent loop test, which failed in 2 of 5 shared-fork runs
//   (an iteration never scored; never seen in its own process) while the cause is not found.
// - `timing`: files whose assertions compare a measurement with an independent clock (the client's
//   timing canary vs a server's write log, open-loop send times, loop confirm's host-clock
//   evidence); they run one at a time after the others (sequence.groupOrder), as their benches do,
//   so another file's burst on the same cores is not in the figure they check.
const isolated = ['test/power/processes.test.ts', 'test/loop/command-agent.test.ts'];
const timing = ['test/replay/timing-canary.test.ts', 'test/replay/open-loop.test.ts', 'test/loop/confirm.test.ts'];
const include = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers and child processes; 2-core CI machines need headroom.
    pool: 'forks',
    globalSetup: ['test/setup/built-cli.ts', 'test/setup/sandbox-report.ts'],
    projects: [
      { extends: true, test: { name: 'main', include, exclude: [...isolated, ...timing], isolate: false, maxWorkers: 3 } },
      { extends: true, test: { name: 'isolated', include: isolated, isolate: true, maxWorkers: 3 } },
      { extends: true, test: { name: 'timing', include: timing, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
