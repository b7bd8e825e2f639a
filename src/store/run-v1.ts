/**
 * `agentdyno.run.v1` (schemas/run.v1.json): one stored run as every renderer reads it. These types
 * are the reader's view: the fields the schema requires. Producers' own result types (SweepResult,
 * LoopResult, ...) carry more and stay assignable to these (test/store/run-v1.test.ts checks it with
 * the real producers' output). Nanoseconds are decimal strings, as stored.
 */
import type { RunRecord, RunStatus } from './rows.js';

export const RUN_FORMAT = 'agentdyno.run.v1';

export type Ns = string;

export interface WindowPowerV1 {
  source: string;
  boundary: string;
  comparabilityClass: string;
  simulated: boolean;
  startNs: Ns;
  endNs: Ns;
  meanW: number | null;
  energyJ: number | null;
  samples: number;
  coverage: number;
  flags: string[];
  windowRule?: string;
}

export interface StatV1 {
  mean: number | null;
  median: number | null;
  std?: number | null;
  p99: number | null;
}

export interface VllmV1 {
  completed: number;
  failed: number;
  durationS: number;
  outputThroughput: number;
  ttftMs: StatV1 | null;
  tpotMs: StatV1 | null;
  itlMs: StatV1 | null;
  e2elMs: StatV1 | null;
}

export interface TierLevelV1 {
  sloTokPerS: number;
  ttftCeilingMs: number | null;
  passRate: number | null;
  pass: boolean;
  agentsActive: number;
  agentsMeeting: number;
  bindingConstraint: string;
  /** Set when the client could not resolve this tier at this level (timing canary rule). */
  invalidReason?: string;
}

