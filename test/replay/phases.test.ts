/** The phase rules in one place (replay/phases.ts): the director over several workers, and runLevel under a controller. */
import { describe, expect, it } from 'vitest';
import { PhaseDirector, runLevel, type LevelConfig, type PhaseController, type PhaseProgress, type TokenModel, type WindowCommand } from '../../src/replay/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { fakeSend, VirtualTime } from './helpers.js';

const S = 1_000_000_000n;
const times = { warmupS: 2, windowS: 10, drainCapS: 5, warmupCapS: 60 };
const p = (lanes: number, warmed: number, fullCall: number, windowCallsOpen = 0, draining = false): PhaseProgress => ({ lanes, warmed, fullCall, windowCallsOpen, draining });

describe('PhaseDirector', () => {
  it('opens the window warmupS after half of ALL lanes (not of one worker) finished a full call', () => {
    const d = new PhaseDirector(times, ['a', 'b'], 0n);
    d.report('a', p(5, 5, 5));
    // b has not reported: the level's totals are unknown, so nothing is decided.
    expect(d.step(1n * S).kind).toBe('wait');
    d.report('b', p(5, 5, 0));
    // 5 of 10 lanes finished a full call: steady (ceil(0.5 * 10) = 5).
    const s = d.step(3n * S);
    expect(s).toEqual({ kind: 'window', command: { openNs: 5n * S, closeNs: 15n * S, warmupCompleted: true, lanesWithFullCycle: 5 } });
  });

  it('4 of 10 is not steady; the warm-up cap opens it anyway, marked', () => {
    const d = new PhaseDirector(times, ['a', 'b'], 0n);
    d.report('a', p(5, 4, 4));
    d.report('b', p(5, 5, 0));
    expect(d.step(10n * S)).toEqual({ kind: 'wait', recheckNs: 60n * S });
    const s = d.step(60n * S);
    expect(s.kind === 'window' && s.command).toEqual({ openNs: 62n * S, closeNs: 72n * S, warmupCompleted: false, lanesWithFullCycle: 4 });
  });

  it('cuts when every worker drained its window calls, or at the drain cap', () => {
    const d = new PhaseDirector(times, ['a', 'b'], 0n);
    d.report('a', p(2, 2, 2));
    d.report('b', p(2, 2, 2));
    expect(d.step(1n * S).kind).toBe('window');
    // Window 3..13 s; no worker has reported its drain yet: wait, at most until the drain cap (13 + 5 s).
    expect(d.step(14n * S)).toEqual({ kind: 'wait', recheckNs: 18n * S });
    d.report('a', p(2, 2, 2, 0, true));
    d.report('b', p(2, 2, 2, 3, true));
    expect(d.step(14n * S).kind).toBe('wait');
    d.report('b', p(2, 2, 2, 0, true));
    expect(d.step(15n * S)).toEqual({ kind: 'cut', atNs: 15n * S });
    // Another director whose worker never drains: cut at close + drainCapS.
    const e = new PhaseDirector(times, ['a'], 0n);
    e.report('a', p(2, 2, 2));
    e.step(1n * S);
    e.report('a', p(2, 2, 2, 1, true));
    expect(e.step(17n * S).kind).toBe('wait');
    expect(e.step(18n * S)).toEqual({ kind: 'cut', atNs: 18n * S });
  });
});

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const traj = (id: string, n: number): Trajectory => ({
  format: 'agentdyno.trajectory.v1',
  id,
  source: { kind: 'synthetic' },
  agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: Array.from({ length: n }, (_, i) => [{ type: 'llm' as const, input_tokens: 200 + i * 100, output_tokens: 40 }, { type: 'tool' as const, name: 'bash', duration_ms: 300 }]).flat() }],
});
const cfg: LevelConfig = {
  concurrency: 4,
  warmupS: 1,
  windowS: 5,
  drainCapS: 1,
  warmupCapS: 30,
  lane: { seed: 7, trajectories: [traj('a', 4), traj('b', 6)], tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: null, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 100 },
};

describe('runLevel under a PhaseController', () => {
  it('reports progress and uses the commanded window and cut instead of deciding them', async () => {
    const vt = new VirtualTime();
    const { send } = fakeSend(vt, { ttftMs: 40, itlMs: 10 });
    const reports: PhaseProgress[] = [];
    let openWindow!: (c: WindowCommand) => void;
    let cut!: (ns: bigint) => void;
    const t0 = vt.clock.nowNs();
    const ctl: PhaseController = {
      progress: (x) => {
        reports.push(x);
        // The coordinator's rule over this single worker: open 3 s after it had 2 lanes with a full call, 4 s long.
        if (x.fullCall >= 2 && !reports.some((r, i) => i < reports.length - 1 && r.fullCall >= 2)) openWindow({ openNs: vt.clock.nowNs() + 3n * S, closeNs: vt.clock.nowNs() + 7n * S, warmupCompleted: true, lanesWithFullCycle: 2 });
        if (x.draining && x.windowCallsOpen === 0) cut(vt.clock.nowNs());
      },
      window: () => new Promise((r) => (openWindow = r)),
      cut: () => new Promise((r) => (cut = r)),
    };
    const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send, phases: ctl }));
    expect(reports[0]).toEqual({ lanes: 4, warmed: 0, fullCall: 0, windowCallsOpen: 0, draining: false });
    expect(reports.some((r) => r.warmed === 4)).toBe(true);
    expect(Number(run.windowEndNs - run.windowStartNs) / 1e9).toBe(4);
    expect(run.windowStartNs > t0).toBe(true);
    expect(reports.at(-1)!.draining).toBe(true);
    expect(run.records.filter((r) => !r.warmup && r.tSchedNs >= run.windowStartNs).length).toBeGreaterThan(0);
    expect(run.cutNs >= run.windowEndNs).toBe(true);
  });
});
