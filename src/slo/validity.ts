/**
 * Validity rules (DESIGN 4, Validity / Steady state), pure, for every driver: a level is invalid,
 * with reasons, when the client saturates, context overflows or errors exceed their limits, the
 * window is shorter than its minimum, or too little of the load was judged (judged share of active
 * lanes, share of judged calls that were partial). A tier is invalid for a level when the client
 * cannot show its own timing is good enough for what the tier judges: the timing canary did not
 * run, its read-lag p99 is a large share of the TTFT ceiling, or too many calls' decode rates were
 * not resolvable (window.ts: lag over 10% of a call's token span, or coalesced reads).
 *
 * Why the span and not one inter-token period: the verdict judges a call's decode rate, (tokens - 1)
 * over its first-to-last token span, never a single token gap; a stamp error e moves that rate by at
 * most e / span. Comparing the lag with one inter-token period (1/floor) would void every tier on any
 * host that runs the simulator beside the client, while the rates it judges are good to ~1%.
 */
import { interTokenPeriodMs } from './metrics.js';
import type { SloTier, TierVerdict } from './judge.js';
import { steadyLaneCount, STEADY_LANE_SHARE } from './window.js';

export interface ValidityThresholds {
  maxEventLoopUtilization: number;
  maxEventLoopDelayP99Ms: number;
  /** Process CPU as a share of all cores (client + an embedded simulator). */
  maxProcessCpuShare: number;
  maxContextOverflowRate: number;
  maxErrorRate: number;
  minWindowS: number;
  /** Share of the lanes that must be active (not idle in a tool wait all window). */
  minActiveAgentFraction: number;
  /** Share of active lanes that must be judged (default 0.9). */
  minJudgedAgentFraction: number;
  /** Largest share of judged calls that may pass on a partial measure (sent before the window, or cut and above the floor so far); default 0.5. */
  maxPartialCallFraction: number;
  /** Largest canary read-lag p99 as a share of the tier's TTFT ceiling (default 0.1). */
  maxCanaryLagShare: number;
  /** Largest share of decode-measured window calls whose rate the client could not resolve (default 0.1). */
  maxClientUnresolvedShare: number;
}

export const DEFAULT_VALIDITY: ValidityThresholds = {
  maxEventLoopUtilization: 0.9,
  maxEventLoopDelayP99Ms: 100,
  maxProcessCpuShare: 0.97,
  maxContextOverflowRate: 0.01,
  maxErrorRate: 0.05,
  minWindowS: 5,
  minActiveAgentFraction: 0.5,
  minJudgedAgentFraction: 0.9,
  maxPartialCallFraction: 0.5,
  maxCanaryLagShare: 0.1,
  maxClientUnresolvedShare: 0.1,
};

