/**
 * The overrun benchmark: the same seeded fan-out workloads and injected faults under each policy,
 * then per policy how often the budget was overrun (every violation classified), by how much, how
 * much each policy over-provisions, and how much work got done. The model function is injected:
 * the CLI uses the simulator over HTTP (`http-model.ts`), tests may use an in-process fake.
 */
import pLimit from 'p-limit';
import { type Clock, Rng, percentile } from '../core/index.js';
import { POLICIES, runPolicyTrial, type ModelFn, type PolicyName, type TrialOutcome } from './policies.js';
import { generateWorkload, jitterWorkload, withToolLoop, type Workload } from './workload.js';

export const FAULTS = ['none', 'retry_5xx', 'cancelled_stream', 'missing_usage', 'ignore_max_tokens', 'tokenizer_mismatch', 'tool_loop'] as const;
export type FaultName = (typeof FAULTS)[number];

/** Named violation categories; every violation gets exactly one. */
export type ViolationCategory =
  | 'check_then_spend_race'      // naive: concurrent calls all passed the check before any spent
  | 'check_before_call_overshoot' // naive, one call in flight: the last call's cost was never checked
  | 'uncounted_usage'            // naive: a call without usage was counted as 0
  | 'server_ignored_max_tokens'  // the server generated past the max_tokens sent (server's fault, detected)
  | 'input_underestimate'        // the input estimate fell short beyond what slack covered
  | 'unclassified';

export interface TrialRecord {
  trial: number;
  fault: FaultName;
  workload: string;
  outcome: TrialOutcome;
  violation: ViolationCategory | null;
  overshootPct: number;
}

export interface PolicySummary {
  policy: PolicyName;
  trials: number;
  violations: number;
  /** Violations that are the server's fault (it ignored max_tokens), detected and reported. */
  serverFaultViolations: number;
  violationsExcludingServerFaults: number;
  byCategory: Partial<Record<ViolationCategory, number>>;
  maxOvershootPct: number;
  p95OvershootPct: number;
  /** Sum of reserved tokens / sum of tokens used, over reserved calls (null: the policy reserves nothing). */
  overProvisioning: number | null;
  peakReservedTokensMax: number;
  /** Model turns run / turns planned. */
  completion: number;
  /** Turns whose output was cut by a clamped max_tokens, / turns run. */
  truncatedShare: number;
  /** Mean share of the budget left unspent at the end. */
  unusedShare: number;
  refusals: number;
  estimatorFaults: number;
  /** Calls whose output exceeded the max_tokens sent: the server ignored it (detected per call). */
  serverIgnoredMaxTokensCalls: number;
  conservationFailures: number;
  byFault: Partial<Record<FaultName, { trials: number; violations: number }>>;
}

export interface BenchOptions {
  policies: readonly PolicyName[];
  trials: number;
  seed: number;
  faults?: readonly FaultName[];
  /** Budget as a share of the workload's demand (default 0.6: the budget binds). */
  budgetShare?: number;
  /** Extra workloads (e.g. from trajectories' spawn steps), used in turn with generated ones. */
  extraWorkloads?: readonly Workload[];
  /** Only these workloads (e.g. one recorded fan-out shape), in turn, sizes jittered per trial; no generated ones. */
  workloads?: readonly Workload[];
  concurrency?: number;
  clock: Clock;
  /** The model for a trial's fault (the bench points each at a suitably configured server). */
  modelFor: (fault: FaultName) => ModelFn;
  onTrial?: (r: TrialRecord) => void;
  /** Policies run one after another: each starts, runs its trials, and ends with its summary. */
  onPolicyStart?: (policy: PolicyName, index: number) => void;
  onPolicyEnd?: (s: PolicySummary) => void;
  maxWidth?: number;
  maxDepth?: number;
}

export function classifyViolation(t: TrialOutcome): ViolationCategory | null {
  if (t.trueSpentTokens <= t.budgetTokens) return null;
  if (t.calls.some((c) => c.faults.includes('output_over_max_tokens'))) return 'server_ignored_max_tokens';
  if (t.policy === 'naive') {
    if (t.countedTokens <= t.budgetTokens && t.calls.some((c) => c.faults.includes('uncounted_usage'))) return 'uncounted_usage';
    return t.peakInFlight > 1 ? 'check_then_spend_race' : 'check_before_call_overshoot';
  }
  if (t.calls.some((c) => c.faults.includes('input_underestimate'))) return 'input_underestimate';
  return 'unclassified';
}

interface TrialPlan { trial: number; fault: FaultName; workload: Workload; budgetTokens: number }

