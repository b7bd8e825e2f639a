/**
 * The SLO judge (DESIGN 4, pure). A tier is an output-speed floor plus a TTFT ceiling.
 * - a call meets a tier if it did not fail, its decode rate (or, cut, its upper bound) >= floor and
 *   its TTFT (or its lower bound, when the first token had not come) <= ceiling;
 * - an agent (a lane) meets it when >= callPassFraction of its judged window calls do AND its
 *   token-weighted decode rate over them (sum of tokens / sum of spans) >= floor (agentRule);
 * - a lane with an unfinished call and no output in the window, or one silent without a recorded
 *   wait, fails; one idle in a tool wait all window is excluded, with the reason;
 * - a level passes if >= agentPassFraction of its judged agents meet it.
 * The thresholds are parameters and are returned with every verdict.
 */
import { laneActivity, windowCall, type CallObservation, type IdleSpan, type LaneActivity, type LevelWindow, type WindowCall } from './window.js';

export interface SloTier {
  /** Output-speed floor, tokens/s per stream (decode rate). */
  sloTokPerS: number;
  /** TTFT ceiling in ms. */
  ttftCeilingMs: number;
}

/** Which rule decides an agent: its share of meeting calls, its token-weighted rate, or both. */
export type AgentRule = 'calls' | 'tokens' | 'calls-and-tokens';

export interface SloThresholds {
  /** Share of an agent's window calls that must meet the tier (default 0.9). */
  callPassFraction: number;
  /** Share of active agents that must meet the tier for the level to pass (default 0.95). */
  agentPassFraction: number;
  /** Default calls-and-tokens. */
  agentRule?: AgentRule;
}

export const DEFAULT_SLO_THRESHOLDS: SloThresholds = { callPassFraction: 0.9, agentPassFraction: 0.95, agentRule: 'calls-and-tokens' };

export type CallFailure = 'ttft' | 'decode' | 'error';
export type BindingConstraint = 'ttft' | 'decode' | 'errors' | 'none';

export interface CallVerdict {
  /** Some condition could be decided (a call cut before its first token, under the ceiling, decides nothing). */
  judged: boolean;
  meets: boolean;
  failures: CallFailure[];
}

export function judgeCall(c: WindowCall, tier: SloTier): CallVerdict {
  if (c.error) return { judged: true, meets: false, failures: ['error'] };
  const failures: CallFailure[] = [];
  let judged = false;
  if (c.ttft) {
    if (c.ttft.ms > tier.ttftCeilingMs) {
      failures.push('ttft');
      judged = true;
    } else if (!c.ttft.atLeast) judged = true;
  }
  if (c.decode) {
    judged = true;
    if (c.decode.tokPerS < tier.sloTokPerS) failures.push('decode');
  } else if (c.decodeNotJudged === 'one-token output') judged = true;
  return { judged, meets: judged && failures.length === 0, failures };
}

export type AgentStatus = 'judged' | 'failed-silent' | 'not-judged' | 'excluded';

export interface AgentVerdict {
  agent: string;
  status: AgentStatus;
  /** Window calls judged, and of them meeting the tier. */
  calls: number;
  callsMeeting: number;
  partialCalls: number;
  /** Sum of decode tokens / sum of decode spans over the judged calls (null: no decode judged). */
  tokenWeightedTokPerS: number | null;
  meetsCalls: boolean;
  meetsTokens: boolean;
  meets: boolean;
  reason?: string;
}

export interface TierVerdict extends SloTier {
  thresholds: SloThresholds;
  agentRule: AgentRule;
  /** Lanes active in the window (judged, failed silent, or active but not judged). */
  agentsActive: number;
  /** Lanes the verdict counts (judged + failed silent): the pass-rate denominator. */
  agentsJudged: number;
  agentsMeeting: number;
  /** agentsMeeting / agentsJudged (null when none was). */
  passRate: number | null;
  pass: boolean;
  callsJudged: number;
  callsMeeting: number;
  /** Judged calls judged on part of themselves (sent before the window, or cut). */
  callsPartial: number;
  /** Of those, the ones that met the tier: a pass on a fragment (a cut call failing its upper bound is decisive). */
  callsPartialMeeting: number;
  /** Calls failing each condition (a call may fail both TTFT and decode). */
  callFailures: { ttft: number; decode: number; error: number };
  /** Lanes that failed by silence (no output, starved). */
  agentsSilent: number;
  /** The condition that failed most calls (errors only when they outnumber both). */
  bindingConstraint: BindingConstraint;
  /** Lanes left out of the verdict, with the reason (idle all window; active but nothing judgeable). */
  excluded: { agent: string; reason: string }[];
  agents: AgentVerdict[];
}

