/** Pure merge of shard runs (src/scale/merge.ts): sums, verdicts, refusals, HDR-merged percentiles. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';
import { shardLanes } from '../../src/replay/index.js';
import { evaluateTiers, type WindowCall } from '../../src/slo/index.js';

type SloCall = WindowCall;
/** A whole window call with this TTFT and decode rate. */
const wcall = (agent: string, ttftMs: number, decodeTokPerS: number): WindowCall => ({
  agent,
  sentInWindow: true,
  partial: false,
  cut: false,
  error: null,
  ttft: { ms: ttftMs, atLeast: false },
  decode: { tokPerS: decodeTokPerS, tokens: decodeTokPerS, spanMs: 1000, basis: 'whole', upperBound: false },
  decodeNotJudged: null,
  producedInWindow: 10,
});
import { encodeHistogram, histogramOfMs, hdrStat, mergeShards, parseShard, parseStartAt, type ShardRequest, type ShardRun, type ShardTier } from '../../src/scale/index.js';

const tiers = [
  { sloTokPerS: 20, ttftCeilingMs: 1000 },
  { sloTokPerS: 60, ttftCeilingMs: 1000 },
];
const slo = { callPassFraction: 0.9, agentPassFraction: 0.95 };
const WALL0 = 1_800_000_000_000;

/** One shard: `calls` judged by the real SLO rules into its tier counts; window 5 s at monotonic 2..7 s. */
function shard(index: number, count: number, n: number, o: { calls?: SloCall[]; requests?: ShardRequest[]; offsetMs?: number; seed?: number; errors?: Record<string, number>; outTokPerS?: number; status?: string; itl?: number[] } = {}): ShardRun {
  const lanes = shardLanes(n, index, count);
  const calls = o.calls ?? lanes.map((l) => wcall(String(l), 100, 40));
  const verdicts = evaluateTiers(calls, tiers, slo);
  const t: ShardTier[] = verdicts.map((v) => ({ sloTokPerS: v.sloTokPerS, ttftCeilingMs: v.ttftCeilingMs, agentsActive: v.agentsActive, agentsJudged: v.agentsJudged, agentsMeeting: v.agentsMeeting, callsJudged: v.callsJudged, callsMeeting: v.callsMeeting, callFailures: v.callFailures }));
  return {
    runId: `replay-shard${index}`,
    db: `/tmp/shard${index}.db`,
    kind: 'replay',
    status: o.status ?? 'completed',
    config: {
      kind: 'replay',
      tiers,
      slo,
      level: { windowS: 5, warmupS: 1, seed: o.seed ?? 1, history: 'recorded' },
      validity: { maxErrorRate: 0.05 },
      trajectories: [`/machine${index}/data/set.jsonl`],
      trajectoryCount: 3,
      concurrency: n,
      shard: { index, count, startAt: '2027-01-15T08:00:00.000Z', concurrencyTotal: n, lanes },
    },
    target: { url: 'http://10.0.0.5:8000', model: 'm' },
    // Each machine's monotonic clock has its own origin; the anchor maps it to wall-clock time.
    clockAnchor: { monotonicNs: String(BigInt(1e9) * BigInt(index + 1)), wallClockMs: WALL0 + (o.offsetMs ?? 0) },
    level: {
      valid: true,
      reasons: [],
      windowStartNs: String(BigInt(2e9) + BigInt(1e9) * BigInt(index)),
      windowEndNs: String(BigInt(7e9) + BigInt(1e9) * BigInt(index)),
      windowS: 5,
      agentsActive: new Set(calls.map((c) => c.agent)).size,
      callsSentInWindow: calls.length,
      tiers: t,
      errors: o.errors ?? {},
      outputTokPerS: o.outTokPerS ?? 100,
    },
    itlHdr: encodeHistogram(histogramOfMs(o.itl ?? [10, 12, 14])),
    requests: o.requests ?? lanes.map((l) => ({ lane: l, status: 'ok', inWindow: true, ttftMs: 100, e2eMs: 1100, outputTokens: 41 })),
  };
}

/** `meeting` of the shard's lanes meet both tiers (10 calls each, all good); the rest fail decode on every call. */
function callsFor(index: number, count: number, n: number, failing: number): SloCall[] {
  return shardLanes(n, index, count).flatMap((l, j) => Array.from({ length: 10 }, () => wcall(String(l), 200, j < failing ? 10 : 80)));
}

