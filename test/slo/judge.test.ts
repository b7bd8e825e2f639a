import { describe, expect, it } from 'vitest';
import {
  agentsPerMW,
  bindingOf,
  decodeTokPerS,
  decodeUpperBoundTokPerS,
  describeRule,
  evaluateTier,
  judgeCall,
  METRICS,
  MAX_RESOLVABLE_FLOOR_TOK_PER_S,
  parseSloTiers,
  tpotCeilingMs,
  tpotMs,
  vllmMetrics,
  type WindowCall,
} from '../../src/slo/index.js';

const tier = { sloTokPerS: 20, ttftCeilingMs: 1000 };
/** A whole call (sent in the window, completed) with a decode rate over 1 s of decoding. */
const call = (agent: string, decode: number | null, ttft: number | null = 100, error: string | null = null): WindowCall => ({
  agent,
  sentInWindow: true,
  partial: false,
  cut: false,
  error,
  ttft: ttft === null ? null : { ms: ttft, atLeast: false },
  decode: decode === null ? null : { tokPerS: decode, tokens: decode, spanMs: 1000, basis: 'whole', upperBound: false },
  decodeNotJudged: decode === null ? 'one-token output' : null,
  producedInWindow: 10,
});

describe('SLO judge', () => {
  it('a call meets a tier only if decode >= floor and TTFT <= ceiling (both inclusive) and it did not fail', () => {
    expect(judgeCall(call('a', 20, 1000), tier).meets).toBe(true);
    expect(judgeCall(call('a', 19.99, 10), tier).failures).toEqual(['decode']);
    expect(judgeCall(call('a', 50, 1000.1), tier).failures).toEqual(['ttft']);
    expect(judgeCall(call('a', 5, 5000), tier).failures).toEqual(['ttft', 'decode']);
    expect(judgeCall(call('a', 50, 10, 'http_500'), tier).failures).toEqual(['error']);
    // One-token outputs have no decode rate: the floor is met (vLLM counts their TPOT as 0).
    expect(judgeCall(call('a', null, 10), tier).meets).toBe(true);
    // A cut call with no first token after 1500 ms fails the ceiling; after 500 ms it decides nothing.
    const starved = { ...call('a', null, null), decodeNotJudged: 'no output by the cut (judged on TTFT)', cut: true, partial: true, producedInWindow: 0 };
    expect(judgeCall({ ...starved, ttft: { ms: 1500, atLeast: true } }, tier).failures).toEqual(['ttft']);
    expect(judgeCall({ ...starved, ttft: { ms: 500, atLeast: true } }, tier)).toEqual({ judged: false, meets: false, failures: [] });
  });

  it('an agent meets a tier with >= 90% of its calls and a token-weighted rate >= floor; a level passes with >= 95% of judged agents', () => {
    const calls: WindowCall[] = [];
    // 20 agents; agent 0 has 9/10 good calls (meets), agent 1 has 8/10 (fails).
    for (let a = 0; a < 20; a++) for (let i = 0; i < 10; i++) calls.push(call(String(a), a === 0 && i === 0 ? 1 : a === 1 && i < 2 ? 1 : 30));
    const v = evaluateTier(calls, tier);
    expect(v.agentsActive).toBe(20);
    expect(v.agentsJudged).toBe(20);
    expect(v.agentsMeeting).toBe(19);
    expect(v.passRate).toBeCloseTo(0.95);
    expect(v.pass).toBe(true);
    expect(v.agentRule).toBe('calls-and-tokens');
    expect(v.callFailures).toEqual({ ttft: 0, decode: 3, error: 0 });
    expect(v.bindingConstraint).toBe('decode');
    const a0 = v.agents.find((a) => a.agent === '0')!;
    expect(a0.tokenWeightedTokPerS).toBeCloseTo((1 + 9 * 30) / 10);
    // Stricter thresholds are parameters.
    const strict = evaluateTier(calls, tier, { callPassFraction: 0.9, agentPassFraction: 0.99 });
    expect(strict.pass).toBe(false);
    expect(strict.thresholds.agentPassFraction).toBe(0.99);
  });

  it('the token-weighted rule catches an agent whose one long slow call outweighs many short fast ones', () => {
    // 9 short calls of 10 tokens at 100 tok/s, one call of 2000 tokens at 5 tok/s: 9/10 calls meet.
    const calls = [...Array.from({ length: 9 }, () => ({ ...call('a', 100), decode: { tokPerS: 100, tokens: 10, spanMs: 100, basis: 'whole' as const, upperBound: false } })), { ...call('a', 5), decode: { tokPerS: 5, tokens: 2000, spanMs: 400_000, basis: 'whole' as const, upperBound: false } }];
    const both = evaluateTier(calls, tier);
    expect(both.agents[0].meetsCalls).toBe(true);
    expect(both.agents[0].meetsTokens).toBe(false);
    expect(both.pass).toBe(false);
    expect(evaluateTier(calls, tier, { callPassFraction: 0.9, agentPassFraction: 0.95, agentRule: 'calls' }).pass).toBe(true);
    expect(describeRule({ callPassFraction: 0.9, agentPassFraction: 0.95, agentRule: 'calls' })).toMatch(/rule calls/);
    expect(describeRule({ callPassFraction: 0.9, agentPassFraction: 0.95 })).toMatch(/token-weighted/);
  });

  it('no judged agents means no pass; binding constraint is the condition that failed more calls', () => {
    expect(evaluateTier([], tier).pass).toBe(false);
    expect(evaluateTier([], tier).passRate).toBeNull();
    expect(bindingOf({ ttft: 5, decode: 2, error: 1 })).toBe('ttft');
    expect(bindingOf({ ttft: 1, decode: 2, error: 1 })).toBe('decode');
    expect(bindingOf({ ttft: 1, decode: 2, error: 3 })).toBe('errors');
    expect(bindingOf({ ttft: 0, decode: 0, error: 0 })).toBe('none');
  });

  it('parses --slo tiers with default and explicit TTFT ceilings; refuses floors the client cannot resolve (E_USAGE_RANGE)', () => {
    expect(parseSloTiers('60,20', 10000)).toEqual([{ sloTokPerS: 20, ttftCeilingMs: 10000 }, { sloTokPerS: 60, ttftCeilingMs: 10000 }]);
    expect(parseSloTiers('20:2000, 60:500', 1)).toEqual([{ sloTokPerS: 20, ttftCeilingMs: 2000 }, { sloTokPerS: 60, ttftCeilingMs: 500 }]);
    expect(() => parseSloTiers('fast', 1)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => parseSloTiers('', 1)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => parseSloTiers(String(MAX_RESOLVABLE_FLOOR_TOK_PER_S * 2), 1)).toThrow(expect.objectContaining({ code: 'E_USAGE_RANGE' }));
    expect(parseSloTiers(String(MAX_RESOLVABLE_FLOOR_TOK_PER_S), 1)).toHaveLength(1);
  });
});

