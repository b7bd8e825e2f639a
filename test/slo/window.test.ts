import { describe, expect, it } from 'vitest';
import { DEFAULT_VALIDITY, clientResolution, evaluateTier, levelValidity, tierValidity, windowCall, type CallObservation, type LevelWindow } from '../../src/slo/index.js';

const W: LevelWindow = { startMs: 0, endMs: 10_000, cutMs: 12_000 };
const tier = { sloTokPerS: 20, ttftCeilingMs: 5000 };
const obs = (o: Partial<CallObservation>): CallObservation => ({
  agent: '0',
  warmup: false,
  schedMs: 100,
  sendMs: 100,
  outcome: 'ok',
  errorClass: null,
  endMs: 2200,
  firstTokenMs: 200,
  lastTokenMs: 2200,
  tokens: 41,
  afterWs: { tokens: 41, firstMs: 200, lastMs: 2200 },
  ...o,
});

describe('window rules', () => {
  it('a whole call is judged on (tokens - 1) / span; warm-ups and calls outside the window are not window calls', () => {
    const c = windowCall(obs({}), W)!;
    expect(c.decode).toMatchObject({ basis: 'whole', upperBound: false });
    expect(c.decode!.tokPerS).toBeCloseTo(20);
    expect(c.ttft).toEqual({ ms: 100, atLeast: false });
    expect(windowCall(obs({ warmup: true }), W)).toBeNull();
    expect(windowCall(obs({ schedMs: 10_000 }), W)).toBeNull();
    expect(windowCall(obs({ schedMs: -5000, endMs: -1 }), W)).toBeNull();
  });

  it('a cut call gets an upper bound: pieces / (cut - first), so a stall fails; a call sent before the window, silent in it, is bounded by 0', () => {
    const stalled = windowCall(obs({ outcome: 'cut', endMs: 12_000, lastTokenMs: 200, tokens: 1, afterWs: { tokens: 1, firstMs: 200, lastMs: 200 } }), W)!;
    expect(stalled.decode).toMatchObject({ basis: 'until-cut', upperBound: true });
    expect(stalled.decode!.tokPerS).toBeCloseTo(1000 / 11_800);
    const silent = windowCall(obs({ schedMs: -3000, sendMs: -3000, firstTokenMs: -2900, lastTokenMs: -2000, outcome: 'cut', endMs: 12_000, tokens: 50, afterWs: { tokens: 0, firstMs: null, lastMs: null } }), W)!;
    expect(silent.decode!.tokPerS).toBe(0);
    expect(silent.partial).toBe(true);
    expect(evaluateTier([stalled], tier).pass).toBe(false);
  });

  it('client timing: decode judged only where the client resolves it (coalesced share, lag vs token span); TTFT still judged', () => {
    // 4 of 41 tokens in shared reads (<= 10%): still resolved; 5 of 41 (> 10%): not.
    expect(windowCall(obs({ coalescedReads: 4 }), W)!.decode).not.toBeNull();
    const c = windowCall(obs({ coalescedReads: 5 }), W)!;
    expect(c.decode).toBeNull();
    expect(c.clientUnresolved).toBe(true);
    expect(c.decodeNotJudged).toMatch(/5 of its 41 tokens came in reads shared/);
    // Span 2000 ms: a 200 ms p99 lag is 10% (resolved), 201 ms is not.
    expect(windowCall(obs({}), W, 200)!.decode).not.toBeNull();
    expect(windowCall(obs({}), W, 201)!.decodeNotJudged).toMatch(/read lag p99 201.0 ms is over 10% of its 2000 ms token span/);
    // A cut call's upper bound does not rest on its last stamp: still judged (a stall still fails).
    expect(windowCall(obs({ outcome: 'cut', endMs: 12_000, lastTokenMs: 200, tokens: 1, afterWs: { tokens: 1, firstMs: 200, lastMs: 200 } }), W, 5000)!.decode!.upperBound).toBe(true);
    expect(c.ttft).toEqual({ ms: 100, atLeast: false });
    const v = evaluateTier([c], tier);
    expect(v.callsJudged).toBe(1);
    // Coalesced and cut before the first token: nothing judgeable, so the lane is listed, not counted.
    const nothing = windowCall(obs({ coalescedReads: 1, outcome: 'cut', firstTokenMs: null, lastTokenMs: null, tokens: 0, afterWs: { tokens: 0, firstMs: null, lastMs: null }, endMs: 12_000, schedMs: 11_000, sendMs: 11_000 }), W);
    expect(nothing).toBeNull(); // scheduled after the window end
  });

  it('a level is invalid when too few active lanes were judged or most judged calls pass on fragments; the figures are in the reason', () => {
    const judged = Array.from({ length: 8 }, (_, i) => windowCall(obs({ agent: String(i) }), W)!);
    const unjudged = Array.from({ length: 2 }, (_, i) => windowCall(obs({ agent: String(8 + i), outcome: 'cut', schedMs: 9000, sendMs: 9000, firstTokenMs: null, lastTokenMs: null, tokens: 0, afterWs: { tokens: 0, firstMs: null, lastMs: null }, endMs: 12_000, coalescedReads: 0 }), W)!);
    // The two unjudged lanes have a cut call and no output: they fail as silent rather than vanish.
    const v = evaluateTier([...judged, ...unjudged], tier);
    expect(v.agentsSilent).toBe(2);
    const facts = { lanes: 10, windowS: 10, errorRate: 0, contextOverflowRate: 0, warmupCompleted: true, interrupted: false };
    expect(levelValidity(facts, [v]).reasons).toEqual([]);
    // Ten lanes judged only on calls sent before the window that met the tier on their in-window part: fragments void the level.
    const fragments = Array.from({ length: 10 }, (_, i) => windowCall(obs({ agent: String(i), schedMs: -1000, sendMs: -1000, firstTokenMs: -900, endMs: 500, lastTokenMs: 500, tokens: 100, afterWs: { tokens: 10, firstMs: 50, lastMs: 500 } }), W)!);
    const f = evaluateTier(fragments, tier);
    const r = levelValidity(facts, [f]).reasons.join('; ');
    expect(r).toMatch(/10 of 10 judged calls met the tier only on a partial measure/);
  });

  it('timing canary: a tier is invalid when the lag is a large share of the TTFT ceiling or too many decode rates were unresolved', () => {
    const canary = { samples: 100, p50Ms: 0.5, p99Ms: 30, maxMs: 90 };
    const t60 = { sloTokPerS: 60, ttftCeilingMs: 1000 };
    expect(tierValidity(t60, canary, DEFAULT_VALIDITY, { decodeMeasured: 100, unresolved: 10 })).toEqual([]); // 30 <= 100 ms; 10% unresolved
    expect(tierValidity(t60, canary, DEFAULT_VALIDITY, { decodeMeasured: 100, unresolved: 11 })[0]).toMatch(/could not resolve the decode rate of 11 of 100 window calls/);
    expect(tierValidity({ sloTokPerS: 60, ttftCeilingMs: 200 }, canary)[0]).toMatch(/p99 30 ms \(timing canary\) exceeds 10% of the TTFT ceiling \(20 of 200 ms\)/);
    // Not run (virtual time): nothing to say; could not start: the client cannot prove its timing.
    expect(tierValidity(t60, undefined)).toEqual([]);
    expect(tierValidity(t60, null)[0]).toMatch(/did not run/);
    // Counted from the window calls.
    const calls = [windowCall(obs({}), W, 201)!, windowCall(obs({}), W)!, windowCall(obs({ tokens: 1, lastTokenMs: 200 }), W)!];
    expect(clientResolution(calls)).toEqual({ decodeMeasured: 2, unresolved: 1 });
    expect(DEFAULT_VALIDITY.maxCanaryLagShare).toBe(0.1);
  });
});
