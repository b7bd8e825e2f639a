/**
 * Fan-out budget policies, run over a workload against any model function (the bench passes an
 * HTTP client; tests pass an in-process fake). Pure apart from the model's awaits.
 *
 * - naive:    check `spent < budget`, await the call, then add its usage (the common pattern, and
 *             the race: every concurrent sub-agent passes the check before any of them spends).
 * - static:   split the root equally over every agent up front; each reserves from its own share.
 * - affine:   a parent splits its handle among its children at spawn (consuming it), keeps an
 *             equal share in the remainder, and joins the children back when they finish.
 * - adaptive: like affine, but max_tokens is sized from observed outputs, children start with
 *             what peers were seen to need, and the remainder is re-split (top-ups) as they finish.
 */
import type { Clock } from '../core/index.js';
import { BudgetLedger, CommitOut, SplitOut, type BudgetHandle, type Reservation } from './ledger.js';
import { BudgetRefusedError, type BudgetLimits } from './state.js';
import { countNewTextTokens, type EstimatorOptions } from './estimate.js';
import type { AgentNode, TurnSpec, Workload } from './workload.js';

export const POLICIES = ['naive', 'static', 'affine', 'adaptive'] as const;
export type PolicyName = (typeof POLICIES)[number];

export type ChatMsg = { role: 'system' | 'user' | 'assistant'; content: string };

export interface ModelCall {
  agent: string;
  turn: number;
  messages: ChatMsg[];
  maxTokens: number;
  wantOutputTokens: number;
}

export interface ModelReply {
  ok: boolean;
  errorClass: string | null;
  /** What the server reported (null: no usage block). */
  usage: { promptTokens: number; completionTokens: number } | null;
  /** What the call really consumed, as the bench's judge counts it (independent of the policy). */
  trueTokens: { prompt: number; completion: number };
  outputText: string;
}

export type ModelFn = (call: ModelCall) => Promise<ModelReply>;

export interface PolicyRunOptions {
  policy: PolicyName;
  budgetTokens: number;
  model: ModelFn;
  clock: Clock;
  estimator?: EstimatorOptions & { /** Fault: the client's tokenizer counts this fraction of the server's. */ mismatchFactor?: number };
  limits?: BudgetLimits;
}

export interface CallRecord {
  agent: string;
  turn: number;
  maxTokensSent: number;
  reservedTokens: number;
  inputEstimate: number;
  trueTokens: number;
  trueCompletion: number;
  usageReported: boolean;
  ok: boolean;
  errorClass: string | null;
  faults: string[];
}

export interface TrialOutcome {
  policy: PolicyName;
  budgetTokens: number;
  /** Tokens really consumed (the judge's count). */
  trueSpentTokens: number;
  /** Tokens the policy believes it spent. */
  countedTokens: number;
  turnsPlanned: number;
  turnsRun: number;
  turnsTruncated: number;
  refusals: number;
  sumReservedTokens: number;
  sumUsedTokens: number;
  peakReservedTokens: number;
  /** Peak number of calls in flight at once. */
  peakInFlight: number;
  calls: CallRecord[];
  /** Ledger conservation held at the end (null for naive, which has no ledger). */
  conserved: boolean | null;
}

const words = (n: number, w = 'w'): string => (n > 0 ? Array.from({ length: n }, () => w).join(' ') : '');

interface Ctx {
  opts: PolicyRunOptions;
  out: TrialOutcome;
  naiveSpent: number;
  inFlight: number;
  reservedNow: number;
  /** Observed completion tokens (adaptive sizing) and per-agent totals. */
  observedOutputs: number[];
  observedAgentTokens: number[];
}

function p95(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))];
}

/** A slot holding an agent's current handle; it changes as the agent splits, tops up or joins. */
interface Slot { h: BudgetHandle | null; pool: Slot | null }

