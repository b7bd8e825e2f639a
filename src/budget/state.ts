/**
 * The budget ledger's state and its operations, as plain data. Every operation checks, then
 * mutates, with no `await` in between, so one call is atomic inside a process; the SQLite
 * backend runs the same operations inside `BEGIN IMMEDIATE` so it is atomic across processes.
 *
 * Conservation (checked by the property test after every operation):
 *   sum(live handles' available) + outstanding reservations + spent = root + overrun
 * `overrun` is what a call used beyond its reservation and beyond its handle's slack (a server
 * that ignored max_tokens, or an input estimate that was too low). It is 0 whenever the
 * estimator and the server behave; anything else is a recorded fault, never a silent loss.
 */
import { AgentdynoError } from '../core/index.js';

export const DIMS = ['tokens', 'inputTokens', 'outputTokens', 'costMicroUsd'] as const;
export type Dim = (typeof DIMS)[number];
/** Amounts per dimension; `tokens` (input + output combined) is always tracked. */
export type Amounts = { tokens: number } & Partial<Record<Exclude<Dim, 'tokens'>, number>>;

/** USD per million tokens; cost is tracked in integer micro-dollars so sums stay exact. */
export interface PriceTable {
  inputPerMTokUsd: number;
  outputPerMTokUsd: number;
  cachedInputPerMTokUsd?: number;
}

export interface BudgetLimits {
  /** Sub-agents alive at once, ledger-wide. */
  maxConcurrentSubagents?: number;
  /** Sub-agents ever created, ledger-wide (a runaway fan-out stops here). */
  maxTotalSubagents?: number;
  /** Model calls per agent; a child inherits its parent's cap unless `maxTurnsPerChild` is set. */
  maxTurns?: number;
  maxTurnsPerChild?: number;
  /** Wall time per child from its creation; always capped by the parent's deadline. */
  maxTimeMsPerChild?: number;
  /** Nesting depth of splits (root = 0). */
  maxDepth?: number;
}

export interface HandleState {
  path: string;
  parent: string | null;
  /** The sub-agent this handle belongs to (a remainder keeps its parent's agent). */
  agent: string;
  live: boolean;
  consumedBy: string | null;
  available: Amounts;
  spent: Amounts;
  deadlineMs: number | null;
  turns: number;
  maxTurns: number | null;
  depth: number;
  nextChild: number;
  outstanding: number;
}

export interface ReservationState {
  id: number;
  path: string;
  amounts: Amounts;
  inputEstimate: number;
  maxTokens: number;
  reasoningReserve: number;
}

export interface LedgerState {
  version: 1;
  dims: Dim[];
  root: Amounts;
  spent: Amounts;
  overrun: Amounts;
  price: PriceTable | null;
  limits: BudgetLimits;
  handles: Record<string, HandleState>;
  reservations: Record<string, ReservationState>;
  nextReservation: number;
  subagentsTotal: number;
  subagentsActive: number;
  seq: number;
}

export interface BudgetEvent {
  seq: number;
  kind: 'create' | 'split' | 'reserve' | 'commit' | 'release' | 'forfeit' | 'join' | 'refuse' | 'estimator_fault' | 'misuse';
  handle: string;
  /** Tokens moved by the event (reserved, charged, refunded or joined). */
  tokens: number;
  detail: Record<string, unknown>;
}

export interface RootSpec {
  tokens: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  price?: PriceTable;
  /** Wall-time budget from creation; a deadline, inherited (and tightened) by children. */
  wallMs?: number;
  limits?: BudgetLimits;
}

/** Raised when a consumed handle or a settled reservation is used again. */
export class BudgetConsumedError extends AgentdynoError {
  constructor(what: string, where: string) {
    super(`${what} was already consumed and cannot be used again.`, {
      code: 'E_BUDGET_MISUSE',
      where,
      hint: 'A split, join, commit or release consumes its handle: use the children / remainder it produced instead.',
    });
    this.name = 'BudgetConsumedError';
  }
}

/** Raised when a reservation is refused: nothing (or not enough) left, or a cap was reached. */
export class BudgetRefusedError extends AgentdynoError {
  readonly reason: 'exhausted' | 'turns' | 'deadline' | 'subagents' | 'concurrency' | 'depth';
  constructor(reason: BudgetRefusedError['reason'], what: string, where: string) {
    super(what, { code: 'E_BUDGET_SPENT', where, hint: 'The budget handle has no room for this call; stop, or join finished sub-agents to free tokens.' });
    this.name = 'BudgetRefusedError';
    this.reason = reason;
  }
}