export function bindingOf(f: { ttft: number; decode: number; error: number }): BindingConstraint {
  if (f.ttft === 0 && f.decode === 0 && f.error === 0) return 'none';
  if (f.error > f.ttft && f.error > f.decode) return 'errors';
  return f.ttft > f.decode ? 'ttft' : 'decode';
}

const byAgentName = (x: { agent: string }, y: { agent: string }) => x.agent.localeCompare(y.agent, undefined, { numeric: true });

/**
 * Evaluate one tier over a level's window calls. `lanes`: every lane's activity (laneActivity);
 * without it, the lanes are the ones that have window calls (hand-built call lists).
 */
export function evaluateTier(calls: readonly WindowCall[], tier: SloTier, thresholds: SloThresholds = DEFAULT_SLO_THRESHOLDS, lanes?: readonly LaneActivity[]): TierVerdict {
  const rule = thresholds.agentRule ?? 'calls-and-tokens';
  const per = new Map<string, { calls: number; meeting: number; partial: number; tok: number; span: number; produced: number; cut: boolean; unjudgedWhy: string | null }>();
  const callFailures = { ttft: 0, decode: 0, error: 0 };
  let callsMeeting = 0;
  let callsJudged = 0;
  let callsPartial = 0;
  let callsPartialMeeting = 0;
  for (const c of calls) {
    const a = per.get(c.agent) ?? { calls: 0, meeting: 0, partial: 0, tok: 0, span: 0, produced: 0, cut: false, unjudgedWhy: null };
    per.set(c.agent, a);
    a.produced += c.producedInWindow;
    a.cut ||= c.cut;
    const v = judgeCall(c, tier);
    if (!v.judged) {
      a.unjudgedWhy ??= c.decodeNotJudged ?? 'nothing judgeable';
      continue;
    }
    a.calls++;
    callsJudged++;
    if (c.partial) {
      a.partial++;
      callsPartial++;
    }
    if (c.decode) {
      a.tok += c.decode.tokens;
      a.span += c.decode.spanMs;
    }
    if (v.meets) {
      a.meeting++;
      callsMeeting++;
      if (c.partial) callsPartialMeeting++;
    }
    for (const f of v.failures) callFailures[f]++;
  }
  const agents: AgentVerdict[] = [];
  const excluded: { agent: string; reason: string }[] = [];
  const blank = { calls: 0, callsMeeting: 0, partialCalls: 0, tokenWeightedTokPerS: null, meetsCalls: false, meetsTokens: false, meets: false };
  // Lanes with window calls that the activity list lacks are active too (a call is never dropped).
  const listed = new Set((lanes ?? []).map((l) => l.agent));
  const activity = [...(lanes ?? []), ...[...per.keys()].filter((a) => !listed.has(a)).map((agent): LaneActivity => ({ agent, state: 'active' }))];
  for (const l of activity) {
    const a = per.get(l.agent);
    if (l.state === 'idle') {
      excluded.push({ agent: l.agent, reason: l.reason });
      agents.push({ agent: l.agent, status: 'excluded', ...blank, reason: l.reason });
      continue;
    }
    if (l.state === 'silent') {
      agents.push({ agent: l.agent, status: 'failed-silent', ...blank, reason: l.reason });
      continue;
    }
    if (!a || a.calls === 0) {
      if (a && a.cut && a.produced === 0) {
        agents.push({ agent: l.agent, status: 'failed-silent', ...blank, reason: 'an unfinished call overlapped the window and the lane produced no output in it' });
        continue;
      }
      const reason = l.state === 'warm-up' ? l.note : `active but not judged: ${a?.unjudgedWhy ?? 'no judgeable call'}`;
      excluded.push({ agent: l.agent, reason });
      agents.push({ agent: l.agent, status: 'not-judged', ...blank, reason });
      continue;
    }
    const tw = a.span > 0 ? (a.tok * 1000) / a.span : null;
    const meetsCalls = a.meeting >= thresholds.callPassFraction * a.calls - 1e-9;
    const meetsTokens = tw === null || tw >= tier.sloTokPerS;
    const meets = rule === 'calls' ? meetsCalls : rule === 'tokens' ? meetsTokens && a.meeting > 0 : meetsCalls && meetsTokens;
    agents.push({ agent: l.agent, status: 'judged', calls: a.calls, callsMeeting: a.meeting, partialCalls: a.partial, tokenWeightedTokPerS: tw, meetsCalls, meetsTokens, meets });
  }
  agents.sort(byAgentName);
  excluded.sort(byAgentName);
  const counted = agents.filter((a) => a.status === 'judged' || a.status === 'failed-silent');
  const verdict = mergeTierCounts(
    {
      agentsActive: agents.filter((a) => a.status !== 'excluded').length,
      agentsJudged: counted.length,
      agentsMeeting: counted.filter((a) => a.meets).length,
      agentsSilent: agents.filter((a) => a.status === 'failed-silent').length,
      callsJudged,
      callsMeeting,
      callsPartial,
      callsPartialMeeting,
      callFailures,
    },
    thresholds,
  );
  return { ...tier, thresholds, agentRule: rule, ...verdict, excluded, agents };
}