async function callTurn(ctx: Ctx, node: AgentNode, i: number, t: TurnSpec, msgs: ChatMsg[], prev: { p: number; c: number } | null, newMsgs: string[], slot: Slot | null): Promise<ModelReply | null> {
  const { opts, out } = ctx;
  const est = opts.estimator ?? {};
  const rawNew = countNewTextTokens(newMsgs, est);
  const inputEstimate = (prev ? prev.p + prev.c : 0) + Math.ceil(rawNew * (est.mismatchFactor ?? 1));
  let maxTokens = t.maxTokens;
  let res: Reservation | null = null as Reservation | null;
  if (opts.policy === 'naive') {
    if (ctx.naiveSpent >= opts.budgetTokens) { out.refusals++; return null; }
  } else {
    if (opts.policy === 'adaptive' && ctx.observedOutputs.length >= 4) {
      maxTokens = Math.min(t.maxTokens, Math.max(4, Math.ceil(p95(ctx.observedOutputs) * 1.2)));
    }
    const h = slot!.h!;
    try {
      res = h.reserve({ inputTokens: inputEstimate, maxTokens });
    } catch (e) {
      if (!(e instanceof BudgetRefusedError)) throw e;
      // Adaptive: ask the parent's remainder for a top-up sized for this call.
      const pool = slot!.pool;
      if (opts.policy !== 'adaptive' || e.reason !== 'exhausted' || !pool?.h) { out.refusals++; return null; }
      const need = inputEstimate + maxTokens - h.available().tokens;
      const grant = Math.min(pool.h.available().tokens, need + Math.ceil(p95(ctx.observedOutputs.length ? ctx.observedOutputs : [maxTokens])));
      if (grant < need - maxTokens + 8) { out.refusals++; return null; }
      // The grant is split off the remainder and joined into this agent's own handle, so the
      // agent keeps its turn count (a top-up must not reset the per-agent turn cap).
      const so = new SplitOut();
      const ph: BudgetHandle = pool.h;
      ph.split([grant], so);
      pool.h = so.remainder;
      const g: BudgetHandle = so.children[0];
      g.joinInto(h);
      try {
        res = h.reserve({ inputTokens: inputEstimate, maxTokens });
      } catch (e2) {
        if (!(e2 instanceof BudgetRefusedError)) throw e2;
        out.refusals++;
        return null;
      }
    }
    maxTokens = res.maxTokens;
    ctx.reservedNow += res.amounts.tokens;
    out.peakReservedTokens = Math.max(out.peakReservedTokens, ctx.reservedNow);
  }
  ctx.inFlight++;
  out.peakInFlight = Math.max(out.peakInFlight, ctx.inFlight);
  let reply: ModelReply;
  try {
    reply = await opts.model({ agent: node.id, turn: i, messages: msgs, maxTokens, wantOutputTokens: t.wantOutputTokens });
  } catch (e) {
    ctx.inFlight--;
    if (res) { ctx.reservedNow -= res.amounts.tokens; res[Symbol.dispose](); }
    throw e;
  }
  ctx.inFlight--;
  const trueTokens = reply.trueTokens.prompt + reply.trueTokens.completion;
  out.trueSpentTokens += trueTokens;
  const rec: CallRecord = {
    agent: node.id, turn: i, maxTokensSent: maxTokens, reservedTokens: res?.amounts.tokens ?? 0, inputEstimate,
    trueTokens, trueCompletion: reply.trueTokens.completion, usageReported: reply.usage !== null, ok: reply.ok, errorClass: reply.errorClass, faults: [],
  };
  if (reply.trueTokens.completion > maxTokens) rec.faults.push('output_over_max_tokens');
  if (reply.trueTokens.prompt > inputEstimate) rec.faults.push('input_underestimate');
  if (opts.policy === 'naive') {
    // The naive harness counts what usage says, and nothing when there is none.
    const counted = reply.usage ? reply.usage.promptTokens + reply.usage.completionTokens : 0;
    if (!reply.usage && trueTokens > 0) rec.faults.push('uncounted_usage');
    ctx.naiveSpent += counted;
    out.countedTokens += counted;
  } else if (res) {
    ctx.reservedNow -= res.amounts.tokens;
    const r: Reservation = res;
    if (!reply.ok && trueTokens === 0) {
      r.release();
    } else {
      const settled = new CommitOut();
      r.settle(reply.usage, settled);
      const c = settled.result;
      out.countedTokens += c.charged.tokens;
      for (const f of c.faults) if (!rec.faults.includes(f)) rec.faults.push(f);
    }
    out.sumReservedTokens += rec.reservedTokens;
    out.sumUsedTokens += trueTokens;
  }
  if (reply.ok) ctx.observedOutputs.push(reply.trueTokens.completion);
  if (reply.trueTokens.completion < t.wantOutputTokens && reply.ok) out.turnsTruncated++;
  out.calls.push(rec);
  out.turnsRun++;
  return reply;
}

