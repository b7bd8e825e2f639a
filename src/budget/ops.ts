/**
 * Ledger operations over `LedgerState`. Each validates everything first and mutates only when
 * nothing can fail any more, so a rejected operation leaves the ledger exactly as it was.
 */
import {
  type Amounts, type BudgetEvent, type HandleState, type LedgerState, type ReservationState,
  BudgetConsumedError, BudgetRefusedError, addInto, badInput, checkCount, costMicroUsd, liveHandle, zero,
} from './state.js';

type Events = BudgetEvent[];

function emit(state: LedgerState, events: Events, e: Omit<BudgetEvent, 'seq'>): void {
  events.push({ seq: ++state.seq, ...e });
}

export interface SplitOptions {
  /** 'tokens' (default): each share is an absolute token count; 'fraction': shares in [0,1] of what is available. */
  unit?: 'tokens' | 'fraction';
}

export interface SplitResultPaths {
  children: string[];
  remainder: string;
}

/**
 * Consume `path` and create one child per share plus a remainder holding the rest. Other
 * dimensions (input/output/cost) are divided in proportion to the token shares, rounded down.
 */
export function opSplit(state: LedgerState, path: string, shares: readonly number[], opts: SplitOptions, nowMs: number, events: Events): SplitResultPaths {
  const where = `split of ${path}`;
  const h = liveHandle(state, path);
  if (!Array.isArray(shares) || shares.length === 0) throw badInput('shares must be a non-empty array.', where);
  if (h.outstanding > 0) throw badInput(`handle "${path}" has ${h.outstanding} outstanding reservation(s).`, where, 'Commit or release them before splitting the handle.');
  const unit = opts.unit ?? 'tokens';
  let tokenShares: number[];
  if (unit === 'fraction') {
    shares.forEach((s, i) => { if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw badInput(`shares[${i}] must be a fraction in [0, 1], got ${JSON.stringify(s)}.`, where); });
    const sum = shares.reduce((a, b) => a + b, 0);
    if (sum > 1 + 1e-9) throw badInput(`fractional shares add up to ${sum.toFixed(4)}, more than 1.`, where, 'Shares must add up to at most 1; the rest stays in the remainder.');
    tokenShares = shares.map((s) => Math.floor(s * h.available.tokens));
  } else {
    tokenShares = shares.map((s, i) => checkCount(s, `shares[${i}]`, where));
    const sum = tokenShares.reduce((a, b) => a + b, 0);
    if (sum > h.available.tokens) throw badInput(`shares add up to ${sum} tokens but handle "${path}" has ${h.available.tokens} available.`, where, 'Shares must add up to at most what the handle holds; the rest stays in the remainder.');
  }
  const lim = state.limits;
  if (lim.maxDepth !== undefined && h.depth + 1 > lim.maxDepth) throw new BudgetRefusedError('depth', `splitting "${path}" would nest sub-agents ${h.depth + 1} deep, over the cap of ${lim.maxDepth}.`, where);
  if (lim.maxTotalSubagents !== undefined && state.subagentsTotal + shares.length > lim.maxTotalSubagents) {
    throw new BudgetRefusedError('subagents', `splitting "${path}" into ${shares.length} would make ${state.subagentsTotal + shares.length} sub-agents, over the total cap of ${lim.maxTotalSubagents}.`, where);
  }
  if (lim.maxConcurrentSubagents !== undefined && state.subagentsActive + shares.length > lim.maxConcurrentSubagents) {
    throw new BudgetRefusedError('concurrency', `splitting "${path}" into ${shares.length} would run ${state.subagentsActive + shares.length} sub-agents at once, over the cap of ${lim.maxConcurrentSubagents}.`, where);
  }
  // Validated: now mutate.
  const dims = state.dims;
  const total = h.available.tokens;
  const remaining: Amounts = { ...h.available };
  const children: string[] = [];
  const childDeadline = lim.maxTimeMsPerChild !== undefined ? Math.min(h.deadlineMs ?? Infinity, nowMs + lim.maxTimeMsPerChild) : h.deadlineMs;
  tokenShares.forEach((t) => {
    const amt = zero(dims);
    amt.tokens = t;
    for (const d of dims) if (d !== 'tokens') amt[d] = total === 0 ? 0 : Math.floor(((h.available[d] ?? 0) * t) / total);
    addInto(dims, remaining, amt, -1);
    const cpath = `${path}/${h.nextChild++}`;
    state.handles[cpath] = {
      path: cpath, parent: path, agent: cpath, live: true, consumedBy: null, available: amt, spent: zero(dims),
      deadlineMs: childDeadline === Infinity ? null : childDeadline, turns: 0, maxTurns: lim.maxTurnsPerChild ?? h.maxTurns,
      depth: h.depth + 1, nextChild: 0, outstanding: 0,
    };
    children.push(cpath);
  });
  const rest = `${path}/rest`;
  state.handles[rest] = { ...h, path: rest, parent: path, available: remaining, spent: zero(dims), nextChild: 0, live: true, consumedBy: null };
  h.live = false;
  h.consumedBy = 'split';
  h.available = zero(dims);
  state.subagentsTotal += children.length;
  state.subagentsActive += children.length;
  emit(state, events, { kind: 'split', handle: path, tokens: total, detail: { children, shares: tokenShares, remainder: rest } });
  return { children, remainder: rest };
}

