/**
 * Plan, then verify (issue 12, `npm start`): on the built-in simulator a virtual-time sweep is
 * cheap and exact for the profile, while a real-HTTP level at the steady-state rules costs about
 * a minute. So the planner proposes each tier's bracket and the HTTP sweep runs only the levels
 * around it while the time budget lasts, cheapest first: the tiers' planned max passing levels
 * (at least one), then planned min failing levels, then, when a planned max passing level fails
 * over HTTP, one level below it. Costs come from the planner's own level durations (virtual s = real s on the
 * live simulator) plus a fixed set-up allowance. Pure: the caller runs the levels.
 *
 * The fallback may run past the budget, up to FALLBACK_BUDGET_FACTOR x it: without it a planned
 * N_max that misses over HTTP (a boundary level: one agent of 16 under the floor) leaves the tier
 * unresolved, and one more level of about a minute is the cheaper answer to give a first run.
 */
import type { LevelOutcome } from '../slo/index.js';
import type { PlanSweepResult } from './sweep.js';

export interface VerifyTier {
  sloTokPerS: number;
  plannedMaxPassing: number | null;
  plannedMinFailing: number | null;
}

export interface VerifyPlan {
  /** Levels to run over HTTP first, in order. */
  levels: number[];
  /** Estimated seconds of those levels. */
  estimatedS: number;
  budgetS: number;
  tiers: VerifyTier[];
  /** Planned min failing levels left to the planner (not run over HTTP), per tier floor. */
  unverified: { sloTokPerS: number; level: number; reason: string }[];
  /** The next level to run given the HTTP outcomes so far (the planned ones, then one fallback). */
  next(outcomes: readonly LevelOutcome[]): number | null;
  /** Set once the fallback level is chosen: why, and whether it runs past the budget. */
  fallback: { sloTokPerS: number; failedLevel: number; level: number; estimatedTotalS: number; pastBudget: boolean } | null;
}

/** How far past the budget the one fallback level may take the run (see the file comment). */
export const FALLBACK_BUDGET_FACTOR = 1.5;

/** Seconds a level takes beyond its virtual duration (lane set-up, stop, evaluation). */
export const LEVEL_OVERHEAD_S = 3;

export function verificationPlan(plan: PlanSweepResult, budgetS: number): VerifyPlan {
  const cost = (n: number): number => {
    // The planned level itself, else the nearest planned one scaled by lane count.
    const exact = plan.levels.find((l) => l.concurrency === n);
    if (exact) return exact.endS + LEVEL_OVERHEAD_S;
    const near = [...plan.levels].sort((a, b) => Math.abs(a.concurrency - n) - Math.abs(b.concurrency - n))[0];
    return near ? near.endS * Math.max(1, n / near.concurrency) + LEVEL_OVERHEAD_S : Infinity;
  };
  const tiers: VerifyTier[] = plan.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, plannedMaxPassing: t.maxPassing, plannedMinFailing: t.minFailing }));
  const levels: number[] = [];
  let estimatedS = 0;
  const add = (n: number) => {
    if (levels.includes(n)) return;
    levels.push(n);
    estimatedS += cost(n);
  };
  const unverified: VerifyPlan['unverified'] = [];
  // Tiers' N_max first (the figure the run prints), cheapest first, at least one; then min failing levels.
  const maxes = tiers.filter((t) => t.plannedMaxPassing).sort((a, b) => cost(a.plannedMaxPassing!) - cost(b.plannedMaxPassing!));
  for (const t of maxes) {
    const n = t.plannedMaxPassing!;
    if (levels.includes(n)) continue;
    if (!levels.length || estimatedS + cost(n) <= budgetS) add(n);
    else unverified.push({ sloTokPerS: t.sloTokPerS, level: n, reason: `N_max not run over HTTP: about ${cost(n).toFixed(0)} s more than the ${budgetS} s budget allows` });
  }
  const fails = tiers.filter((t) => t.plannedMinFailing !== null).sort((a, b) => cost(a.plannedMinFailing!) - cost(b.plannedMinFailing!));
  for (const t of fails) {
    const n = t.plannedMinFailing!;
    if (levels.includes(n)) continue;
    if (estimatedS + cost(n) <= budgetS) add(n);
    else unverified.push({ sloTokPerS: t.sloTokPerS, level: n, reason: `min failing not run over HTTP: about ${cost(n).toFixed(0)} s more than the ${budgetS} s budget allows` });
  }
  const planned = [...levels];
  let fallbackUsed = false;
  const v: VerifyPlan = {
    levels: planned,
    estimatedS,
    budgetS,
    tiers,
    unverified,
    fallback: null,
    next(outcomes) {
      const run = new Set(outcomes.map((o) => o.concurrency));
      const todo = planned.find((n) => !run.has(n));
      if (todo !== undefined) return todo;
      if (fallbackUsed) return null;
      // A planned N_max that failed (or was invalid) over HTTP: one level below it, if the budget allows.
      for (const [i, t] of tiers.entries()) {
        if (!t.plannedMaxPassing) continue;
        const o = outcomes.find((x) => x.concurrency === t.plannedMaxPassing);
        if (!o || (o.valid && o.pass[i] && o.tierValid?.[i] !== false)) continue;
        const lower = Math.max(1, Math.floor(t.plannedMaxPassing * 0.75));
        if (run.has(lower) || lower === t.plannedMaxPassing) continue;
        const spent = outcomes.reduce((s, x) => s + cost(x.concurrency), 0);
        if (spent + cost(lower) > budgetS * FALLBACK_BUDGET_FACTOR) return null;
        fallbackUsed = true;
        v.fallback = { sloTokPerS: t.sloTokPerS, failedLevel: t.plannedMaxPassing, level: lower, estimatedTotalS: spent + cost(lower), pastBudget: spent + cost(lower) > budgetS };
        return lower;
      }
      return null;
    },
  };
  return v;
}
