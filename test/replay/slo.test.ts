import { describe, expect, it } from 'vitest';
import { evaluateTier, judgeCall, parseSloTiers, bindingOf, type SloCall } from '../../src/replay/index.js';
import { tpotCeilingMs, vllmMetrics } from '../../src/replay/index.js';

const tier = { sloTokPerS: 20, ttftCeilingMs: 1000 };
const call = (agent: string, decode: number | null, ttft: number | null = 100, ok = true): SloCall => ({ agent, ok, ttftMs: ttft, decodeTokPerS: decode });

describe('SLO math', () => {
  it('a call meets a tier only if decode >= floor and TTFT <= ceiling (both inclusive) and it succeeded', () => {
    expect(judgeCall(call('a', 20, 1000), tier).meets).toBe(true);
    expect(judgeCall(call('a', 19.99, 10), tier).failures).toEqual(['decode']);
    expect(judgeCall(call('a', 50, 1000.1), tier).failures).toEqual(['ttft']);
    expect(judgeCall(call('a', 5, 5000), tier).failures).toEqual(['ttft', 'decode']);
    expect(judgeCall(call('a', 50, 10, false), tier).failures).toEqual(['error']);
    // One-token outputs have no decode rate: the floor is met (vLLM counts their TPOT as 0).
    expect(judgeCall(call('a', null, 10), tier).meets).toBe(true);
    // A cut call with no first token yet after 1500 ms fails the ceiling.
    expect(judgeCall({ agent: 'a', ok: true, ttftMs: null, decodeTokPerS: null, ttftAtLeastMs: 1500 }, tier).failures).toEqual(['ttft']);
  });

  it('an agent meets a tier with >= 90% of its calls; a level passes with >= 95% of agents', () => {
    const calls: SloCall[] = [];
    // 20 agents; agent 0 has 9/10 good calls (meets), agent 1 has 8/10 (fails).
    for (let a = 0; a < 20; a++) for (let i = 0; i < 10; i++) calls.push(call(String(a), a === 0 && i === 0 ? 1 : a === 1 && i < 2 ? 1 : 30));
    const v = evaluateTier(calls, tier);
    expect(v.agentsActive).toBe(20);
    expect(v.agentsMeeting).toBe(19);
    expect(v.passRate).toBeCloseTo(0.95);
    expect(v.pass).toBe(true);
    expect(v.callFailures).toEqual({ ttft: 0, decode: 3, error: 0 });
    expect(v.bindingConstraint).toBe('decode');
    // Stricter thresholds are parameters.
    const strict = evaluateTier(calls, tier, { callPassFraction: 0.9, agentPassFraction: 0.99 });
    expect(strict.pass).toBe(false);
    expect(strict.thresholds.agentPassFraction).toBe(0.99);
  });

  it('no active agents means no pass; binding constraint is the condition that failed more calls', () => {
    expect(evaluateTier([], tier).pass).toBe(false);
    expect(evaluateTier([], tier).passRate).toBeNull();
    expect(bindingOf({ ttft: 5, decode: 2, error: 1 })).toBe('ttft');
    expect(bindingOf({ ttft: 1, decode: 2, error: 1 })).toBe('decode');
    expect(bindingOf({ ttft: 1, decode: 2, error: 3 })).toBe('errors');
    expect(bindingOf({ ttft: 0, decode: 0, error: 0 })).toBe('none');
  });

  it('parses --slo tiers with default and explicit TTFT ceilings', () => {
    expect(parseSloTiers('60,20', 10000)).toEqual([{ sloTokPerS: 20, ttftCeilingMs: 10000 }, { sloTokPerS: 60, ttftCeilingMs: 10000 }]);
    expect(parseSloTiers('20:2000, 60:500', 1)).toEqual([{ sloTokPerS: 20, ttftCeilingMs: 2000 }, { sloTokPerS: 60, ttftCeilingMs: 500 }]);
    expect(() => parseSloTiers('fast', 1)).toThrow(/floor/);
    expect(() => parseSloTiers('', 1)).toThrow(/no tier/);
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
