/**
 * One judge for both drivers (issue 12 acceptance): the same call histories, recorded as replay's
 * HTTP call records and as the planner's virtual-time records, get identical verdicts; and the
 * silence cases (every lane stalls after its first token, hangs after a fast burst, starved
 * lanes) FAIL the tier in both, where the old rules passed them 20/20.
 */
import { describe, expect, it } from 'vitest';
import { judgePlanCalls, type PlanCallRec } from '../../src/plan/index.js';
import { evaluateLevel, type CallRecord, type LaneIdle, type LevelRun } from '../../src/replay/index.js';
import type { RequestResult } from '../../src/endpoint/index.js';
import type { IdleSpan, LevelWindow, SloTier } from '../../src/slo/index.js';
import type { AgentHandle, Trajectory } from '../../src/trajectory/index.js';

/** One call as a neutral history: times in integer ms; `end: null` = still running at the cut. */
interface Hist {
  lane: number;
  warmup?: boolean;
  sched: number;
  chunks: number[];
  end: number | null;
  error?: string;
}

const W: LevelWindow = { startMs: 10_000, endMs: 20_000, cutMs: 25_000 };
const TIERS: SloTier[] = [{ sloTokPerS: 20, ttftCeilingMs: 30_000 }];
const SLO = { callPassFraction: 0.9, agentPassFraction: 0.95 };
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const traj: Trajectory = { format: 'agentdyno.trajectory.v1', id: 't', source: { kind: 'synthetic' }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 10, steps: [] }] };

function replayRecord(h: Hist): CallRecord {
  const ok = h.end !== null && !h.error;
  const result: RequestResult = {
    requestId: 'r',
    ok,
    errorClass: h.error ? (h.error as RequestResult['errorClass']) : h.end === null ? 'aborted' : null,
    errorMessage: null,
    httpStatus: 200,
    retryAfterMs: null,
    tSendNs: ns(h.sched),
    tFirstByteNs: h.chunks.length ? ns(h.chunks[0]) : null,
    tFirstTokenNs: h.chunks.length ? ns(h.chunks[0]) : null,
    tLastTokenNs: h.chunks.length ? ns(h.chunks[h.chunks.length - 1]) : null,
    tEndNs: ns(h.end ?? W.cutMs),
    tokenChunkTimesNs: h.chunks.map(ns),
    tokenChunkPieces: h.chunks.map(() => 1),
    tHeadersNs: ns(h.sched),
    tFirstContentNs: h.chunks.length ? ns(h.chunks[0]) : null,
    usage: ok ? { promptTokens: 100, completionTokens: h.chunks.length, cachedTokens: null } : null,
    finishReason: ok ? 'length' : null,
    coalescedReads: 0,
  };
  return { lane: h.lane, cycle: 0, trajectoryId: 't', agentId: 'main', step: 0, llmTurn: 0, warmup: h.warmup ?? false, tSchedNs: ns(h.sched), promptTokensTarget: 100, expectedCachedTokens: 0, outputTokensTarget: h.chunks.length, contentSource: 'synthetic', result };
}

function planRecord(h: Hist): PlanCallRec {
  const after = h.chunks.filter((t) => t >= W.startMs);
  const agent: AgentHandle = { id: 0, lane: h.lane, cycle: 0, trajectory: traj, agent: traj.agents[0], parentId: null };
  return {
    lane: h.lane,
    agent,
    step: 0,
    spec: { promptTokens: 100, outputTokens: h.chunks.length, blockHashes: [], expectedCachedTokens: 0, warmup: h.warmup ?? false },
    replica: 0,
    schedMs: h.sched,
    sendMs: h.sched,
    firstMs: h.chunks.length ? h.chunks[0] : Number.NaN,
    lastMs: h.chunks.length ? h.chunks[h.chunks.length - 1] : Number.NaN,
    endMs: h.end ?? Number.NaN,
    tokens: h.chunks.length,
    tokensAfterWs: after.length,
    firstAfterWsMs: after.length ? after[0] : Number.NaN,
    lastAfterWsMs: after.length ? after[after.length - 1] : Number.NaN,
    cachedTokens: null,
    errorClass: h.error ?? null,
  };
}

function judgeBoth(hist: Hist[], lanes: number, idle: { lane: number; start: number; end: number }[] = []) {
  const laneIds = Array.from({ length: lanes }, (_, i) => i);
  const run: LevelRun = {
    concurrency: lanes,
    lanes: laneIds,
    records: hist.map(replayRecord),
    idle: idle.map((x): LaneIdle => ({ lane: x.lane, kind: 'tool', startNs: ns(x.start), endNs: ns(x.end) })),
    lanesWithFullCycle: lanes,
    startNs: 0n,
    windowStartNs: ns(W.startMs),
    windowEndNs: ns(W.endMs),
    cutNs: ns(W.cutMs),
    warmupCompleted: true,
    interrupted: false,
    peakInFlight: lanes,
    saturation: null,
    treesCompleted: 0,
    contentMode: 'synthetic',
    api: 'chat',
    tokenModel: { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 },
  };
  const replay = evaluateLevel(run, TIERS, SLO);
  const planIdle: IdleSpan[] = idle.map((x) => ({ agent: String(x.lane), startMs: x.start, endMs: x.end, kind: 'tool' }));
  const plan = judgePlanCalls(hist.map(planRecord), laneIds, planIdle, W, TIERS, SLO);
  return { replay, plan: plan.verdicts };
}