export interface CanaryV1 {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LevelReportV1 {
  concurrency: number;
  valid: boolean;
  reasons: string[];
  interrupted: boolean;
  windowStartNs: Ns;
  windowEndNs: Ns;
  windowS: number;
  callsSentInWindow: number;
  agentsActive: number;
  tiers: TierLevelV1[];
  errors: Record<string, number>;
  outputTokPerS: number;
  vllm: VllmV1;
  saturation: { eventLoopUtilization: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs?: number; processCpuCores: number; cores: number } | null;
  /** null: the canary could not start; absent: not run (virtual time, older runs). */
  canary?: CanaryV1 | null;
}

export interface SweepLevelV1 {
  index: number;
  concurrency: number;
  replicate: number;
  valid: boolean;
  reasons: string[];
  report: LevelReportV1;
  power: WindowPowerV1[];
  /** Open loop: the level's offered arrival rate, req/s (concurrency is then the sessions alive in the window). */
  arrivalRatePerS?: number;
  /** Open loop, recorded arrivals: the multiplier of the recorded rate; poisson: null. */
  rateMultiplier?: number | null;
  /** Open loop: the stored `level` of this level's requests and sweep points (its ordinal). */
  level?: number;
  sessionsAlive?: number;
}

export interface SweepTierV1 {
  sloTokPerS: number;
  ttftCeilingMs: number | null;
  nMax: number | null;
  minFailing: number | null;
  resolved: boolean;
  bindingConstraint: string;
  cliff: boolean;
  nonMonotone: boolean;
  notes: string[];
  agentsPerMW: number | null;
  agentsPerMWReason: string | null;
  power: {
    meanW: number | null;
    idleW?: number | null;
    boundary: string;
    source: string;
    comparabilityClass: string;
    simulated: boolean;
    windowStartNs: Ns;
    windowEndNs: Ns;
  } | null;
  /** Open loop: the bracket as arrival rates, req/s (nMax and minFailing, agent counts, are then null). */
  arrivalRatePerS?: { maxPassing: number | null; minFailing: number | null };
  rateMultiplier?: { maxPassing: number | null; minFailing: number | null };
}

export interface SweepResultV1 {
  status: 'completed' | 'interrupted' | 'failed';
  valid: boolean;
  reasons: string[];
  thresholds: { callPassFraction: number; agentPassFraction: number };
  search: object;
  tiers: SweepTierV1[];
  levels: SweepLevelV1[];
  idlePower?: WindowPowerV1[];
  error?: string;
  /** Open-loop sweeps: the axis is the arrival rate. Absent for closed-loop sweeps. */
  mode?: 'open-loop';
  axis?: { field: 'arrivalRatePerS'; label: string };
}

export interface ReplayResultV1 {
  level: LevelReportV1;
  /** Absent for open-loop replays. */
  power?: WindowPowerV1[];
  mode?: 'open-loop';
  scaleOut?: { shard: object };
}

export interface MergedResultV1 {
  kind: 'replay-merged';
  concurrency: number;
  shardCount: number;
  valid: boolean;
  reasons: string[];
  window: { startWallMs: number; endWallMs: number; overlapS: number };
  agentsActive: number;
  tiers: { sloTokPerS: number; passRate: number | null; pass: boolean; agentsActive: number; agentsMeeting: number }[];
  errors: Record<string, number>;
  outputTokPerS: number;
  /** Percentiles from merged HDR histograms (never averaged percentiles). */
  vllm: { ttftMs: HdrStatV1; tpotMs: HdrStatV1; e2elMs: HdrStatV1; itlMs: HdrStatV1 | null };
  power: unknown[];
  shards: { runId: string }[];
}

export interface HdrStatV1 {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** `sim plan`: a capacity plan in VIRTUAL TIME on the simulator (every figure SIMULATED, the profile illustrative). */
export interface PlanTierV1 {
  sloTokPerS: number;
  ttftCeilingMs: number;
  maxPassing: number | null;
  minFailing: number | null;
  resolved: boolean;
  bindingConstraint: string;
  cliff: boolean;
  nonMonotone: boolean;
  notes: string[];
  /** SIMULATED: max passing agents / simulated mean power (MW) of that level's window. */
  agentsPerMW: number | null;
  meanW: number | null;
}

export interface PlanLevelV1 {
  concurrency: number;
  replicas: number;
  sample: { replicas: number; ofReplicas: number; agents: number; scaledBy: number; note: string } | null;
  valid: boolean;
  reasons: string[];
  /** Virtual seconds: the window's length, when it opened, when the level ended. */
  windowS: number;
  windowStartS: number;
  endS: number;
  agentsActive: number;
  callsInWindow: number;
  outputTokPerS: number;
  tiers: { sloTokPerS: number; passRate: number | null; pass: boolean; agentsMeeting: number; agentsActive: number }[];
  errors: Record<string, number>;
  power: { meanW: number; energyJ: number; simulated: true; boundary: string };
}

export interface PlanResultV1 {
  label: string;
  profile: { name: string; source: string; illustrative: true; file?: string };
  replicas: number;
  thresholds: { callPassFraction: number; agentPassFraction: number };
  settings: { warmupS: number; windowS: number; drainCapS: number; seed: number; trajectories: number; trajectoryFiles: string[] } & Record<string, unknown>;
  tiers: PlanTierV1[];
  levels: PlanLevelV1[];
  sim: { levels: number; engineSteps: number; wallMs: number };
}

export interface CurvePointV1 {
  iteration: number;
  tokensUsed: number;
  wallMs: number;
  bestNormalized: number;
}

export interface LoopResultV1 {
  task: string;
  agent: string;
  sandbox?: string;
  feedback?: string;
  success: boolean;
  normalizedScore: number;
  reward: number;
  bestValue?: number | null;
  iterations: number;
  stopReason: string;
  agentStopReason?: string | null;
  budgetUsed: { tokens: number; wallSec: number; iterations: number };
  budgets: { tokens: number; wallSec: number; iterations: number };
  stoppedEarly: boolean;
  noProgressBurn: boolean;
  failureCounts: Record<string, number>;
  curve: CurvePointV1[];
}

export interface SuiteTaskV1 {
  id: string;
  ok: boolean;
  runId: string | null;
  error: string | null;
  success?: boolean;
  normalizedScore?: number;
  iterations?: number;
  stopReason?: string;
  stoppedEarly?: boolean;
  noProgressBurn?: boolean;
}

export interface SuiteResultV1 {
  summary: { tasks: number; succeeded: number; meanNormalizedScore: number; stoppedEarly: number; noProgressBurn: number };
  tasks: SuiteTaskV1[];
}

export interface BudgetPolicyV1 {
  policy: string;
  trials: number;
  violations: number;
  serverFaultViolations: number;
  byCategory: Record<string, number>;
  maxOvershootPct: number;
  p95OvershootPct: number;
  overProvisioning: number | null;
  completion: number;
  truncatedShare: number;
  unusedShare: number;
  refusals: number;
  conservationFailures: number;
}

export interface BudgetBenchResultV1 {
  simulated: boolean;
  target: string;
  policies: BudgetPolicyV1[];
  faults: string[];
  notes: string[];
}

export interface PowerRecordResultV1 {
  spec: string;
  durationS: number;
  samplesStored: number;
  window: WindowPowerV1;
  interrupted: boolean;
}

export interface EfcBandPointV1 {
  x: number;
  y: number;
  lo: number;
  hi: number;
}

export interface EfcFitResultV1 {
  fit: {
    n: number;
    tasks: number;
    successRate: number;
    raw: string;
    fits: Record<string, { logistic: { b0: number; b1: number; r2: number | null; mae: number }; ci: [number, number] | null }>;
    deltaR2: { estimate: number | null; ci: [number, number] | null; over: string };
  };
  points: { runId: string; task: string; success: boolean; efc: number; demand: number; tokens: number; toolCalls: number; wallSec: number }[];
  loopRuns: string[];
  demandSource: string;
  bands: Record<string, EfcBandPointV1[]>;
}

export interface Failure {
  error: string;
}

export interface ProvenanceV1 {
  agentdynoVersion: string | null;
  gitSha: string | null;
  /** The load ran against the built-in simulator, or the power was simulated: illustrative figures. */
  simulated: boolean;
  host: RunRecord['host'];
  target: Record<string, unknown> | null;
}

interface DocBase<K extends string, R> {
  format: typeof RUN_FORMAT;
  id: string;
  kind: K;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  provenance: ProvenanceV1;
  config: Record<string, unknown>;
  clockAnchor: { monotonicNs: string; wallClockMs: number } | null;
  result: R | Failure | null;
}

export type SweepRunV1 = DocBase<'sweep', SweepResultV1>;
export type ReplayRunV1 = DocBase<'replay', ReplayResultV1>;
export type MergedRunV1 = DocBase<'replay-merged', MergedResultV1>;
export type PlanRunV1 = DocBase<'plan', PlanResultV1>;
export type LoopRunV1 = DocBase<'loop', LoopResultV1>;
export type SuiteRunV1 = DocBase<'suite', SuiteResultV1>;
export type BudgetBenchRunV1 = DocBase<'budget-bench', BudgetBenchResultV1>;
export type PowerRecordRunV1 = DocBase<'power-record', PowerRecordResultV1>;
export type EfcFitRunV1 = DocBase<'efc-fit', EfcFitResultV1>;

/** One stored run, discriminated by `kind`. */
export type RunDocument = SweepRunV1 | ReplayRunV1 | MergedRunV1 | PlanRunV1 | LoopRunV1 | SuiteRunV1 | BudgetBenchRunV1 | PowerRecordRunV1 | EfcFitRunV1;
export type RunKind = RunDocument['kind'];
export const RUN_KINDS: readonly RunKind[] = ['sweep', 'replay', 'replay-merged', 'plan', 'loop', 'suite', 'budget-bench', 'power-record', 'efc-fit'];

/** The field that tells a kind's result from a bare `{ error }` (a run that failed before its first result). */
const KEY_FIELD: Record<RunKind, string> = {
  sweep: 'tiers', replay: 'level', 'replay-merged': 'tiers', plan: 'tiers', loop: 'curve', suite: 'tasks',
  'budget-bench': 'policies', 'power-record': 'window', 'efc-fit': 'fit',
};

/** The kind's result, or null for a missing result or a bare failure. */
export function okResult<D extends RunDocument>(doc: D): Exclude<D['result'], Failure | null> | null {
  const r = doc.result as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || !(KEY_FIELD[doc.kind] in r)) return null;
  return r as unknown as Exclude<D["result"], Failure | null>;
}

/** The error a failed run stored, if any. */
export function failureOf(doc: RunDocument): string | null {
  const r = doc.result as { error?: unknown } | null;
  return r && typeof r.error === 'string' ? r.error : null;
}
