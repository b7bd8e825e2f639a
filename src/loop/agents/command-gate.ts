/**
 * The budget gate of a command agent's proxy: every model call of the agent CLI and of each
 * sub-agent it spawns reserves from that agent's handle in one AgentBudgetTree (split from its
 * parent on first sight) before it is forwarded, with its output cap clamped to what the
 * reservation allows; the usage the server reports is committed when the call ends. A refused
 * call gets HTTP 402 (not 429: SDKs retry 429), and the gate remembers that the budget is spent.
 */
import { AgentBudgetTree, BudgetRefusedError, countNewTextTokens, type Reservation } from '../../budget/index.js';
import type { GateAnswer, GateRequest, GateUsage, RequestGate } from '../../record/index.js';

/** The body field that caps output tokens in each API. */
function capField(r: GateRequest): string {
  if (r.api === 'responses') return 'max_output_tokens';
  if (r.api === 'chat' && r.body.max_completion_tokens !== undefined) return 'max_completion_tokens';
  return 'max_tokens';
}

/** A wide input estimate (chars/2 per text, the budget module's no-tokenizer rule) over messages, tool calls and tool schemas. */
export function estimateInput(r: GateRequest): number {
  const texts: string[] = [];
  for (const m of r.request.messages) {
    texts.push(typeof m.content === 'string' ? m.content : m.content == null ? '' : JSON.stringify(m.content));
    for (const t of m.tool_calls ?? []) texts.push(`${t.function.name}${t.function.arguments}`);
    if (m.reasoning_content) texts.push(m.reasoning_content);
  }
  if (r.request.tools.length) texts.push(JSON.stringify(r.request.tools));
  return countNewTextTokens(texts, { method: 'chars' });
}

export interface BudgetGateLog {
  calls: number;
  refused: { agent: string; reason: string }[];
}

export class BudgetGate implements RequestGate {
  /** Set once a call was refused: the iteration should end with the reason. */
  spent: string | null = null;
  readonly log: BudgetGateLog = { calls: 0, refused: [] };
  /** Usage committed this iteration (prompt + completion tokens). */
  iterationTokens = { in: 0, out: 0 };

  constructor(readonly tree: AgentBudgetTree, private readonly defaultMaxTokens = 4096) {}

  async admit(r: GateRequest): Promise<GateAnswer> {
    await this.tree.handleFor(r.agent, r.parent);
    const field = capField(r);
    const asked = typeof r.body[field] === 'number' ? (r.body[field] as number) : this.defaultMaxTokens;
    let res: Reservation;
    try {
      res = this.tree.reserve(r.agent, estimateInput(r), Math.max(1, Math.floor(asked)));
    } catch (e) {
      if (!(e instanceof BudgetRefusedError)) throw e;
      this.spent ??= `token budget spent: ${e.message}`;
      this.log.refused.push({ agent: r.agent, reason: e.message });
      return { ok: false, status: 402, type: 'budget_exhausted', message: `agentdyno budget: ${e.message}` };
    }
    this.log.calls++;
    const body = { ...r.body, [field]: res.maxTokens };
    return {
      ok: true,
      body,
      ticket: {
        settle: (outcome, usage: GateUsage | null) => {
          if (outcome === 'failed') return this.tree.release(res);
          if (outcome === 'cut') return this.tree.forfeit(res);
          const u = usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
            ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? null }
            : null;
          if (u) {
            this.iterationTokens.in += u.promptTokens;
            this.iterationTokens.out += u.completionTokens;
          } else this.iterationTokens.in += res.amounts.tokens; // no usage: the whole reservation is charged
          this.tree.commit(res, u);
        },
      },
    };
  }

  /** Start of an iteration: counters reset (the tree keeps its history). */
  beginIteration(): void {
    this.spent = null;
    this.iterationTokens = { in: 0, out: 0 };
  }
}