async function runAgent(ctx: Ctx, node: AgentNode, slot: Slot | null, staticShares: Map<string, BudgetHandle> | null): Promise<number> {
  const msgs: ChatMsg[] = [{ role: 'system', content: words(node.systemTokens) }];
  let newMsgs: string[] = [msgs[0].content];
  let prev: { p: number; c: number } | null = null;
  let used = 0;
  const spawn = async (turnsLeft: number) => {
    if (!node.children.length) return;
    const policy = ctx.opts.policy;
    if (policy === 'naive' || policy === 'static') {
      await Promise.all(node.children.map((c) => runAgent(ctx, c, staticShares ? { h: staticShares.get(c.id) ?? null, pool: null } : null, staticShares)));
      return;
    }
    const h: BudgetHandle = slot!.h!;
    const avail = h.available().tokens;
    const n = node.children.length;
    // Hold back what the parent's own remaining turns should need; the children share the rest.
    const perTurn = (prev ? prev.p + prev.c : node.systemTokens) + 2 * (node.turns[0]?.maxTokens ?? 16) + 40;
    const hold = turnsLeft * perTurn;
    let share = avail > hold ? Math.floor((avail - hold) / n) : Math.floor(avail / (n + 1));
    if (policy === 'adaptive' && ctx.observedAgentTokens.length >= 2) share = Math.min(share, Math.ceil(p95(ctx.observedAgentTokens) * 1.2));
    const so = new SplitOut();
    h.split(node.children.map(() => share), so);
    const pool: Slot = { h: so.remainder, pool: slot!.pool };
    slot!.h = null;
    const childSlots = so.children.map((c) => ({ h: c as BudgetHandle | null, pool }));
    await Promise.all(node.children.map(async (c, k) => {
      await runAgent(ctx, c, childSlots[k], null);
      // Finished: hand what is left back to the parent's remainder at once.
      const ch: BudgetHandle | null = childSlots[k].h;
      if (ch && pool.h) { const done: BudgetHandle = ch; done.joinInto(pool.h); childSlots[k].h = null; }
    }));
    slot!.h = pool.h;
  };
  for (let i = 0; i < node.turns.length; i++) {
    if (i === node.spawnAfter) await spawn(node.turns.length - i);
    const t = node.turns[i];
    const userText = words(t.newInputTokens);
    msgs.push({ role: 'user', content: userText });
    newMsgs.push(userText);
    const reply = await callTurn(ctx, node, i, t, msgs, prev, newMsgs, slot);
    if (!reply) break; // refused: the agent stops (its remaining turns are not run)
    used += reply.trueTokens.prompt + reply.trueTokens.completion;
    const outText = reply.outputText || words(reply.trueTokens.completion, 'x');
    msgs.push({ role: 'assistant', content: outText });
    prev = reply.usage ? { p: reply.usage.promptTokens, c: reply.usage.completionTokens } : null;
    newMsgs = prev ? [] : msgs.map((m) => m.content);
  }
  if (node.spawnAfter >= node.turns.length) await spawn(0);
  ctx.observedAgentTokens.push(used);
  return used;
}

function allAgents(n: AgentNode, acc: AgentNode[] = []): AgentNode[] {
  acc.push(n);
  n.children.forEach((c) => allAgents(c, acc));
  return acc;
}

/** Run one trial of a workload under a policy. */
export async function runPolicyTrial(w: Workload, opts: PolicyRunOptions): Promise<TrialOutcome> {
  const agents = allAgents(w.root);
  const out: TrialOutcome = {
    policy: opts.policy, budgetTokens: opts.budgetTokens, trueSpentTokens: 0, countedTokens: 0,
    turnsPlanned: agents.reduce((a, n) => a + n.turns.length, 0), turnsRun: 0, turnsTruncated: 0, refusals: 0,
    sumReservedTokens: 0, sumUsedTokens: 0, peakReservedTokens: 0, peakInFlight: 0, calls: [], conserved: null,
  };
  const ctx: Ctx = { opts, out, naiveSpent: 0, inFlight: 0, reservedNow: 0, observedOutputs: [], observedAgentTokens: [] };
  if (opts.policy === 'naive') {
    await runAgent(ctx, w.root, null, null);
    return out;
  }
  const limits: BudgetLimits = { ...opts.limits };
  const ledger = new BudgetLedger({ tokens: opts.budgetTokens, limits }, opts.clock, { keepLog: false });
  let root: BudgetHandle = ledger.root();
  let staticShares: Map<string, BudgetHandle> | null = null;
  if (opts.policy === 'static') {
    const so = new SplitOut();
    const others = agents.slice(1);
    const each = Math.floor(opts.budgetTokens / agents.length);
    root.split(others.map(() => each), so);
    root = so.remainder;
    staticShares = new Map(others.map((a, k) => [a.id, so.children[k]]));
  }
  await runAgent(ctx, w.root, { h: root, pool: null }, staticShares);
  out.conserved = ledger.conservation().ok;
  return out;
}