/** A tier verdict without its per-agent rows and thresholds: what a level result carries per tier. */
export type TierSummary = Omit<TierVerdict, 'thresholds' | 'agents'>;

/** Every tier from the same calls. */
export function evaluateTiers(calls: readonly WindowCall[], tiers: readonly SloTier[], thresholds: SloThresholds = DEFAULT_SLO_THRESHOLDS, lanes?: readonly LaneActivity[]): TierVerdict[] {
  return tiers.map((t) => evaluateTier(calls, t, thresholds, lanes));
}

/** The rule the verdicts used, in words (printed with every result). */
export function describeRule(t: SloThresholds): string {
  const rule = t.agentRule ?? 'calls-and-tokens';
  const agent =
    rule === 'calls'
      ? `>= ${t.callPassFraction * 100}% of its judged window calls do`
      : rule === 'tokens'
        ? 'its token-weighted decode rate over its window calls is >= floor'
        : `>= ${t.callPassFraction * 100}% of its judged window calls do and its token-weighted decode rate over them is >= floor`;
  return `a call meets a tier if decode rate >= floor (a cut call: its upper bound) and TTFT <= ceiling; an agent (rule ${rule}) if ${agent}; a level passes if >= ${t.agentPassFraction * 100}% of judged agents do (lanes silent in the window fail)`;
}

/** The counts a tier verdict is made of; shards of one level add them up (scale merge). */
export interface TierCounts {
  agentsActive: number;
  agentsJudged: number;
  agentsMeeting: number;
  agentsSilent: number;
  callsJudged: number;
  callsMeeting: number;
  callsPartial: number;
  callsPartialMeeting: number;
  callFailures: { ttft: number; decode: number; error: number };
}

/** The level rule on summed counts (the same rule evaluateTier applies to one run). */
export function mergeTierCounts(c: TierCounts, thresholds: SloThresholds): TierCounts & { passRate: number | null; pass: boolean; bindingConstraint: BindingConstraint } {
  const passRate = c.agentsJudged ? c.agentsMeeting / c.agentsJudged : null;
  return { ...c, passRate, pass: passRate !== null && passRate >= thresholds.agentPassFraction - 1e-9, bindingConstraint: bindingOf(c.callFailures) };
}

/**
 * A level's judging from its drivers' observations: the window rule per call, each lane's
 * activity, and every tier's verdict. Replay and the planner both call exactly this.
 */
export function judgeWindow(observations: readonly CallObservation[], lanes: readonly string[], idle: readonly IdleSpan[], window: LevelWindow, tiers: readonly SloTier[], thresholds: SloThresholds = DEFAULT_SLO_THRESHOLDS, clientLagP99Ms?: number) {
  const calls = observations.map((o) => windowCall(o, window, clientLagP99Ms)).filter((c): c is WindowCall => c !== null);
  const activity = laneActivity(lanes, observations, idle, window);
  return { calls, activity, verdicts: evaluateTiers(calls, tiers, thresholds, activity) };
}
