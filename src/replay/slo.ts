/**
 * SLO evaluation (DESIGN 4, pure). A tier is an output-speed floor plus a TTFT ceiling.
 * - a call meets a tier if it succeeded, its decode rate >= floor and its TTFT <= ceiling;
 * - an agent (a lane: the unit the concurrency counts) meets it if >= callPassFraction of its calls
 *   in the window do;
 * - a level passes if >= agentPassFraction of the agents active in the window meet it.
 * The thresholds are parameters and are returned with every verdict.
 */

export interface SloTier {
  /** Output-speed floor, tokens/s per stream (decode rate). */
  sloTokPerS: number;
  /** TTFT ceiling in ms. */
  ttftCeilingMs: number;
}

export interface SloThresholds {
  /** Share of an agent's window calls that must meet the tier (default 0.9). */
  callPassFraction: number;
  /** Share of active agents that must meet the tier for the level to pass (default 0.95). */
  agentPassFraction: number;
}

export const DEFAULT_SLO_THRESHOLDS: SloThresholds = { callPassFraction: 0.9, agentPassFraction: 0.95 };

/** One call as the SLO sees it. `null` metrics mean "not judged on that condition". */
export interface SloCall {
  agent: string;
  ok: boolean;
  /** Error class when !ok. */
  errorClass?: string | null;
  ttftMs: number | null;
  /** null when the output had <= 1 token: the floor is then met (vLLM counts TPOT of 1-token outputs as 0). */
  decodeTokPerS: number | null;
  /** A cut-off call whose first token had not arrived yet: TTFT known to exceed this many ms. */
  ttftAtLeastMs?: number | null;
}

export type CallFailure = 'ttft' | 'decode' | 'error';
export type BindingConstraint = 'ttft' | 'decode' | 'errors' | 'none';

export interface CallVerdict {
  meets: boolean;
  failures: CallFailure[];
}

export function judgeCall(c: SloCall, tier: SloTier): CallVerdict {
  if (!c.ok) return { meets: false, failures: ['error'] };
  const failures: CallFailure[] = [];
  const ttft = c.ttftMs ?? c.ttftAtLeastMs ?? null;
  if (ttft !== null && ttft > tier.ttftCeilingMs) failures.push('ttft');
  if (c.decodeTokPerS !== null && c.decodeTokPerS < tier.sloTokPerS) failures.push('decode');
  return { meets: failures.length === 0, failures };
}

export interface AgentVerdict {
  agent: string;
  calls: number;
  callsMeeting: number;
  meets: boolean;
}

export interface TierVerdict extends SloTier {
  thresholds: SloThresholds;
  agentsActive: number;
  agentsMeeting: number;
  /** agentsMeeting / agentsActive (null when no agent was active). */
  passRate: number | null;
  pass: boolean;
  callsJudged: number;
  callsMeeting: number;
  /** Calls failing each condition (a call may fail both TTFT and decode). */
  callFailures: { ttft: number; decode: number; error: number };
  /** The condition that failed most calls (errors only when they outnumber both). */
  bindingConstraint: BindingConstraint;
  agents: AgentVerdict[];
}

export function bindingOf(f: { ttft: number; decode: number; error: number }): BindingConstraint {
  if (f.ttft === 0 && f.decode === 0 && f.error === 0) return 'none';
  if (f.error > f.ttft && f.error > f.decode) return 'errors';
  return f.ttft > f.decode ? 'ttft' : 'decode';
}

/** Evaluate one tier over the window calls of one level. */
export function evaluateTier(calls: readonly SloCall[], tier: SloTier, thresholds: SloThresholds = DEFAULT_SLO_THRESHOLDS): TierVerdict {
  const byAgent = new Map<string, { calls: number; meeting: number }>();
  const callFailures = { ttft: 0, decode: 0, error: 0 };
  let callsMeeting = 0;
  for (const c of calls) {
    const v = judgeCall(c, tier);
    const a = byAgent.get(c.agent) ?? { calls: 0, meeting: 0 };
    a.calls++;
    if (v.meets) {
      a.meeting++;
      callsMeeting++;
    }
    for (const f of v.failures) callFailures[f]++;
    byAgent.set(c.agent, a);
  }
  const agents: AgentVerdict[] = [...byAgent.entries()]
    .map(([agent, a]) => ({ agent, calls: a.calls, callsMeeting: a.meeting, meets: a.meeting >= thresholds.callPassFraction * a.calls - 1e-9 }))
    .sort((x, y) => x.agent.localeCompare(y.agent, undefined, { numeric: true }));
  const agentsMeeting = agents.filter((a) => a.meets).length;
  const passRate = agents.length ? agentsMeeting / agents.length : null;
  return {
    ...tier,
    thresholds,
    agentsActive: agents.length,
    agentsMeeting,
    passRate,
    pass: passRate !== null && passRate >= thresholds.agentPassFraction - 1e-9,
    callsJudged: calls.length,
    callsMeeting,
    callFailures,
    bindingConstraint: bindingOf(callFailures),
    agents,
  };
}

/** Every tier from the same calls. */
export function evaluateTiers(calls: readonly SloCall[], tiers: readonly SloTier[], thresholds: SloThresholds = DEFAULT_SLO_THRESHOLDS): TierVerdict[] {
  return tiers.map((t) => evaluateTier(calls, t, thresholds));
}

/**
 * Parse `--slo 20,60` (floors only, ceiling from `defaultTtftCeilingMs`) or `20:2000,60:1000`
 * (floor:ceilingMs). Returns tiers sorted by floor.
 */
export function parseSloTiers(spec: string, defaultTtftCeilingMs: number): SloTier[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new RangeError(`--slo "${spec}" names no tier`);
  const tiers = parts.map((p) => {
    const [f, c] = p.split(':');
    const floor = Number(f);
    const ceiling = c === undefined ? defaultTtftCeilingMs : Number(c);
    if (!(floor > 0) || !Number.isFinite(floor)) throw new RangeError(`--slo tier "${p}": the floor must be a positive number of tokens/s`);
    if (!(ceiling > 0) || !Number.isFinite(ceiling)) throw new RangeError(`--slo tier "${p}": the TTFT ceiling must be a positive number of ms`);
    return { sloTokPerS: floor, ttftCeilingMs: ceiling };
  });
  return tiers.sort((a, b) => a.sloTokPerS - b.sloTokPerS);
}
