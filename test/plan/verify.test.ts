import { describe, expect, it } from 'vitest';
import { verificationPlan, FALLBACK_BUDGET_FACTOR, LEVEL_OVERHEAD_S, type PlanSweepResult } from '../../src/plan/index.js';

/** A plan with levels of the given virtual durations and tiers' brackets (only the fields verify reads). */
function plan(levels: [number, number][], tiers: [number, number | null, number | null][]): PlanSweepResult {
  return {
    levels: levels.map(([concurrency, endS]) => ({ concurrency, endS })),
    tiers: tiers.map(([sloTokPerS, maxPassing, minFailing]) => ({ sloTokPerS, maxPassing, minFailing })),
  } as unknown as PlanSweepResult;
}

describe('plan-then-verify', () => {
  const p = plan([[16, 50], [18, 55], [84, 85], [90, 95]], [[20, 84, 90], [60, 16, 18]]);

  it('runs the N_max levels cheapest first, then min failing levels while the budget lasts; says what it left out', () => {
    const v = verificationPlan(p, 150);
    expect(v.levels).toEqual([16, 84]);
    expect(v.estimatedS).toBeCloseTo(50 + 85 + 2 * LEVEL_OVERHEAD_S);
    expect(v.unverified.map((u) => u.level).sort()).toEqual([18, 90]);
    const wide = verificationPlan(p, 400);
    expect(wide.levels).toEqual([16, 84, 18, 90]);
    // A small budget still runs the cheapest N_max level and names the rest.
    const quick = verificationPlan(p, 60);
    expect(quick.levels).toEqual([16]);
    expect(quick.unverified.find((u) => u.level === 84)?.reason).toMatch(/N_max not run over HTTP/);
  });

  it('after the planned levels, one level below a planned N_max that failed over HTTP, within the budget', () => {
    const v = verificationPlan(p, 195);
    expect(v.levels).toEqual([16, 84]);
    const ok = (c: number, pass: boolean[]) => ({ concurrency: c, valid: true, pass, passRates: pass.map((x) => (x ? 1 : 0)) });
    expect(v.next([])).toBe(16);
    expect(v.next([ok(16, [true, false])])).toBe(84);
    const done = [ok(16, [true, false]), ok(84, [true, false])];
    // 16 failed the 60 tok/s tier over HTTP: try 12 (0.75 x 16) once.
    expect(v.next(done)).toBe(12);
    expect(v.next([...done, ok(12, [true, true])])).toBeNull();
    // Everything passed as planned: nothing more.
    expect(v.next([ok(16, [true, true]), ok(84, [true, false])])).toBeNull();
  });

  it('the one fallback may run past the budget, up to FALLBACK_BUDGET_FACTOR x it, and says so', () => {
    const ok = (c: number, pass: boolean[]) => ({ concurrency: c, valid: true, pass, passRates: pass.map((x) => (x ? 1 : 0)) });
    const done = [ok(16, [true, false]), ok(84, [true, false])];
    // npm start's 150 s: 16 and 84 take ~141 s; 12 (~53 s) is past the budget but within 1.5 x.
    const v = verificationPlan(p, 150);
    expect(v.fallback).toBeNull();
    expect(v.next(done)).toBe(12);
    expect(v.fallback).toMatchObject({ sloTokPerS: 60, failedLevel: 16, level: 12, pastBudget: true });
    expect(v.fallback!.estimatedTotalS).toBeLessThanOrEqual(150 * FALLBACK_BUDGET_FACTOR);
    // Past 1.5 x the budget: no fallback, the tier stays unresolved.
    const tight = verificationPlan(p, 60);
    expect(tight.levels).toEqual([16]);
    expect(tight.next([ok(16, [true, false])])).toBeNull();
    expect(tight.fallback).toBeNull();
  });
});