export interface ReserveRequest {
  /** Estimated input (prompt) tokens, margin already applied. */
  inputTokens: number;
  /** max_tokens the caller wants; the reservation clamps it to what is left. */
  maxTokens: number;
  /** Hidden reasoning tokens to hold back on top of the visible output. */
  reasoningReserve?: number;
  /** Refuse when the clamp falls below this many output tokens (default 1). */
  minOutputTokens?: number;
}

export interface ReserveResult {
  id: number;
  /** The max_tokens to send. */
  maxTokens: number;
  amounts: Amounts;
}

export function opReserve(state: LedgerState, path: string, req: ReserveRequest, nowMs: number, events: Events): ReserveResult {
  const where = `reserve on ${path}`;
  const h = liveHandle(state, path);
  const input = checkCount(req.inputTokens, 'inputTokens', where);
  const requested = checkCount(req.maxTokens, 'maxTokens', where);
  const reasoning = checkCount(req.reasoningReserve ?? 0, 'reasoningReserve', where);
  const floor = Math.max(1, checkCount(req.minOutputTokens ?? 1, 'minOutputTokens', where));
  const refuse = (reason: BudgetRefusedError['reason'], what: string): never => {
    emit(state, events, { kind: 'refuse', handle: path, tokens: 0, detail: { reason, inputTokens: input, maxTokens: requested } });
    throw new BudgetRefusedError(reason, what, where);
  };
  if (h.maxTurns !== null && h.turns >= h.maxTurns) refuse('turns', `agent "${h.agent}" has used its ${h.maxTurns} model calls.`);
  if (h.deadlineMs !== null && nowMs >= h.deadlineMs) refuse('deadline', `handle "${path}" is past its wall-time deadline.`);
  const a = h.available;
  let room = a.tokens - input - reasoning;
  if (a.outputTokens !== undefined) room = Math.min(room, a.outputTokens - reasoning);
  if (a.inputTokens !== undefined && a.inputTokens < input) room = -1;
  if (a.costMicroUsd !== undefined && state.price) {
    const p = state.price;
    const left = a.costMicroUsd - costMicroUsd(p, input, reasoning);
    room = Math.min(room, p.outputPerMTokUsd > 0 ? Math.floor(left / p.outputPerMTokUsd) : room);
  }
  const maxTokens = Math.min(requested, room);
  if (maxTokens < floor) refuse('exhausted', `handle "${path}" has ${a.tokens} tokens left, not enough for ${input} input + ${floor} output${reasoning ? ` + ${reasoning} reasoning` : ''} tokens.`);
  const amounts = zero(state.dims);
  amounts.tokens = input + maxTokens + reasoning;
  if (a.inputTokens !== undefined) amounts.inputTokens = input;
  if (a.outputTokens !== undefined) amounts.outputTokens = maxTokens + reasoning;
  if (a.costMicroUsd !== undefined && state.price) amounts.costMicroUsd = Math.min(a.costMicroUsd, costMicroUsd(state.price, input, maxTokens + reasoning));
  addInto(state.dims, h.available, amounts, -1);
  h.turns++;
  h.outstanding++;
  const id = state.nextReservation++;
  const r: ReservationState = { id, path, amounts, inputEstimate: input, maxTokens, reasoningReserve: reasoning };
  state.reservations[String(id)] = r;
  emit(state, events, { kind: 'reserve', handle: path, tokens: amounts.tokens, detail: { reservation: id, maxTokens, requested, inputTokens: input, reasoningReserve: reasoning } });
  return { id, maxTokens, amounts };
}

export interface UsageReport {
  promptTokens: number;
  completionTokens: number;
  /** Hidden reasoning tokens, when the server reports them separately from completion. */
  reasoningTokens?: number;
  cachedTokens?: number | null;
}

export interface CommitResult {
  charged: Amounts;
  refunded: Amounts;
  /** What the call used beyond its reservation, per dimension (estimator or server fault). */
  excess: Amounts;
  /** Part of the excess that no budget could cover: it raises the ledger's overrun. */
  overrun: Amounts;
  faults: string[];
}

function liveReservation(state: LedgerState, id: number): ReservationState {
  const r = state.reservations[String(id)];
  if (!r) throw new BudgetConsumedError(`reservation #${id}`, `reservation ${id}`);
  return r;
}

