import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ManualClock, Rng } from '../../src/core/index.js';
import {
  classifyViolation, generateWorkload, runBench, runPolicyTrial, type FaultName, type ModelFn,
} from '../../src/budget/index.js';

// An in-process stand-in for the simulator: counts prompt tokens like it (words + 3 per message
// + 3), produces min(want, max_tokens) tokens, and yields to the event loop like a real call.
function fakeModel(fault: FaultName = 'none'): ModelFn {
  return async (call) => {
    await tick();
    await tick();
    const prompt = 3 + call.messages.reduce((a, m) => a + 3 + (m.content ? m.content.split(' ').length : 0), 0);
    const limit = fault === 'ignore_max_tokens' ? Math.ceil(call.maxTokens * 1.5) : call.maxTokens;
    const completion = Math.min(call.wantOutputTokens, limit);
    return {
      ok: true, errorClass: null,
      usage: fault === 'missing_usage' ? null : { promptTokens: prompt, completionTokens: completion },
      trueTokens: { prompt, completion }, outputText: Array.from({ length: completion }, () => 'x').join(' '),
    };
  };
}

describe('budget policies (in-process model)', () => {
  const clock = new ManualClock();
  it('naive check-then-spend overruns a wide fan-out; affine does not', async () => {
    const w = generateWorkload(new Rng(7), { maxWidth: 32, maxDepth: 1 });
    const budget = Math.round(w.demandTokens * 0.5);
    const naive = await runPolicyTrial(w, { policy: 'naive', budgetTokens: budget, model: fakeModel(), clock });
    expect(naive.trueSpentTokens).toBeGreaterThan(budget);
    expect(classifyViolation(naive)).toBe('check_then_spend_race');
    for (const policy of ['static', 'affine', 'adaptive'] as const) {
      const t = await runPolicyTrial(w, { policy, budgetTokens: budget, model: fakeModel(), clock });
      expect(t.trueSpentTokens, policy).toBeLessThanOrEqual(budget);
      expect(t.conserved, policy).toBe(true);
      expect(t.turnsRun, policy).toBeGreaterThan(0);
    }
  });

  it('a server that ignores max_tokens is detected and blamed on the server', async () => {
    const w = generateWorkload(new Rng(3), { maxWidth: 8, maxDepth: 1 });
    // A server that always generates 20 tokens past the max_tokens it was sent. (The softer
    // fakeModel('ignore_max_tokens') never pushed affine over budget here, so an assertion guarded
    // by "if overrun" never ran.)
    const base = fakeModel();
    const overrun: ModelFn = (call) => base({ ...call, wantOutputTokens: call.maxTokens + 20, maxTokens: call.maxTokens + 20 });
    const t = await runPolicyTrial(w, { policy: 'affine', budgetTokens: Math.round(w.demandTokens * 0.3), model: overrun, clock });
    expect(t.conserved).toBe(true);
    const flagged = t.calls.filter((c) => c.faults.includes('output_over_max_tokens'));
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((c) => c.trueCompletion > c.maxTokensSent)).toBe(true);
    // An overrun with a flagged call is the server's fault; the same overrun without one is not.
    const over = { ...t, trueSpentTokens: t.budgetTokens + 1 };
    expect(classifyViolation(over)).toBe('server_ignored_max_tokens');
    const clean = { ...over, calls: over.calls.map((c) => ({ ...c, faults: c.faults.filter((f) => f !== 'output_over_max_tokens') })) };
    expect(classifyViolation(clean)).not.toBe('server_ignored_max_tokens');
    expect(classifyViolation({ ...t, trueSpentTokens: t.budgetTokens })).toBeNull(); // at budget is no violation
  });

  it('bench: affine and adaptive 0 violations across faults; naive overruns; adaptive provisions less than affine', async () => {
    const faults: FaultName[] = ['none', 'missing_usage', 'tokenizer_mismatch', 'tool_loop'];
    const { summaries } = await runBench({
      policies: ['naive', 'static', 'affine', 'adaptive'], trials: 24, seed: 11, faults, clock,
      modelFor: (f) => fakeModel(f), concurrency: 8,
    });
    const by = Object.fromEntries(summaries.map((s) => [s.policy, s]));
    expect(by.naive.violations).toBeGreaterThan(0);
    expect(by.naive.maxOvershootPct).toBeGreaterThan(0);
    for (const p of ['static', 'affine', 'adaptive']) {
      expect(by[p].violations, p).toBe(0);
      expect(by[p].conservationFailures, p).toBe(0);
    }
    expect(by.adaptive.overProvisioning!).toBeLessThan(by.affine.overProvisioning!);
    for (const s of summaries) {
      const classified = Object.values(s.byCategory).reduce((a, b) => a + (b ?? 0), 0);
      expect(classified).toBe(s.violations);
      expect(s.byCategory.unclassified ?? 0).toBe(0);
    }
  });
});
