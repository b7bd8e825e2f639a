import type { ClockAnchor } from '../core/index.js';
import type { HostInfo } from './host.js';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'interrupted', 'failed'];

/** Monotonic nanoseconds as accepted on write; always read back as bigint. */
export type NsInput = bigint | number | string | null | undefined;

export interface RunRecord {
  id: string;
  kind: string;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
  config: unknown;
  result: unknown | null;
  agentdynoVersion: string | null;
  gitSha: string | null;
  host: HostInfo | null;
  target: unknown | null;
  clockAnchor: ClockAnchor | null;
}

export interface NewRun {
  id: string;
  kind: string;
  config: unknown;
  target?: unknown;
  clockAnchor?: ClockAnchor;
  /** Defaults to now. */
  startedAt?: Date;
}

/** One request of a replay (DESIGN 3.3). Times are monotonic-clock nanoseconds. */
export interface RequestRow {
  level: number;
  lane: number | null;
  agent: string | null;
  step: number | null;
  requestId: string | null;
  promptTokens: number | null;
  cachedTokens: number | null;
  expectedCachedTokens: number | null;
  outputTokens: number | null;
  tSchedNs: bigint | null;
  tSendNs: bigint | null;
  tFirstNs: bigint | null;
  tLastNs: bigint | null;
  ttftMs: number | null;
  decodeTokPerS: number | null;
  itlP50Ms: number | null;
  itlP99Ms: number | null;
  itlMaxMs: number | null;
  e2eMs: number | null;
  /** 'ok' or an error status. */
  status: string;
  errorClass: string | null;
  /** Whether the request counts toward the level's measurement window. */
  inWindow: boolean;
  /** Reads that delivered more than one output event of this call (null: not recorded). */
  coalescedReads: number | null;
  /** The target was agentdyno's simulator (null: not recorded, rows older than migration 012). */
  simulated: boolean | null;
  /** Open-loop runs: the level's offered arrival rate, req/s (`level` is then the level's ordinal, not agents); null: closed loop or older rows. */
  arrivalRatePerS: number | null;
}
/** What `insertRequests` accepts: optional columns may be left out, ns may be number/string. */
export type RequestInput = Partial<Omit<RequestRow, 'tSchedNs' | 'tSendNs' | 'tFirstNs' | 'tLastNs'>> &
  Pick<RequestRow, 'level' | 'status'> & { tSchedNs?: NsInput; tSendNs?: NsInput; tFirstNs?: NsInput; tLastNs?: NsInput };

/** One SLO tier's verdict at one concurrency level (or, open loop, one arrival rate). */
export interface SweepPointRow {
  level: number;
  tierTokPerS: number;
  ttftCeilingMs: number | null;
  passRate: number | null;
  agentsActive: number | null;
  agentsPassing: number | null;
  valid: boolean;
  reasons: string[];
  outputTokPerS: number | null;
  meanPowerW: number | null;
  detail: unknown | null;
  /** The target was agentdyno's simulator (null: not recorded). */
  simulated: boolean | null;
  /** Open-loop sweeps: the level's offered arrival rate, req/s (`level` is then the level's ordinal, not agents); null: closed loop or older rows. */
  arrivalRatePerS: number | null;
}
export type SweepPointInput = Partial<SweepPointRow> & Pick<SweepPointRow, 'level' | 'tierTokPerS'>;

export interface PowerSampleRow {
  channel: string;
  tNs: bigint;
  value: number;
  /** e.g. 'power_w', 'energy_j'. */
  kind: string;
}
export type PowerSampleInput = Omit<PowerSampleRow, 'tNs'> & { tNs: NsInput };

export interface LoopIterationRow {
  task: string | null;
  iteration: number;
  agent: string | null;
  status: string | null;
  score: number | null;
  normalizedScore: number | null;
  metricValue: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  wallMs: number | null;
  tStartNs: bigint | null;
  tEndNs: bigint | null;
  detail: unknown | null;
}
export type LoopIterationInput = Partial<Omit<LoopIterationRow, 'tStartNs' | 'tEndNs'>> &
  Pick<LoopIterationRow, 'iteration'> & { tStartNs?: NsInput; tEndNs?: NsInput };

export interface FeedbackEventRow {
  task: string | null;
  iteration: number;
  seq: number;
  kind: string;
  text: string | null;
  detail: unknown | null;
}
export type FeedbackEventInput = Partial<FeedbackEventRow> & Pick<FeedbackEventRow, 'iteration' | 'seq' | 'kind'>;

/** One `loop confirm` attempt on a stored iteration (its own event; the iteration is never rewritten). */
export interface LoopConfirmationRow {
  seq: number;
  iteration: number;
  outcome: 'confirmed' | 'unconfirmed' | 'refuted';
  /** ISO time of the attempt. */
  at: string;
  detail: unknown | null;
}

export interface BudgetEventRow {
  seq: number;
  kind: string;
  handle: string | null;
  amount: number | null;
  detail: unknown | null;
}
export type BudgetEventInput = Partial<BudgetEventRow> & Pick<BudgetEventRow, 'seq' | 'kind'>;
