/**
 * One lane program, two drivers (issue 12): replay's HTTP lanes (here on virtual time against a
 * fake endpoint) and the planner's virtual-time lanes (over the sim engine) run the same
 * trajectories with the same seed and make the same calls in the same order. Call timings differ
 * (different servers), so parallel sub-agents may interleave differently across agents; each
 * agent's own sequence, each lane's sequence of trees, and (for trees without parallel agents)
 * the lane's whole ordered call sequence must match.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/sim/index.js';
import { planLevel } from '../../src/plan/index.js';
import { runLevel, type LevelConfig, type TokenModel } from '../../src/replay/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { bundledTrajectories } from '../sim/helpers.js';
import { fakeSend, VirtualTime } from '../replay/helpers.js';

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const profile = loadProfile('small');
const TIERS = [{ sloTokPerS: 20, ttftCeilingMs: 10_000 }];

interface Call {
  lane: number;
  tree: string;
  agent: string;
  step: number;
  warmup: boolean;
}

async function replayCalls(trajectories: Trajectory[], n: number, seed: number, windowS: number): Promise<Call[]> {
  const vt = new VirtualTime();
  const { send } = fakeSend(vt, { ttftMs: 80, itlMs: 5 });
  const cfg: LevelConfig = {
    concurrency: n,
    warmupS: 5,
    windowS,
    drainCapS: 5,
    warmupCapS: 600,
    lane: { seed, trajectories, tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: 10_000, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 250 },
  };
  const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send }));
  // Dispatch order: by scheduled time, then (for ties) the order calls were sent.
  return [...run.records]
    .sort((a, b) => (a.result.tSendNs < b.result.tSendNs ? -1 : a.result.tSendNs > b.result.tSendNs ? 1 : 0))
    .map((r) => ({ lane: r.lane, tree: `${r.trajectoryId}#${r.cycle}`, agent: r.agentId, step: r.step, warmup: r.warmup }));
}

function planCalls(trajectories: Trajectory[], n: number, seed: number, windowS: number): Call[] {
  const r = planLevel(profile, trajectories, { concurrency: n, warmupS: 5, windowS, drainCapS: 5, toolTimeScale: 1, maxIdleGapMs: 10_000, seed, tiers: TIERS, keepRequests: true });
  return [...r.requests!]
    .sort((a, b) => (a.tSendNs < b.tSendNs ? -1 : a.tSendNs > b.tSendNs ? 1 : 0))
    .map((q) => {
      const m = /^(.*)\/([^/]*)#(\d+)( \(warm-up\))?$/.exec(q.agent)!;
      return { lane: q.lane, tree: `${m[1]}#${m[3]}`, agent: m[2], step: q.step, warmup: !!m[4] };
    });
}

const group = (calls: Call[], key: (c: Call) => string) => {
  const m = new Map<string, string[]>();
  for (const c of calls) m.set(key(c), [...(m.get(key(c)) ?? []), `${c.step}${c.warmup ? 'w' : ''}`]);
  return m;
};

/** Every sequence of `a` and `b` under the same key agrees as far as both ran. */
function expectPrefixAgreement(a: Map<string, string[]>, b: Map<string, string[]>): number {
  let compared = 0;
  for (const [k, xs] of a) {
    const ys = b.get(k);
    if (!ys) continue;
    const len = Math.min(xs.length, ys.length);
    expect(xs.slice(0, len), k).toEqual(ys.slice(0, len));
    compared += len;
  }
  return compared;
}

describe('lane program conformance: replay (HTTP driver) vs planner (virtual-time driver)', () => {
  it('bundled trajectories (spawns, joins, background agents): same trees per lane and the same calls per agent, in order', { timeout: 120_000 }, async () => {
    const trajectories = bundledTrajectories();
    const [r, p] = [await replayCalls(trajectories, 4, 11, 40), planCalls(trajectories, 4, 11, 120)];
    const trees = (cs: Call[]) => group(cs, (c) => String(c.lane)).size;
    expect(trees(r)).toBe(4);
    // Trees per lane, in order.
    const treeSeq = (cs: Call[]) => {
      const m = new Map<string, string[]>();
      for (const c of cs) {
        const xs = m.get(String(c.lane)) ?? [];
        if (xs[xs.length - 1] !== c.tree) xs.push(c.tree);
        m.set(String(c.lane), xs);
      }
      return m;
    };
    expect(expectPrefixAgreement(treeSeq(r), treeSeq(p))).toBeGreaterThanOrEqual(4);
    const perAgent = (cs: Call[]) => group(cs, (c) => `${c.lane}/${c.tree}/${c.agent}`);
    expect(expectPrefixAgreement(perAgent(r), perAgent(p))).toBeGreaterThan(30);
  });

  it('trees without parallel agents: the lane\'s whole ordered call sequence is the same', async () => {
    const linear = bundledTrajectories().filter((t) => t.agents.length === 1);
    expect(linear.length).toBeGreaterThan(3);
    const [r, p] = [await replayCalls(linear, 4, 5, 60), planCalls(linear, 4, 5, 120)];
    const perLane = (cs: Call[]) => group(cs, (c) => String(c.lane));
    const perLaneFull = (cs: Call[]) => new Map([...group(cs, (c) => String(c.lane)).keys()].map((k) => [k, cs.filter((c) => String(c.lane) === k).map((c) => `${c.tree}:${c.agent}:${c.step}${c.warmup ? 'w' : ''}`)]));
    expect(perLane(r).size).toBe(4);
    expect(expectPrefixAgreement(perLaneFull(r), perLaneFull(p))).toBeGreaterThan(20);
    // The first call of each lane is its warm-up or its start turn, the same in both.
    for (const lane of [0, 1, 2, 3]) expect(r.find((c) => c.lane === lane)).toEqual(p.find((c) => c.lane === lane));
  });
});