describe('mergeShards', () => {
  it('sums agents, errors and output tok/s, and recomputes the verdict from the sums (as one N-lane evaluation would)', () => {
    // N=40 over 2 shards: shard 0 has 2 of 20 agents failing (90%: FAIL alone), shard 1 none: 38/40 = 95% PASS.
    const a = shard(0, 2, 40, { calls: callsFor(0, 2, 40, 2), errors: { timeout: 1 }, outTokPerS: 120 });
    const b = shard(1, 2, 40, { calls: callsFor(1, 2, 40, 0), errors: { timeout: 2, http_5xx: 1 }, outTokPerS: 80.5 });
    expect(a.level!.tiers[0].agentsMeeting).toBe(18);
    expect(a.level!.tiers[0].agentsMeeting / a.level!.tiers[0].agentsActive).toBeLessThan(0.95);
    const m = mergeShards([b, a]);
    expect(m.concurrency).toBe(40);
    expect(m.shardCount).toBe(2);
    expect(m.agentsActive).toBe(40);
    expect(m.tiers[0]).toMatchObject({ agentsActive: 40, agentsMeeting: 38, pass: true, passRate: 0.95 });
    expect(m.tiers[0].byShard).toEqual([{ index: 0, agentsMeeting: 18, agentsActive: 20 }, { index: 1, agentsMeeting: 20, agentsActive: 20 }]);
    // The same as evaluating every call of the 40 lanes at once.
    const whole = evaluateTiers([...callsFor(0, 2, 40, 2), ...callsFor(1, 2, 40, 0)], tiers, slo);
    for (const [i, v] of whole.entries()) expect([m.tiers[i].agentsMeeting, m.tiers[i].agentsActive, m.tiers[i].pass, m.tiers[i].callFailures]).toEqual([v.agentsMeeting, v.agentsActive, v.pass, v.callFailures]);
    expect(m.errors).toEqual({ timeout: 3, http_5xx: 1 });
    expect(m.outputTokPerS).toBeCloseTo(200.5);
    expect(m.shards.map((s) => s.lanes.length)).toEqual([20, 20]);
    expect(m.valid).toBe(true);
    expect(m.window.overlapFraction).toBeCloseTo(1);
  });

  it('fails the merged level when the summed share falls below the agent-pass fraction', () => {
    const m = mergeShards([shard(0, 2, 40, { calls: callsFor(0, 2, 40, 1) }), shard(1, 2, 40, { calls: callsFor(1, 2, 40, 2) })]);
    expect(m.tiers[0]).toMatchObject({ agentsMeeting: 37, agentsActive: 40, pass: false, bindingConstraint: 'decode' });
  });

  it('carries shard invalidity reasons into the merged level', () => {
    const b = shard(1, 2, 4);
    b.level = { ...b.level!, valid: false, reasons: ['client saturated: event loop busy 95% of the window (limit 90%)'] };
    const m = mergeShards([shard(0, 2, 4), b]);
    expect(m.valid).toBe(false);
    expect(m.reasons[0]).toMatch(/^shard 1 \(replay-shard1\): client saturated/);
  });

  it.each([
    ['a different seed', () => [shard(0, 2, 4), shard(1, 2, 4, { seed: 2 })], /level settings .* differs/],
    ['a different N', () => [shard(0, 2, 4), shard(1, 2, 6)], /N \(--concurrency\) differs/],
    ['a missing shard', () => [shard(0, 3, 6), shard(2, 3, 6)], /shard 1 of 3 missing/],
    ['a repeated shard', () => [shard(0, 2, 4), shard(0, 2, 4)], /shard index 0 appears 2 times/],
    ['an interrupted shard', () => [shard(0, 2, 4), shard(1, 2, 4, { status: 'interrupted' })], /is interrupted, not completed/],
    ['windows 1 s apart (80% overlap of 5 s)', () => [shard(0, 2, 4), shard(1, 2, 4, { offsetMs: 1000 })], /overlap by 4\.00 s, 80% .* not simultaneous/],
    ['a lane outside the shard', () => [shard(0, 2, 4), shard(1, 2, 4, { requests: [{ lane: 2, status: 'ok', inWindow: true, ttftMs: 1, e2eMs: 2, outputTokens: 2 }] })], /lane 2, which is not one of its lanes/],
  ])('refuses %s', (_n, make, re) => {
    expect(() => mergeShards(make())).toThrow(re);
  });

  it('accepts windows offset by less than 10% and records each shard\'s offset', () => {
    const m = mergeShards([shard(0, 2, 4), shard(1, 2, 4, { offsetMs: 400 })]);
    expect(m.window.overlapFraction).toBeCloseTo(0.92);
    expect(m.shards.map((s) => s.startOffsetMs)).toEqual([0, 400]);
  });

  it('merges latency histograms: p50/p99 within the HDR precision of the exact percentile, unlike averaged percentiles', () => {
    const rng = new Rng(11);
    // Shard 0: 2000 fast calls; shard 1: 200 slow ones (a hot spot). Averaging p99s would say ~1,500 ms.
    const fast = Array.from({ length: 2000 }, () => rng.logNormal(40, 0.3));
    const slow = Array.from({ length: 200 }, () => rng.logNormal(3000, 0.2));
    const rows = (ttfts: number[], lanes: number[]): ShardRequest[] => ttfts.map((t, i) => ({ lane: lanes[i % lanes.length], status: 'ok', inWindow: true, ttftMs: t, e2eMs: t + 500, outputTokens: 51 }));
    const a = shard(0, 2, 4, { requests: rows(fast, [0, 2]), itl: fast });
    const b = shard(1, 2, 4, { requests: rows(slow, [1, 3]), itl: slow });
    const m = mergeShards([a, b]);
    const all = [...fast, ...slow].sort((x, y) => x - y);
    const nearestRank = (p: number) => all[Math.max(0, Math.ceil((p / 100) * all.length) - 1)];
    for (const [p, got] of [[50, m.vllm.ttftMs.p50], [99, m.vllm.ttftMs.p99]] as const) {
      expect(Math.abs(got! - nearestRank(p)) / nearestRank(p)).toBeLessThan(1e-3 + 1e-6);
    }
    expect(m.vllm.ttftMs.count).toBe(2200);
    expect(m.vllm.itlMs!.p99).toBeCloseTo(m.vllm.ttftMs.p99!, 0);
    expect(m.vllm.e2elMs.p50! - m.vllm.ttftMs.p50!).toBeCloseTo(500, -1);
    expect(m.vllm.tpotMs.p50).toBeCloseTo(10, 1);
    const avgOfP99 = (hdrStat(histogramOfMs(fast)).p99! + hdrStat(histogramOfMs(slow)).p99!) / 2;
    expect(Math.abs(avgOfP99 - m.vllm.ttftMs.p99!) / m.vllm.ttftMs.p99!).toBeGreaterThan(0.3);
    expect(m.vllm.precision).toMatch(/3 significant digits/);
    expect(m.vllm.completed).toBe(2200);
  });

  it('says so when a shard stored no ITL histogram', () => {
    const b = shard(1, 2, 4);
    b.itlHdr = null;
    const m = mergeShards([shard(0, 2, 4), b]);
    expect(m.vllm.itlMs).toBeNull();
    expect(m.notes.join(' ')).toMatch(/ITL not merged/);
  });
});