export function planTrials(opts: Pick<BenchOptions, 'trials' | 'seed' | 'faults' | 'budgetShare' | 'extraWorkloads' | 'workloads' | 'maxWidth' | 'maxDepth'>): TrialPlan[] {
  const faults = opts.faults ?? FAULTS;
  const extra = opts.extraWorkloads ?? [];
  const plans: TrialPlan[] = [];
  for (let k = 0; k < opts.trials; k++) {
    const rng = new Rng(opts.seed * 1_000_003 + k);
    // Every third trial uses a recorded spawn tree when there are any.
    let w = opts.workloads?.length
      ? jitterWorkload(opts.workloads[k % opts.workloads.length], rng)
      : extra.length && k % 3 === 2 ? extra[Math.floor(k / 3) % extra.length] : generateWorkload(rng, { maxWidth: opts.maxWidth, maxDepth: opts.maxDepth });
    const budgetTokens = Math.max(1, Math.round(w.demandTokens * (opts.budgetShare ?? 0.6)));
    const fault = faults[k % faults.length];
    if (fault === 'tool_loop') w = withToolLoop(w, rng);
    plans.push({ trial: k, fault, workload: w, budgetTokens });
  }
  return plans;
}

export async function runBench(opts: BenchOptions): Promise<{ summaries: PolicySummary[]; records: TrialRecord[] }> {
  const plans = planTrials(opts);
  const limit = pLimit(opts.concurrency ?? 16);
  const records: TrialRecord[] = [];
  for (const [index, policy] of opts.policies.entries()) {
    opts.onPolicyStart?.(policy, index);
    await Promise.all(plans.map((p) => limit(async () => {
      const maxTurns = p.workload.root.children.length ? Math.max(...allTurnCounts(p.workload)) : undefined;
      const outcome = await runPolicyTrial(p.workload, {
        policy, budgetTokens: p.budgetTokens, model: opts.modelFor(p.fault), clock: opts.clock,
        estimator: p.fault === 'tokenizer_mismatch' ? { mismatchFactor: 0.85 } : {},
        // Per-child turn cap (inherited by nested agents): a generous multiple of a normal child's turns.
        limits: maxTurns ? { maxTurnsPerChild: 6 } : {},
      });
      const violation = classifyViolation(outcome);
      const rec: TrialRecord = {
        trial: p.trial, fault: p.fault, workload: p.workload.id, outcome, violation,
        overshootPct: Math.max(0, (outcome.trueSpentTokens - outcome.budgetTokens) / outcome.budgetTokens) * 100,
      };
      records.push(rec);
      opts.onTrial?.(rec);
    })));
    if (opts.onPolicyEnd) opts.onPolicyEnd(summarize(policy, records.filter((r) => r.outcome.policy === policy)));
  }
  return { summaries: opts.policies.map((p) => summarize(p, records.filter((r) => r.outcome.policy === p))), records };
}

function allTurnCounts(w: Workload): number[] {
  const out: number[] = [];
  const walk = (n: Workload['root']) => { out.push(n.turns.length); n.children.forEach(walk); };
  walk(w.root);
  return out;
}

export function summarize(policy: PolicyName, rs: readonly TrialRecord[]): PolicySummary {
  const byCategory: PolicySummary['byCategory'] = {};
  const byFault: PolicySummary['byFault'] = {};
  let ignored = 0, reserved = 0, used = 0, planned = 0, run = 0, trunc = 0, unused = 0, refusals = 0, estFaults = 0, consFail = 0, peak = 0;
  for (const r of rs) {
    const o = r.outcome;
    if (r.violation) byCategory[r.violation] = (byCategory[r.violation] ?? 0) + 1;
    const f = (byFault[r.fault] ??= { trials: 0, violations: 0 });
    f.trials++;
    if (r.violation) f.violations++;
    reserved += o.sumReservedTokens;
    used += o.sumUsedTokens;
    planned += o.turnsPlanned;
    run += o.turnsRun;
    trunc += o.turnsTruncated;
    refusals += o.refusals;
    unused += Math.max(0, o.budgetTokens - o.trueSpentTokens) / o.budgetTokens;
    estFaults += o.calls.filter((c) => c.faults.some((x) => x !== 'uncounted_usage' && x !== 'missing_usage')).length;
    ignored += o.calls.filter((c) => c.faults.includes('output_over_max_tokens')).length;
    if (o.conserved === false) consFail++;
    peak = Math.max(peak, o.peakReservedTokens);
  }
  const violations = rs.filter((r) => r.violation).length;
  const server = byCategory.server_ignored_max_tokens ?? 0;
  const over = rs.map((r) => r.overshootPct);
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    policy, trials: rs.length, violations, serverFaultViolations: server, violationsExcludingServerFaults: violations - server, byCategory,
    maxOvershootPct: round(over.length ? Math.max(...over) : 0), p95OvershootPct: round(over.length ? percentile(over, 95) : 0),
    overProvisioning: policy === 'naive' || used === 0 ? null : round(reserved / used, 3), peakReservedTokensMax: peak,
    completion: round(planned ? run / planned : 0, 4), truncatedShare: round(run ? trunc / run : 0, 4), unusedShare: round(rs.length ? unused / rs.length : 0, 4),
    refusals, estimatorFaults: estFaults, serverIgnoredMaxTokensCalls: ignored, conservationFailures: consFail, byFault,
  };
}

export { POLICIES };
