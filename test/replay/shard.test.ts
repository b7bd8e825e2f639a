/** Scale-out support in replay: a level running only a shard's global lanes, and the --start-at gate. */
import { describe, expect, it } from 'vitest';
import { runLevel, shardLanes, waitForStart, type LevelConfig, type TokenModel } from '../../src/replay/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { fakeSend, VirtualTime } from './helpers.js';

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const traj = (id: string, n: number): Trajectory => ({
  format: 'agentdyno.trajectory.v1',
  id,
  source: { kind: 'synthetic' },
  agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: Array.from({ length: n }, (_, i) => [{ type: 'llm' as const, input_tokens: 200 + i * 100, output_tokens: 40 }, { type: 'tool' as const, name: 'bash', duration_ms: 300 }]).flat() }],
});
const cfg = (lanes?: number[]): LevelConfig => ({
  concurrency: 6,
  ...(lanes ? { lanes } : {}),
  warmupS: 1,
  windowS: 5,
  drainCapS: 1,
  warmupCapS: 30,
  lane: { seed: 7, trajectories: [traj('a', 4), traj('b', 6), traj('c', 8)], tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: null, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 100 },
});

async function runIt(lanes?: number[]) {
  const vt = new VirtualTime();
  const { send, sent } = fakeSend(vt, { ttftMs: 40, itlMs: 10 });
  const run = await vt.run(runLevel(cfg(lanes), { clock: vt.clock, sleep: vt.sleep, send }));
  return { run, sent };
}

describe('sharded level', () => {
  it('shardLanes splits 0..N-1 into disjoint i % K == I sets', () => {
    expect(shardLanes(7, 0, 3)).toEqual([0, 3, 6]);
    expect(shardLanes(7, 2, 3)).toEqual([2, 5]);
    const all = [0, 1, 2].flatMap((i) => shardLanes(7, i, 3)).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('runs only the shard\'s global lanes, each doing what it does in the full N-lane run', async () => {
    const full = await runIt();
    const shard = await runIt([1, 4]);
    expect(shard.run.concurrency).toBe(2);
    expect(shard.run.concurrencyTotal).toBe(6);
    expect(shard.run.lanes).toEqual([1, 4]);
    expect(new Set(shard.run.records.map((r) => r.lane))).toEqual(new Set([1, 4]));
    // Every level lists its lanes now (the judge counts silent lanes); only a shard has a total beside it.
    expect(full.run.lanes).toEqual([0, 1, 2, 3, 4, 5]);
    expect(full.run.concurrencyTotal).toBeUndefined();
    // Same seed and global index: same trajectories, start turns and cache-bust markers (the fake endpoint has no contention).
    const seq = (recs: typeof full.run.records, lane: number) => recs.filter((r) => r.lane === lane).slice(0, 6).map((r) => `${r.trajectoryId}/${r.step}/${r.cycle}/${r.warmup}`);
    for (const lane of [1, 4]) expect(seq(shard.run.records, lane)).toEqual(seq(full.run.records, lane));
    // Cache-bust markers come right after the system prompt: every head the shard sent, the full run sent too.
    const heads = (s: typeof full.sent) => new Set(s.map((x) => JSON.stringify(x.req.messages?.slice(0, 2))));
    const fullHeads = heads(full.sent);
    expect(heads(shard.sent).size).toBeGreaterThan(1);
    for (const h of heads(shard.sent)) expect(fullHeads.has(h)).toBe(true);
  });
});

describe('waitForStart', () => {
  it('sleeps until the start time, returns at once when it is now, refuses when too late', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    await waitForStart(10_000, { nowMs: () => 7_500, sleep });
    expect(slept).toEqual([2500]);
    await waitForStart(10_000, { nowMs: () => 12_000, sleep });
    expect(slept).toEqual([2500]);
    await expect(waitForStart(10_000, { nowMs: () => 16_000, sleep })).rejects.toThrow(/passed 6\.0 s before this shard was ready/);
  });
});
