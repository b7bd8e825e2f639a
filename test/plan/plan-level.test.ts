/** planLevel: one concurrency level of simulated agents in virtual time (no sockets, no timers). */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/sim/index.js';
import { autoKvBlockTokens, EventQueue, planLevel, planningProfile, type PlanLevelOptions } from '../../src/plan/index.js';
import { bundledTrajectories, DEFAULT_TIERS } from '../sim/helpers.js';

const trajectories = bundledTrajectories();
const profile = loadProfile('small');
const tiers = DEFAULT_TIERS;
const base: Omit<PlanLevelOptions, 'concurrency'> = { warmupS: 20, windowS: 60, drainCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 3, tiers };

describe('EventQueue', () => {
  it('pops in time order, ties in insertion order', () => {
    const q = new EventQueue<string>();
    const times = [5, 1, 3, 1, 9, 0, 3, 7];
    times.forEach((t, i) => q.push(t, `${t}:${i}`));
    const out: string[] = [];
    while (q.size) out.push(q.pop()!.data);
    expect(out).toEqual(['0:5', '1:1', '1:3', '3:2', '3:6', '5:0', '7:7', '9:4']);
    expect(q.pop()).toBeUndefined();
    expect(q.peekMs()).toBe(Infinity);
  });
});

describe('planLevel (SIMULATED, virtual time)', () => {
  const at = (n: number, over: Partial<PlanLevelOptions> = {}) => planLevel(profile, trajectories, { ...base, concurrency: n, ...over });

  it('is deterministic for a seed and differs for another seed', () => {
    const a = at(12, { keepRequests: true });
    const b = at(12, { keepRequests: true });
    const strip = (r: typeof a) => ({ ...r, sim: null });
    expect(strip(b)).toEqual(strip(a));
    expect(a.requests!.length).toBeGreaterThan(20);
    const c = at(12, { seed: 4, keepRequests: true });
    expect(c.requests!.map((r) => r.promptTokens)).not.toEqual(a.requests!.map((r) => r.promptTokens));
  });

  it('labels itself simulated and judges every active agent', () => {
    const r = at(8);
    expect(r.simulated).toBe(true);
    expect(r.virtualTime).toBe(true);
    expect(r.power.simulated).toBe(true);
    expect(r.power.boundary).toMatch(/simulated/);
    expect(r.valid).toBe(true);
    expect(r.agentsActive).toBe(8);
    expect(r.tiers.map((t) => t.sloTokPerS)).toEqual([20, 60]);
    expect(r.errors).toEqual({});
    expect(r.prefixHitRate!).toBeGreaterThan(0.5); // agents' turns reuse their growing prefix
  });

  it('more agents: bigger batches, longer steps, slower decode, more power, lower pass rate', () => {
    const levels = [4, 16, 64].map((n) => at(n, { keepRequests: true }));
    const decode = levels.map((l) => {
      const d = l.requests!.filter((r) => r.inWindow && r.decodeTokPerS !== null).map((r) => r.decodeTokPerS!);
      return d.reduce((s, x) => s + x, 0) / d.length;
    });
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i].meanBatch!).toBeGreaterThan(levels[i - 1].meanBatch!);
      expect(levels[i].meanStepMs!).toBeGreaterThan(levels[i - 1].meanStepMs!);
      expect(decode[i]).toBeLessThan(decode[i - 1]);
      expect(levels[i].power.meanW).toBeGreaterThan(levels[i - 1].power.meanW);
      expect(levels[i].outputTokPerS).toBeGreaterThan(levels[i - 1].outputTokPerS);
      expect(levels[i].tiers[1].passRate!).toBeLessThanOrEqual(levels[i - 1].tiers[1].passRate!);
    }
    // Power stays inside the profile's envelope.
    for (const l of levels) {
      expect(l.power.meanW).toBeGreaterThanOrEqual(profile.power.idleW);
      expect(l.power.meanW).toBeLessThanOrEqual(profile.power.maxW);
    }
    expect(levels[0].tiers[1].pass).toBe(true);
    expect(levels[2].tiers[1].pass).toBe(false);
    // A single-stream decode matches the step model: about 1000 / (a + b + c*ctx) tok/s.
    expect(decode[0]).toBeGreaterThan(60);
    expect(decode[0]).toBeLessThan(1000 / profile.stepTimeMs.a);
  });

  it('replicas split the lanes: N agents on R replicas behave like N/R on one, with R x the power', () => {
    const one = at(8);
    const four = at(32, { replicas: 4 });
    expect(four.replicas).toBe(4);
    expect(four.meanBatch!).toBeLessThan(one.meanBatch! * 1.5);
    expect(four.meanBatch!).toBeGreaterThan(one.meanBatch! * 0.5);
    expect(four.power.meanW).toBeGreaterThan(3 * one.power.meanW);
    expect(four.power.meanW).toBeLessThan(5 * one.power.meanW);
  });

  it('sampled replicas run exactly as in the full simulation; the rest is scaled and labelled', () => {
    const full = at(26, { replicas: 4, keepRequests: true });
    const half = at(26, { replicas: 4, sampleReplicas: 2, keepRequests: true });
    expect(full.sample).toBeNull();
    expect(half.sample).toMatchObject({ replicas: 2, ofReplicas: 4, agents: 13, scaledBy: 2 });
    expect(half.sample!.note).toMatch(/ESTIMATE/);
    expect(half.power.boundary).toMatch(/2 simulated, scaled x2/);
    // Replicas 0 and 2 are simulated: lanes 0,2,4,6,... with exactly the same calls and timings.
    const key = (r: { lane: number; tSchedNs: bigint }) => `${r.lane}@${r.tSchedNs}`;
    const sortRows = <T extends { lane: number; tSchedNs: bigint }>(rows: T[]) => [...rows].sort((x, y) => (key(x) < key(y) ? -1 : 1));
    // The window opens when half the simulated lanes are steady, so the two levels end at different
    // times: compare the calls both had finished before the earlier window start.
    const limit = BigInt(Math.round(Math.min(full.windowStartS, half.windowStartS) * 1e9));
    const early = (r: { tSchedNs: bigint; status: string }) => r.tSchedNs < limit && r.status === 'ok';
    const fromFull = sortRows(full.requests!.filter((r) => (r.lane % 4 === 0 || r.lane % 4 === 2) && early(r))).map(({ agent: _a, ...r }) => r);
    const fromHalf = sortRows(half.requests!.filter(early)).map(({ agent: _a, ...r }) => r);
    expect(fromHalf.length).toBeGreaterThan(20);
    expect(fromHalf).toEqual(fromFull);
    expect(new Set(half.requests!.map((r) => r.lane % 4))).toEqual(new Set([0, 2]));
    expect(half.power.meanW).toBeGreaterThan(0.8 * full.power.meanW);
    expect(half.power.meanW).toBeLessThan(1.2 * full.power.meanW);
  });

  it('coarser KV accounting keeps capacity in tokens and stays close to the exact result', () => {
    const p = planningProfile(profile, 128);
    expect(p.kvCache.blockSize).toBe(128);
    expect(p.kvCache.blockSize * p.kvCache.numBlocks).toBe(profile.kvCache.blockSize * profile.kvCache.numBlocks);
    expect(planningProfile(profile, undefined)).toBe(profile);
    expect(autoKvBlockTokens(profile, trajectories, 100_000)).toBe(profile.kvCache.blockSize);
    expect(autoKvBlockTokens(profile, trajectories, 256) % profile.kvCache.blockSize).toBe(0);
    expect(autoKvBlockTokens(profile, trajectories, 256)).toBeGreaterThan(profile.kvCache.blockSize);
    const exact = at(16);
    const coarse = at(16, { kvBlockTokens: 128 });
    expect(coarse.kvBlockTokens).toBe(128);
    expect(exact.kvBlockTokens).toBe(32);
    expect(Math.abs(coarse.meanStepMs! / exact.meanStepMs! - 1)).toBeLessThan(0.1);
    expect(Math.abs(coarse.prefixHitRate! - exact.prefixHitRate!)).toBeLessThan(0.05);
  });

  it('a prompt longer than the model context is an error call (context_overflow), not a crash', () => {
    const tiny = { ...profile, maxModelLen: 20_000 };
    const r = planLevel(tiny, trajectories, { ...base, concurrency: 6 });
    expect(r.errors.context_overflow ?? 0).toBeGreaterThan(0);
    expect(r.valid).toBe(false);
    expect(r.reasons.join(' ')).toMatch(/context overflows/);
  });
});
