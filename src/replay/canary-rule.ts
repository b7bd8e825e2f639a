/**
 * TEMPORARY home (i12b, issue 12 item 5) of the rule that belongs in the SLO judge (src/slo, i12):
 * a tier is invalid at a level when the client's own read lag, measured by the timing canary over
 * the window, exceeds 10 % of the tier's inter-token period (1 / floor): a client that stamps
 * arrivals 2 ms late cannot tell 60 tok/s (16.7 ms gaps) from 50. Invalid is neither a pass nor a
 * measured failure. Until the judge has per-tier validity, evaluate.ts keeps the verdict and sets
 * the tier's invalidReason (printed as INVALID), and sweep.ts marks the sweep NOT VALID when a
 * tier's N_max level is one its client could not resolve.
 */
import type { CanaryStats } from '../endpoint/index.js';

/** Share of the inter-token period the canary's p99 may take (DESIGN 4). */
export const CANARY_MAX_PERIOD_SHARE = 0.1;

/** Why the tier cannot be judged at this level, or null when the canary resolves it (or did not run). */
export function canaryTierReason(canary: CanaryStats | null | undefined, floorTokPerS: number): string | null {
  if (canary === undefined || !(floorTokPerS > 0)) return null;
  const periodMs = 1000 / floorTokPerS;
  const limitMs = CANARY_MAX_PERIOD_SHARE * periodMs;
  if (canary === null || canary.samples === 0) return `timing canary did not run, so the client cannot show it resolves ${fmt(periodMs)} ms token gaps`;
  if (canary.p99Ms > limitMs)
    return `client read lag p99 ${fmt(canary.p99Ms)} ms (timing canary) exceeds ${CANARY_MAX_PERIOD_SHARE * 100}% of the ${floorTokPerS} tok/s inter-token period (${fmt(limitMs)} of ${fmt(periodMs)} ms)`;
  return null;
}

const fmt = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