describe('shard flags', () => {
  it('parses I/K and auto/K (JOB_COMPLETION_INDEX)', () => {
    expect(parseShard('1/3', 7)).toEqual({ index: 1, count: 3, lanes: [1, 4] });
    expect(parseShard('auto/4', 8, { JOB_COMPLETION_INDEX: '3' }).lanes).toEqual([3, 7]);
    expect(() => parseShard('auto/4', 8, {})).toThrow(/JOB_COMPLETION_INDEX/);
    expect(() => parseShard('4/4', 8)).toThrow(/below the shard count/);
    expect(() => parseShard('0/9', 8)).toThrow(/no lane/);
    expect(() => parseShard('one/two', 8)).toThrow(/form I\/K/);
  });

  it('parses --start-at and refuses the past, the far future and zoneless times', () => {
    const now = Date.parse('2027-01-15T08:00:00Z');
    expect(parseStartAt('2027-01-15T08:01:00Z', now)).toBe(now + 60_000);
    expect(parseStartAt('2027-01-15T09:01:00+01:00', now)).toBe(now + 60_000);
    expect(parseStartAt('2027-01-15T07:59:58Z', now)).toBe(now - 2000);
    expect(() => parseStartAt('2027-01-15T07:59:00Z', now)).toThrow(/60\.0 s in the past/);
    expect(() => parseStartAt('2027-01-16T08:00:01Z', now)).toThrow(/more than 24 h ahead/);
    expect(() => parseStartAt('2027-01-15 08:01', now)).toThrow(/ISO 8601/);
  });
});