const pick = (tier: object) => {
  const t = tier as Record<string, unknown>;
  const keys = ['pass', 'passRate', 'agentsActive', 'agentsJudged', 'agentsMeeting', 'agentsSilent', 'callsJudged', 'callsMeeting', 'callsPartial', 'callsPartialMeeting', 'callFailures', 'bindingConstraint', 'excluded', 'agentRule'];
  return Object.fromEntries(keys.map((k) => [k, t[k]]));
};

/** Tokens every `gapMs` from `from`, `n` of them. */
const stream = (from: number, n: number, gapMs: number) => Array.from({ length: n }, (_, i) => from + i * gapMs);

/** A healthy lane: one call streaming at the window start, two whole calls in it, at 40 tok/s. */
function healthy(lane: number): Hist[] {
  const o = lane * 37;
  return [
    { lane, sched: 8000 + o, chunks: stream(8200 + o, 100, 25), end: 8200 + o + 99 * 25 + 5 },
    { lane, sched: 12_000 + o, chunks: stream(12_200 + o, 80, 25), end: 12_200 + o + 79 * 25 + 5 },
    { lane, sched: 16_000 + o, chunks: stream(16_200 + o, 60, 25), end: 16_200 + o + 59 * 25 + 5 },
  ];
}

describe('one judge for replay and the planner', () => {
  it('healthy lanes pass, with identical verdicts from both drivers', () => {
    const hist = Array.from({ length: 20 }, (_, l) => healthy(l)).flat();
    const { replay, plan } = judgeBoth(hist, 20);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].pass).toBe(true);
    expect(replay.tiers[0].agentsJudged).toBe(20);
    expect(replay.valid).toBe(true);
    expect(replay.judged!.callsPerJudgedAgent).toBeCloseTo(3);
  });

  it('every lane stalls after its first token: FAIL (upper bound 1 token / 14.5 s), in both drivers', () => {
    const hist = Array.from({ length: 20 }, (_, lane) => ({ lane, sched: 10_300, chunks: [10_500], end: null }));
    const { replay, plan } = judgeBoth(hist, 20);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].pass).toBe(false);
    expect(replay.tiers[0].agentsMeeting).toBe(0);
    expect(replay.tiers[0].callFailures.decode).toBe(20);
    // A decided failure, not a fragment: the partial-call gate does not void it.
    expect(replay.reasons.join(' ')).not.toMatch(/partial measure/);
  });

  it('hangs after a fast burst (inside the window, or streaming at its start): FAIL in both drivers', () => {
    const inWindow = Array.from({ length: 10 }, (_, lane) => ({ lane, sched: 10_300, chunks: stream(10_400, 50, 5), end: null }));
    const beforeWindow = Array.from({ length: 10 }, (_, i) => ({ lane: 10 + i, sched: 8000, chunks: stream(8100, 50, 5), end: null }));
    const { replay, plan } = judgeBoth([...inWindow, ...beforeWindow], 20);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].pass).toBe(false);
    expect(replay.tiers[0].agentsMeeting).toBe(0);
  });

  it('starved lanes (no first token by the cut, under the TTFT ceiling; a warm-up never answered) fail as silent, never leave the denominator', () => {
    const hist = [
      ...Array.from({ length: 18 }, (_, l) => healthy(l)).flat(),
      { lane: 18, sched: 10_500, chunks: [], end: null },
      { lane: 19, warmup: true, sched: 5_000, chunks: [], end: null },
    ];
    const { replay, plan } = judgeBoth(hist, 20);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].agentsSilent).toBe(2);
    expect(replay.tiers[0].agentsJudged).toBe(20);
    expect(replay.tiers[0].passRate).toBeCloseTo(0.9);
    expect(replay.tiers[0].pass).toBe(false);
  });

  it('faulted calls fail their lane; a lane idle in a recorded tool wait all window is excluded and listed', () => {
    const hist = [
      ...Array.from({ length: 18 }, (_, l) => healthy(l)).flat(),
      { lane: 18, sched: 9_000, chunks: [], end: 12_000, error: 'http_500' },
    ];
    const { replay, plan } = judgeBoth(hist, 20, [{ lane: 19, start: 9_000, end: 21_000 }]);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].excluded).toEqual([{ agent: '19', reason: expect.stringMatching(/tool/) }]);
    expect(replay.tiers[0].agentsActive).toBe(19);
    expect(replay.tiers[0].callFailures.error).toBe(1);
    expect(replay.tiers[0].agentsMeeting).toBe(18);
    expect(replay.tiers[0].pass).toBe(false);
  });

  it('a lane with nothing in the window and no recorded wait is active and failing', () => {
    const hist = Array.from({ length: 19 }, (_, l) => healthy(l)).flat();
    const { replay, plan } = judgeBoth(hist, 20);
    expect(pick(replay.tiers[0])).toEqual(pick(plan[0]));
    expect(replay.tiers[0].agentsSilent).toBe(1);
    expect(replay.tiers[0].pass).toBe(true); // 19/20 = 95%
  });
});
