/** The dashboard's suite and budget-bench views (ink-testing-library), their plain lines, and their Prometheus series. */
import { PassThrough } from 'node:stream';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { DashboardApp, FeedSink, PrometheusFeed, runDashboard, type DashboardSource, type FeedEvent, type ProgressEvent } from '../../src/ui/index.js';

const T0 = Date.parse('2026-12-02T01:00:00Z');

/** Feed events as a run writes them, `time` stepping 1 s per event from T0. */
function feed(events: ProgressEvent[]): FeedEvent[] {
  const out: FeedEvent[] = [];
  const sink = new FeedSink((e) => out.push(e), { intervalMs: 0 });
  for (const e of events) sink.emit(e);
  return out.map((e, i) => ({ ...e, time: new Date(T0 + i * 1000).toISOString() }));
}

const source = (kind: string, status: string, events: FeedEvent[]): DashboardSource => ({ runs: () => [{ id: events[0].runId!, kind, status }], events: (_id, after) => events.filter((e) => e.seq > after) });

const suite: ProgressEvent[] = [
  { type: 'run-start', runId: 'suite-a', title: 'agentdyno suite run tasks/', target: 'agent search', simulated: false, kind: 'suite', total: 3 },
  { type: 'task-start', taskId: 'system/compress-tune', loopRunId: 'loop-1' },
  { type: 'task-start', taskId: 'puzzle/collatz-c', loopRunId: 'loop-2' },
  { type: 'task-iteration', taskId: 'system/compress-tune', iteration: 1, status: 'ok', normalizedScore: 0.42, improved: true, tokens: 120 },
  { type: 'task-iteration', taskId: 'system/compress-tune', iteration: 2, status: 'ok', normalizedScore: 0.9, improved: false, tokens: 80 },
  { type: 'task-end', taskId: 'system/compress-tune', loopRunId: 'loop-1', ok: true, success: true, normalizedScore: 0.42, iterations: 2, stopReason: 'iterations', wallS: 3.5, error: null },
  { type: 'task-end', taskId: 'kernel/bad', loopRunId: null, ok: false, success: null, normalizedScore: null, iterations: null, stopReason: null, wallS: null, error: 'task is malformed' },
  { type: 'task-iteration', taskId: 'puzzle/collatz-c', iteration: 1, status: 'ok', normalizedScore: 0.1, improved: true, tokens: 0 },
];

const bench: ProgressEvent[] = [
  { type: 'run-start', runId: 'budget-a', title: 'agentdyno budget bench', target: 'sim (in-process worker threads)', simulated: true, kind: 'budget-bench', total: 3 },
  { type: 'policy-start', policy: 'naive', index: 0, trials: 50 },
  { type: 'policy-tick', policy: 'naive', trialsDone: 20, trials: 50, violations: 7 },
  { type: 'policy-end', policy: 'naive', trials: 50, violations: 31, serverFaultViolations: 2, maxOvershootPct: 84.5, p95OvershootPct: 60.2, overProvisioning: null, completion: 1 },
  { type: 'policy-start', policy: 'affine', index: 1, trials: 50 },
  { type: 'policy-tick', policy: 'affine', trialsDone: 25, trials: 50, violations: 0 },
];

const wait = (ms = 20) => new Promise((r) => setTimeout(r, ms));
async function frameWith(lastFrame: () => string | undefined, text: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const f = lastFrame() ?? '';
    if (f.includes(text)) return f;
    await wait();
  }
  return lastFrame() ?? '';
}
function fits(f: string) {
  const lines = f.split('\n');
  expect(lines.length).toBeLessThanOrEqual(24);
  for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
}