/** The timing canary's read lag over a level's window (endpoint canary, when one ran). */
export interface CanaryLag {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ClientLoad {
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  processCpuCores: number;
  cores: number;
}

export interface LevelFacts {
  /** Lanes the level ran (this process). */
  lanes: number;
  windowS: number;
  errorRate: number;
  /** Faulted tries of retried calls counted in errorRate (--retries). */
  faultedTries?: number;
  contextOverflowRate: number;
  warmupCompleted: boolean;
  interrupted: boolean;
  /** The lanes that had finished a full call before the window (steady-state rule), when counted. */
  lanesWithFullCycle?: number;
  saturation?: ClientLoad | null;
  canary?: CanaryLag | null;
}

/** How much of the load the verdict rests on (printed per level). */
export interface JudgedShare {
  agentsActive: number;
  agentsJudged: number;
  /** agentsJudged / agentsActive (null with no active lane). */
  judgedShare: number | null;
  callsJudged: number;
  callsPartial: number;
  /** Partial calls that met the tier (a pass on a fragment); the gate counts these. */
  callsPartialMeeting: number;
  /** callsJudged / agentsJudged. */
  callsPerJudgedAgent: number | null;
  agentsExcluded: number;
}

/** The share figures from the tier with the smallest judged share (the verdicts differ only at the TTFT bounds). */
export function judgedShare(verdicts: readonly TierVerdict[]): JudgedShare {
  const pick = [...verdicts].sort((a, b) => a.agentsJudged / Math.max(1, a.agentsActive) - b.agentsJudged / Math.max(1, b.agentsActive))[0];
  if (!pick) return { agentsActive: 0, agentsJudged: 0, judgedShare: null, callsJudged: 0, callsPartial: 0, callsPartialMeeting: 0, callsPerJudgedAgent: null, agentsExcluded: 0 };
  return {
    agentsActive: pick.agentsActive,
    agentsJudged: pick.agentsJudged,
    judgedShare: pick.agentsActive ? pick.agentsJudged / pick.agentsActive : null,
    callsJudged: pick.callsJudged,
    callsPartial: pick.callsPartial,
    callsPartialMeeting: Math.max(...verdicts.map((v) => v.callsPartialMeeting)),
    callsPerJudgedAgent: pick.agentsJudged ? pick.callsJudged / pick.agentsJudged : null,
    agentsExcluded: pick.excluded.length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export function describeShare(s: JudgedShare): string {
  return `judged ${s.agentsJudged} of ${s.agentsActive} active agents (${s.judgedShare === null ? '-' : pct(s.judgedShare)}), ${s.callsPerJudgedAgent === null ? '-' : s.callsPerJudgedAgent.toFixed(1)} judged calls each; ${s.callsPartial} of ${s.callsJudged} judged calls partial (${s.callsPartialMeeting} passing on a partial measure)${s.agentsExcluded ? `; ${s.agentsExcluded} excluded` : ''}`;
}

/** Reasons a level is invalid (empty = valid). */
export function levelValidity(facts: LevelFacts, verdicts: readonly TierVerdict[], v: ValidityThresholds = DEFAULT_VALIDITY): { reasons: string[]; share: JudgedShare } {
  const reasons: string[] = [];
  const sat = facts.saturation;
  if (sat) {
    if (sat.eventLoopUtilization > v.maxEventLoopUtilization)
      reasons.push(`client saturated: event loop busy ${pct(sat.eventLoopUtilization)} of the window (limit ${pct(v.maxEventLoopUtilization)})`);
    if (sat.eventLoopDelayP99Ms > v.maxEventLoopDelayP99Ms) reasons.push(`client saturated: event-loop delay p99 ${sat.eventLoopDelayP99Ms.toFixed(0)} ms (limit ${v.maxEventLoopDelayP99Ms} ms)`);
    if (sat.processCpuCores > v.maxProcessCpuShare * sat.cores) reasons.push(`machine saturated: process CPU ${sat.processCpuCores.toFixed(2)} of ${sat.cores} cores`);
  }
  if (facts.contextOverflowRate > v.maxContextOverflowRate)
    reasons.push(`context overflows ${(facts.contextOverflowRate * 100).toFixed(1)}% of window calls (limit ${(v.maxContextOverflowRate * 100).toFixed(0)}%)`);
  if (facts.errorRate > v.maxErrorRate)
    reasons.push(`error rate ${(facts.errorRate * 100).toFixed(1)}% of window ${facts.faultedTries ? `tries (${facts.faultedTries} retried faults included)` : 'calls'} (limit ${(v.maxErrorRate * 100).toFixed(0)}%)`);
  // 5% slack: timers end a window a hair early or late; the configured window is checked up front.
  if (facts.windowS < v.minWindowS * 0.95) reasons.push(`window ${facts.windowS.toFixed(1)} s is shorter than the minimum ${v.minWindowS} s`);
  const share = judgedShare(verdicts);
  if (share.agentsActive < v.minActiveAgentFraction * facts.lanes)
    reasons.push(`only ${share.agentsActive} of ${facts.lanes} agents were active in the window (minimum ${pct(v.minActiveAgentFraction)}); the rest idled in tool waits: lengthen the window`);
  if (share.agentsActive > 0 && share.agentsJudged < v.minJudgedAgentFraction * share.agentsActive - 1e-9)
    reasons.push(
      `not judged: only ${share.agentsJudged} of ${share.agentsActive} active agents had a judgeable call (minimum ${pct(v.minJudgedAgentFraction)})${share.callsPerJudgedAgent !== null && share.callsPerJudgedAgent < 1.5 ? '; the window is shorter than about one call cycle' : ''}`,
    );
  // A cut call below the floor on its upper bound is a decided failure; a pass on a fragment is not decided.
  if (share.callsJudged > 0 && share.callsPartialMeeting > v.maxPartialCallFraction * share.callsJudged + 1e-9)
    reasons.push(`not judged: ${share.callsPartialMeeting} of ${share.callsJudged} judged calls met the tier only on a partial measure (sent before the window or cut; limit ${pct(v.maxPartialCallFraction)}): lengthen the window or the drain cap`);
  if (facts.lanesWithFullCycle !== undefined && facts.lanesWithFullCycle < steadyLaneCount(facts.lanes))
    reasons.push(`not steady: only ${facts.lanesWithFullCycle} of ${facts.lanes} lanes finished a full call before the window (${pct(STEADY_LANE_SHARE)} needed; warm-up cap hit)`);
  if (!facts.warmupCompleted) reasons.push('warm-up requests did not all finish within the warm-up cap');
  if (facts.interrupted) reasons.push('interrupted');
  return { reasons, share };
}

/**
 * Reasons one tier cannot be judged at this level (client timing), empty when it can. `canary`
 * undefined: no canary was run (virtual time, tests); null: it could not start, so the client
 * cannot show it resolves the tier's token gaps.
 */
export function tierValidity(
  tier: SloTier,
  canary: CanaryLag | null | undefined,
  v: ValidityThresholds = DEFAULT_VALIDITY,
  resolution?: ClientResolution,
): string[] {
  if (canary === undefined || !(tier.sloTokPerS > 0)) return [];
  if (canary === null || canary.samples === 0) return [`timing canary did not run, so the client cannot show it resolves the ${tier.sloTokPerS} tok/s tier's timings`];
  const reasons: string[] = [];
  const ttftLimit = v.maxCanaryLagShare * tier.ttftCeilingMs;
  if (canary.p99Ms > ttftLimit)
    reasons.push(`client read lag p99 ${fmtMs(canary.p99Ms)} ms (timing canary) exceeds ${v.maxCanaryLagShare * 100}% of the TTFT ceiling (${fmtMs(ttftLimit)} of ${fmtMs(tier.ttftCeilingMs)} ms)`);
  if (resolution && resolution.decodeMeasured > 0 && resolution.unresolved > v.maxClientUnresolvedShare * resolution.decodeMeasured)
    reasons.push(
      `the client could not resolve the decode rate of ${resolution.unresolved} of ${resolution.decodeMeasured} window calls (read lag p99 ${fmtMs(canary.p99Ms)} ms over 10% of their token span, or coalesced reads; at most ${v.maxClientUnresolvedShare * 100}% allowed; inter-token period at this floor ${fmtMs(interTokenPeriodMs(tier.sloTokPerS))} ms)`,
    );
  return reasons;
}

/** How many window calls had a measured decode rate, and how many of those the client could not resolve. */
export interface ClientResolution {
  decodeMeasured: number;
  unresolved: number;
}

export function clientResolution(calls: readonly { decode: unknown; clientUnresolved: boolean }[]): ClientResolution {
  let decodeMeasured = 0;
  let unresolved = 0;
  for (const c of calls) {
    if (c.clientUnresolved) unresolved++;
    if (c.clientUnresolved || c.decode) decodeMeasured++;
  }
  return { decodeMeasured, unresolved };
}

const fmtMs = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));
