/**
 * The timing-canary tier rule, kept under its first name for existing callers: it now lives in the
 * SLO core (src/slo/validity.ts tierValidity), where replay, the planner and merge judge alike. A
 * tier is invalid at a level when the canary's read-lag p99 exceeds 10% of its inter-token period.
 */
import type { CanaryStats } from '../endpoint/index.js';
import { DEFAULT_VALIDITY, tierValidity } from '../slo/index.js';

/** Share of the inter-token period the canary's p99 may take (DESIGN 4). */
export const CANARY_MAX_PERIOD_SHARE = DEFAULT_VALIDITY.maxCanaryLagShare;

/** Why the tier cannot be judged at this level, or null when the canary resolves it (or did not run). */
export function canaryTierReason(canary: CanaryStats | null | undefined, floorTokPerS: number): string | null {
  return tierValidity({ sloTokPerS: floorTokPerS, ttftCeilingMs: 0 }, canary)[0] ?? null;
}