describe('metric registry', () => {
  it('defines each metric once with tag, unit, header, formula and direction', () => {
    const tags = Object.values(METRICS).map((m) => m.tag);
    expect(new Set(tags).size).toBe(tags.length);
    for (const k of ['ttft', 'ttfo', 'tpot', 'itl', 'e2el', 'decodeRate', 'agentDecodeRate', 'goodput', 'agentsPerMW'] as const) {
      const m = METRICS[k];
      expect(m.unit.length && m.header.length && m.formula.length).toBeTruthy();
      expect(['lower-is-better', 'higher-is-better']).toContain(m.direction);
    }
  });

  it('formulas: decode rate, its cut upper bound, TPOT, agents/MW', () => {
    expect(decodeTokPerS(11, 0, 500)).toBeCloseTo(20);
    expect(decodeTokPerS(1, 0, 500)).toBeNull();
    expect(decodeTokPerS(5, 100, 100)).toBeNull();
    // 1 token and then silence for 10 s: at most 0.1 tok/s; silent throughout: 0.
    expect(decodeUpperBoundTokPerS(1, 0, 10_000)).toBeCloseTo(0.1);
    expect(decodeUpperBoundTokPerS(0, 0, 10_000)).toBe(0);
    expect(tpotMs(100 + 9 * 40, 100, 10)).toBeCloseTo(40);
    expect(tpotMs(50, 50, 1)).toBeNull();
    expect(tpotCeilingMs(20)).toBe(50);
    expect(agentsPerMW(72, 260)).toBeCloseTo(72 / 260e-6);
    expect(agentsPerMW(0, 260)).toBe(0);
    expect(agentsPerMW(10, 0)).toBeNull();
    expect(agentsPerMW(null, 100)).toBeNull();
  });
});

describe('vLLM-style metrics', () => {
  it('computes TPOT, pooled ITL, population std, p99 and goodput as vllm bench serve does', () => {
    const samples = [
      { ok: true, ttftMs: 100, e2eMs: 100 + 9 * 40, outputTokens: 10, itlMs: Array(9).fill(40) },
      { ok: true, ttftMs: 300, e2eMs: 300 + 4 * 10, outputTokens: 5, itlMs: Array(4).fill(10) },
      { ok: true, ttftMs: 50, e2eMs: 50, outputTokens: 1, itlMs: [] },
      { ok: false, ttftMs: null, e2eMs: 5, outputTokens: 0, itlMs: [] },
    ];
    const m = vllmMetrics(samples, 10, [{ tpotMs: tpotCeilingMs(20) }, { ttftMs: 200, tpotMs: tpotCeilingMs(60) }]);
    expect(m.completed).toBe(3);
    expect(m.failed).toBe(1);
    expect(m.tpotMs.mean).toBeCloseTo(25); // (40 + 10) / 2: 1-token output excluded from TPOT stats
    expect(m.itlMs.mean).toBeCloseTo((9 * 40 + 4 * 10) / 13); // pooled, token-weighted
    expect(m.ttftMs.median).toBe(100);
    expect(m.ttftMs.std).toBeCloseTo(Math.sqrt(((100 - 150) ** 2 + (300 - 150) ** 2 + (50 - 150) ** 2) / 3));
    expect(m.goodput[0].goodRequests).toBe(3); // TPOT 40, 10, 0 all <= 50
    expect(m.goodput[1].goodRequests).toBe(1); // ttft<=200 & tpot<=16.67: only the 1-token call (TPOT 0)
    expect(m.goodput[0].spec).toBe('tpot:50');
    expect(m.outputThroughput).toBeCloseTo(1.6);
  });
});