/** Charge actual usage. `usage === null` (the server sent none) charges the whole reservation. */
export function opCommit(state: LedgerState, id: number, usage: UsageReport | null, events: Events): CommitResult {
  const r = liveReservation(state, id);
  const where = `commit of reservation #${id} on ${r.path}`;
  const faults: string[] = [];
  const dims = state.dims;
  const actual = zero(dims);
  if (usage === null) {
    addInto(dims, actual, r.amounts);
    faults.push('missing_usage');
  } else {
    const p = checkCount(usage.promptTokens, 'usage.promptTokens', where);
    const c = checkCount(usage.completionTokens, 'usage.completionTokens', where);
    const rt = checkCount(usage.reasoningTokens ?? 0, 'usage.reasoningTokens', where);
    const cached = usage.cachedTokens ?? 0;
    actual.tokens = p + c + rt;
    if (dims.includes('inputTokens')) actual.inputTokens = p;
    if (dims.includes('outputTokens')) actual.outputTokens = c + rt;
    if (dims.includes('costMicroUsd') && state.price) actual.costMicroUsd = costMicroUsd(state.price, p, c + rt, Math.min(cached, p));
    if (p > r.inputEstimate) faults.push('input_underestimate');
    if (c > r.maxTokens) faults.push('output_over_max_tokens');
    if (rt > r.reasoningReserve && c + rt > r.maxTokens + r.reasoningReserve) faults.push('reasoning_over_reserve');
  }
  const h = state.handles[r.path];
  const charged = zero(dims), refunded = zero(dims), excess = zero(dims), overrun = zero(dims);
  for (const d of dims) {
    const res = r.amounts[d] ?? 0, act = actual[d] ?? 0;
    charged[d] = act;
    if (act <= res) { refunded[d] = res - act; continue; }
    excess[d] = act - res;
    // Cover the excess from the handle's own slack first; what is left is a real overrun.
    const slack = h && h.live ? Math.max(0, h.available[d] ?? 0) : 0;
    const fromSlack = Math.min(slack, excess[d] ?? 0);
    if (h && h.live) h.available[d] = (h.available[d] ?? 0) - fromSlack;
    overrun[d] = (excess[d] ?? 0) - fromSlack;
  }
  if (h) {
    if (h.live) addInto(dims, h.available, refunded);
    else addInto(dims, state.spent, refunded); // unreachable in practice: split/join refuse while reservations are out
    addInto(dims, h.spent, charged);
    h.outstanding--;
  }
  addInto(dims, state.spent, charged);
  addInto(dims, state.overrun, overrun);
  delete state.reservations[String(id)];
  emit(state, events, { kind: 'commit', handle: r.path, tokens: charged.tokens, detail: { reservation: id, reserved: r.amounts.tokens, refunded: refunded.tokens, gap: r.amounts.tokens - charged.tokens, faults } });
  if (faults.some((f) => f !== 'missing_usage') || overrun.tokens > 0) {
    emit(state, events, { kind: 'estimator_fault', handle: r.path, tokens: excess.tokens, detail: { reservation: id, faults, excess, overrun, inputEstimate: r.inputEstimate, maxTokens: r.maxTokens } });
  }
  return { charged, refunded, excess, overrun, faults };
}

/** Free a reservation whose call failed before using anything (connection refused, 4xx). */
export function opRelease(state: LedgerState, id: number, events: Events): Amounts {
  const r = liveReservation(state, id);
  const h = state.handles[r.path];
  if (h && h.live) addInto(state.dims, h.available, r.amounts);
  else addInto(state.dims, state.spent, r.amounts);
  if (h) h.outstanding--;
  delete state.reservations[String(id)];
  emit(state, events, { kind: 'release', handle: r.path, tokens: r.amounts.tokens, detail: { reservation: id } });
  return r.amounts;
}

/**
 * Settle a reservation nobody committed (an exception escaped): charge it in full, since the call
 * may have run and used tokens we never saw. Conservative, like the Rust crate's Drop.
 */
export function opForfeit(state: LedgerState, id: number, events: Events): Amounts {
  const r = liveReservation(state, id);
  const h = state.handles[r.path];
  if (h) { addInto(state.dims, h.spent, r.amounts); h.outstanding--; }
  addInto(state.dims, state.spent, r.amounts);
  delete state.reservations[String(id)];
  emit(state, events, { kind: 'forfeit', handle: r.path, tokens: r.amounts.tokens, detail: { reservation: id } });
  return r.amounts;
}

/** Consume each of `paths` and add what they hold to `into`. All-or-nothing. */
export function opJoin(state: LedgerState, into: string, paths: readonly string[], events: Events): Amounts {
  const where = `join into ${into}`;
  const target = liveHandle(state, into);
  const seen = new Set<string>();
  const hs: HandleState[] = paths.map((p) => {
    if (p === into) throw badInput(`cannot join handle "${p}" into itself.`, where);
    if (seen.has(p)) throw badInput(`handle "${p}" is listed twice.`, where);
    seen.add(p);
    const h = liveHandle(state, p);
    if (h.outstanding > 0) throw badInput(`handle "${p}" has ${h.outstanding} outstanding reservation(s).`, where, 'Commit or release them before joining the handle.');
    return h;
  });
  const moved = zero(state.dims);
  for (const h of hs) {
    addInto(state.dims, moved, h.available);
    addInto(state.dims, target.available, h.available);
    h.available = zero(state.dims);
    h.live = false;
    h.consumedBy = `join into ${into}`;
    if (h.agent !== target.agent) state.subagentsActive--;
  }
  emit(state, events, { kind: 'join', handle: into, tokens: moved.tokens, detail: { joined: [...paths] } });
  return moved;
}

export { BudgetConsumedError, BudgetRefusedError };