describe('dashboard: suite view', () => {
  it('task progress, per-task status, score, iterations and elapsed, in 80x24', async () => {
    const evs = feed(suite);
    // The wall clock is 4 s past the last event: a running suite's elapsed runs on between events.
    const { lastFrame, unmount } = render(<DashboardApp source={source('suite', 'running', evs)} opts={{ intervalMs: 30, width: 80, nowMs: () => T0 + 11_000 }} />);
    const f = await frameWith(lastFrame, 'collatz');
    unmount();
    fits(f);
    expect(f.split('\n')[0]).toMatch(/^agentdyno suite run tasks\/ suite-a\s+running\s+run 1\/1$/);
    expect(f).not.toContain('SIMULATED');
    expect(f).toContain('tasks 2/3 done');
    expect(f).toContain('1 running  elapsed 11 s');
    expect(f).toContain('succeeded 1  missed 0  failed 1');
    // The best score moves only on an accepted improvement (0.9 was not one); the result once ended.
    expect(f).toMatch(/system\/compress-tune\s+success\s+2\s+0\.420\s+200\s+3\.5\s+iterations/);
    expect(f).not.toContain('0.900');
    expect(f).toMatch(/kernel\/bad\s+failed\s+0\s+-\s+0\s+-\s+task is malfor/);
    // Running: its own elapsed from its task-start (event 3 at T0+2 s) to the wall clock.
    expect(f).toMatch(/puzzle\/collatz-c\s+running\s+1\s+0\.100\s+0\s+9\.0/);
  });

  it('a long title gives way so the header stays one line', async () => {
    const evs = feed([{ ...suite[0], title: `agentdyno suite run ${'very/long/folder/'.repeat(6)}` } as ProgressEvent, ...suite.slice(1)]);
    const { lastFrame, unmount } = render(<DashboardApp source={source('suite', 'running', evs)} opts={{ intervalMs: 30, width: 80, nowMs: () => T0 }} />);
    const f = await frameWith(lastFrame, 'collatz');
    unmount();
    expect(f.split('\n')[0]).toMatch(/^agentdyno suite run very\/long.*… suite-a\s+running\s+run 1\/1$/);
    expect(f.split('\n')[1]).toMatch(/^tasks 2\/3 done/);
  });

  it('an ended suite measures elapsed to its last event; plain lines off a TTY', async () => {
    const evs = feed([...suite, { type: 'run-end', runId: 'suite-a', status: 'completed' }]);
    const { lastFrame, unmount } = render(<DashboardApp source={source('suite', 'completed', evs)} opts={{ intervalMs: 30, width: 80, nowMs: () => T0 + 99_000 }} />);
    const f = await frameWith(lastFrame, 'completed');
    unmount();
    expect(f).toContain('elapsed 8 s');
    const out = new PassThrough();
    let printed = '';
    out.on('data', (b: Buffer) => (printed += b.toString()));
    await runDashboard(source('suite', 'completed', evs), { stdout: out as unknown as NodeJS.WriteStream, intervalMs: 10 });
    expect(printed).toContain('task system/compress-tune: started (loop run loop-1)');
    expect(printed).toContain('task done: system/compress-tune success, normalized 0.420, 2 iterations, 3.5 s, stop iterations');
    expect(printed).toContain('task FAILED: kernel/bad: task is malformed');
    expect(printed).toContain('run suite-a completed');
  });
});

describe('dashboard: budget bench view', () => {
  it('policy progress and violations, SIMULATED, in 80x24', async () => {
    const { lastFrame, unmount } = render(<DashboardApp source={source('budget-bench', 'running', feed(bench))} opts={{ intervalMs: 30, width: 80, nowMs: () => T0 + 7_000 }} />);
    const f = await frameWith(lastFrame, 'affine');
    unmount();
    fits(f);
    expect(f).toContain('SIMULATED');
    expect(f).toContain('policies 1/3 done');
    expect(f).toContain('now affine  elapsed 7 s');
    expect(f).toMatch(/naive\s+█{10}\s+50\/50\s+31\s+2\s+84\.5%\s+60\.2%\s+-\s+100\.0%/);
    expect(f).toMatch(/affine\s+█{5}░{5}\s+25\/50\s+0\s+-/);
  });

  it('plain lines off a TTY', async () => {
    const evs = feed([...bench, { type: 'run-end', runId: 'budget-a', status: 'completed' }]);
    const out = new PassThrough();
    let printed = '';
    out.on('data', (b: Buffer) => (printed += b.toString()));
    await runDashboard(source('budget-bench', 'completed', evs), { stdout: out as unknown as NodeJS.WriteStream, intervalMs: 10 });
    expect(printed).toContain('[SIMULATED]');
    expect(printed).toContain('policy 1: naive, 50 trials');
    expect(printed).toContain("policy done: naive 50 trials, 31 violations (2 the server's), max overshoot 84.5%, p95 60.2%, over-provisioning -, completion 100.0%");
  });
});

describe('Prometheus series of a suite and a bench', () => {
  it('tasks done by outcome, best accepted score, trials and violations per policy', async () => {
    const prom = new PrometheusFeed();
    for (const e of [...suite, ...bench.slice(1)]) prom.emit(e);
    const text = await prom.registry.metrics();
    expect(text).toContain('agentdyno_units_total 3');
    expect(text).toContain('agentdyno_tasks_done{outcome="success"} 1');
    expect(text).toContain('agentdyno_tasks_done{outcome="failed"} 1');
    expect(text).toContain('agentdyno_task_normalized_score{task="system/compress-tune"} 0.42');
    expect(text).toContain('agentdyno_task_normalized_score{task="puzzle/collatz-c"} 0.1');
    expect(text).toContain('agentdyno_policy_violations{policy="naive"} 31');
    expect(text).toContain('agentdyno_policy_trials_done{policy="affine"} 25');
    // A suite measures no levels: no level series at all.
    expect(text).not.toContain('agentdyno_level_concurrency');
  });
});
