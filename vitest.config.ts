import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Three groups of test files (vitest projects):
// - `main`: everything else, in 3 forks that each run many files without re-importing the module
//   graph (isolate: false). Most files wait on servers, child processes and windows, so 3 forks on
//   a 2-core CI machine keep both cores busy; the import phase drops from ~130 s to ~30 s.
// - `isolated`: files that need a process of their own: those that replace a module with vi.mock
//   (a fresh module graph), the undici/native re-runs of the endpoint suites (they import other test
//   files, whose tests a shared fork that already ran them does not register again: 1 of 35 ran once),
//   and the command-agent loop test, which failed in 2 of 5 shared-fork runs
//   (an iteration never scored; never seen in its own process) while the cause is not found.
// - `timing`: files whose assertions compare a measurement with an independent clock (the client's
//   timing canary vs a server's write log, open-loop send times, loop confirm's host-clock
//   evidence); they run one at a time after the others (sequence.groupOrder), as their benches do,
//   so another file's burst on the same cores is not in the figure they check.
const isolated = ['test/power/processes.test.ts', 'test/loop/command-agent.test.ts', 'test/endpoint/undici-transport.test.ts', 'test/endpoint/native-transport.test.ts'];
const timing = ['test/replay/timing-canary.test.ts', 'test/replay/open-loop.test.ts', 'test/loop/confirm.test.ts'];
const include = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

// The longest files start first: in a fresh clone vitest has no timings and runs larger files first,
// which put these small files (the real agent CLIs, ~15-70 s each) at the end, as a tail of their own.
// Interleaved: a CPU-heavy agent, then a file that mostly waits.
const slowFirst = ['test/loop/codex-agent.test.ts', 'test/workers/redis.test.ts', 'test/loop/opencode-agent.test.ts', 'test/report/report.test.ts', 'test/loop/claude-code-agent.test.ts', 'test/scale/cli.test.ts'];
class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = slowFirst.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? slowFirst.length : i;
    };
    // Within each project (super.sort keeps groups and projects apart), the listed files first.
    const project = (f: TestSpecification) => `${f.project.config.sequence.groupOrder}\u0000${f.project.name}`;
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => (project(a.f) === project(b.f) ? rank(a.f) - rank(b.f) || a.i - b.i : a.i - b.i))
      .map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers and child processes; 2-core CI machines need headroom.
    pool: 'forks',
    globalSetup: ['test/setup/built-cli.ts', 'test/setup/sandbox-report.ts'],
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      { extends: true, test: { name: 'main', include, exclude: [...isolated, ...timing], isolate: false, maxWorkers: 3 } },
      { extends: true, test: { name: 'isolated', include: isolated, isolate: true, maxWorkers: 3 } },
      { extends: true, test: { name: 'timing', include: timing, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
