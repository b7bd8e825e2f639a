/** mergeWorkerRuns (pure): disjoint lanes concatenated and judged once; timing evidence never averaged. */
import { describe, expect, it } from 'vitest';
import { evaluateLevel, runLevel, type LevelConfig, type LevelRun, type TokenModel } from '../../src/replay/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { mergeWorkerRuns, worstCanary } from '../../src/workers/index.js';
import { fakeSend, VirtualTime } from '../replay/helpers.js';

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const traj = (id: string, n: number): Trajectory => ({
  format: 'agentdyno.trajectory.v1',
  id,
  source: { kind: 'synthetic' },
  agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: Array.from({ length: n }, (_, i) => [{ type: 'llm' as const, input_tokens: 200 + i * 100, output_tokens: 40 }, { type: 'tool' as const, name: 'bash', duration_ms: 300 }]).flat() }],
});
const cfg = (lanes: number[]): LevelConfig => ({ concurrency: 4, lanes, warmupS: 1, windowS: 5, drainCapS: 1, warmupCapS: 30, lane: { seed: 7, trajectories: [traj('a', 4), traj('b', 6)], tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: null, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 100 } });
const tiers = [{ sloTokPerS: 20, ttftCeilingMs: 1000 }];
const slo = { callPassFraction: 0.9, agentPassFraction: 0.95 };

async function part(lanes: number[]): Promise<LevelRun> {
  const vt = new VirtualTime();
  const { send } = fakeSend(vt, { ttftMs: 40, itlMs: 10 });
  return vt.run(runLevel(cfg(lanes), { clock: vt.clock, sleep: vt.sleep, send }));
}
const sat = (elu: number, delay: number) => ({ eventLoopUtilization: elu, eventLoopDelayP99Ms: delay, eventLoopDelayMaxMs: delay * 2, processCpuCores: 0.5, cores: 2 });

describe('mergeWorkerRuns', () => {
  it('concatenates disjoint lanes, keeps N, takes the worst canary and saturation, and names the worker that breaks the gate', async () => {
    const a = { ...(await part([0, 2])), canary: { samples: 100, p50Ms: 1, p99Ms: 2, maxMs: 3 }, saturation: sat(0.2, 50) };
    const b = { ...(await part([1, 3])), canary: { samples: 100, p50Ms: 10, p99Ms: 150, maxMs: 200 }, saturation: sat(0.6, 10) };
    const command = { openNs: a.windowStartNs, closeNs: a.windowEndNs, warmupCompleted: true, lanesWithFullCycle: 4 };
    const run = mergeWorkerRuns({ cfg: { ...cfg([]), lanes: undefined }, laneIds: [0, 1, 2, 3], runs: [{ id: 'w0', run: a }, { id: 'w1', run: b }], command, shares: new Map([['w0', 2], ['w1', 2]]), faults: [], interrupted: false, startNs: a.startNs });
    expect(run.concurrency).toBe(4);
    expect(run.records).toHaveLength(a.records.length + b.records.length);
    expect(new Set(run.records.filter((r) => r.worker === 'w1').map((r) => r.lane))).toEqual(new Set([1, 3]));
    expect(run.canary!.p99Ms).toBe(150);
    expect(run.saturation).toMatchObject({ eventLoopUtilization: 0.6, eventLoopDelayP99Ms: 50 });
    expect(run.windowStartNs).toBe(command.openNs);
    const r = evaluateLevel(run, tiers, slo, DEFAULT_VALIDITY);
    // 150 ms > 10% of the 1000 ms TTFT ceiling: the tier is invalid, and w1 (not w0) is named.
    expect(r.tiers[0].valid).toBe(false);
    expect(r.tiers[0].reasons.join(' ')).toMatch(/worker w1 \(2 lanes\): its timing canary read lag p99 150\.0 ms exceeds the gate 100\.0 ms/);
    expect(r.tiers[0].reasons.join(' ')).not.toMatch(/worker w0/);
    expect(r.workers!.map((w) => w.calls)).toEqual([a.records.length, b.records.length]);
  });

  it('a lost worker: its lanes stay in N with no calls, its canary counts as not run, and the fault is the level\'s first reason', async () => {
    const a = { ...(await part([0, 2])), canary: { samples: 100, p50Ms: 1, p99Ms: 2, maxMs: 3 } };
    const run = mergeWorkerRuns({ cfg: { ...cfg([]), lanes: undefined }, laneIds: [0, 1, 2, 3], runs: [{ id: 'w0', run: a }], command: null, shares: new Map([['w0', 2], ['w1', 2]]), faults: ['worker w1 was lost'], interrupted: false, startNs: a.startNs });
    expect(run.lanes).toEqual([0, 1, 2, 3]);
    expect(run.canary).toBeNull();
    const r = evaluateLevel(run, tiers, slo, DEFAULT_VALIDITY);
    expect(r.valid).toBe(false);
    expect(r.reasons[0]).toBe('worker w1 was lost');
    expect(r.fatal).toBe('worker w1 was lost');
  });

  it('worstCanary: undefined when none ran, null when any could not start, else the highest p99', () => {
    const c = (p99Ms: number) => ({ samples: 10, p50Ms: 1, p99Ms, maxMs: p99Ms });
    expect(worstCanary([undefined, undefined])).toBeUndefined();
    expect(worstCanary([c(1), null])).toBeNull();
    expect(worstCanary([c(1), { samples: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }])).toBeNull();
    expect(worstCanary([c(1), c(7), c(3)])!.p99Ms).toBe(7);
  });
});