export function badInput(what: string, where: string, hint?: string): AgentdynoError {
  return new AgentdynoError(what, { code: 'E_USAGE', where, hint: hint ?? 'Budgets, shares and usage counts must be non-negative integers.' });
}

export function checkCount(n: unknown, name: string, where: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw badInput(`${name} must be a non-negative integer, got ${JSON.stringify(n)}.`, where);
  }
  return n;
}

export function zero(dims: readonly Dim[]): Amounts {
  const a = { tokens: 0 } as Amounts;
  for (const d of dims) a[d] = 0;
  return a;
}

export function addInto(dims: readonly Dim[], into: Amounts, x: Partial<Amounts>, sign = 1): void {
  for (const d of dims) into[d] = (into[d] ?? 0) + sign * (x[d] ?? 0);
}

export function costMicroUsd(price: PriceTable, inputTokens: number, outputTokens: number, cachedTokens = 0): number {
  const cachedRate = price.cachedInputPerMTokUsd ?? price.inputPerMTokUsd;
  // $/Mtok equals micro-$/tok; ceil so a charge is never under-stated.
  return Math.ceil((inputTokens - cachedTokens) * price.inputPerMTokUsd + cachedTokens * cachedRate + outputTokens * price.outputPerMTokUsd);
}

export function newLedgerState(spec: RootSpec, nowMs: number): LedgerState {
  const where = 'budget root';
  checkCount(spec.tokens, 'tokens', where);
  const dims: Dim[] = ['tokens'];
  const root: Amounts = { tokens: spec.tokens };
  if (spec.inputTokens !== undefined) { dims.push('inputTokens'); root.inputTokens = checkCount(spec.inputTokens, 'inputTokens', where); }
  if (spec.outputTokens !== undefined) { dims.push('outputTokens'); root.outputTokens = checkCount(spec.outputTokens, 'outputTokens', where); }
  if (spec.costUsd !== undefined) {
    if (!spec.price) throw badInput('a cost budget needs a price table (USD per million input/output tokens).', where);
    if (!(spec.costUsd >= 0) || !Number.isFinite(spec.costUsd)) throw badInput(`costUsd must be a non-negative number, got ${spec.costUsd}.`, where);
    dims.push('costMicroUsd');
    root.costMicroUsd = Math.floor(spec.costUsd * 1e6);
  }
  if (spec.wallMs !== undefined) checkCount(spec.wallMs, 'wallMs', where);
  const limits = spec.limits ?? {};
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) checkCount(v, `limits.${k}`, where);
  const state: LedgerState = {
    version: 1, dims, root, spent: zero(dims), overrun: zero(dims), price: spec.price ?? null, limits,
    handles: {}, reservations: {}, nextReservation: 1, subagentsTotal: 0, subagentsActive: 0, seq: 0,
  };
  state.handles.root = {
    path: 'root', parent: null, agent: 'root', live: true, consumedBy: null, available: { ...root }, spent: zero(dims),
    deadlineMs: spec.wallMs !== undefined ? nowMs + spec.wallMs : null, turns: 0, maxTurns: limits.maxTurns ?? null,
    depth: 0, nextChild: 0, outstanding: 0,
  };
  return state;
}

/** Live handle by path, or a clear error naming what happened to it. */
export function liveHandle(state: LedgerState, path: string): HandleState {
  const h = state.handles[path];
  if (!h) throw badInput(`no budget handle named "${path}".`, `handle ${path}`, 'Handle paths look like root, root/0, root/1/rest; list them with ledger.snapshot().');
  if (!h.live) throw new BudgetConsumedError(`budget handle "${path}" (consumed by ${h.consumedBy})`, `handle ${path}`);
  return h;
}

/** Sum of every live handle's available, outstanding reservations, and spent, per dimension. */
export function conservation(state: LedgerState): { accounted: Amounts; expected: Amounts; ok: boolean } {
  const accounted = zero(state.dims);
  for (const h of Object.values(state.handles)) if (h.live) addInto(state.dims, accounted, h.available);
  for (const r of Object.values(state.reservations)) addInto(state.dims, accounted, r.amounts);
  addInto(state.dims, accounted, state.spent);
  const expected = { ...state.root };
  addInto(state.dims, expected, state.overrun);
  const ok = state.dims.every((d) => accounted[d] === expected[d]);
  return { accounted, expected, ok };
}
