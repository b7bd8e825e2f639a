/**
 * The loop's token budget as an affine ledger handle (one AgentBudgetTree per run), for every agent
 * kind: a model-calling agent reserves from it before each call and commits the usage the server
 * reported; the command agent's proxy gate does the same for the agent CLI and its sub-agents. The
 * loop's token count is what the ledger charged, not what an agent says it used; an agent that
 * spent outside the ledger (a scripted agent's pretend `tokens`) is charged after the fact, and what
 * did not fit shows as overrun. A refused reservation during a turn means the budget is spent: the
 * loop ends after that iteration with the refusal as its reason.
 */
import { AgentBudgetTree, type AgentBudgetTreeReport } from '../budget/index.js';

export class LoopBudget {
  readonly tree: AgentBudgetTree;
  /** Why the budget is spent (a refusal's numbers), once one was refused. */
  spent: string | null = null;
  private spentAtTurn = 0;
  /** Reported spend with no budget left to reserve against: counted as used and as overrun. */
  private unledgered = 0;
  private eventsAtTurn = 0;

  constructor(tokens: number, tree?: AgentBudgetTree) {
    this.tree = tree ?? new AgentBudgetTree({ tokens: Math.max(0, Math.floor(tokens)) });
  }

  /** Tokens the ledger has charged so far (every agent and sub-agent). */
  get usedTokens(): number {
    return this.tree.ledger.state.spent.tokens + this.unledgered;
  }

  beginTurn(): void {
    this.spentAtTurn = this.usedTokens;
    this.eventsAtTurn = this.tree.ledger.events.length;
  }

  /**
   * After a turn: charge what the agent says it used beyond what the ledger saw, return sub-agents'
   * unspent budget to their parents, and note a refusal. Returns the run's tokens so far.
   */
  endTurn(declaredTokens: number): number {
    const extra = Math.floor(declaredTokens) - (this.usedTokens - this.spentAtTurn);
    if (extra > 0) this.chargeUnreserved(extra);
    this.tree.endIteration();
    const refused = this.tree.ledger.events.slice(this.eventsAtTurn).find((e) => e.kind === 'refuse');
    if (refused && !this.spent) {
      const d = refused.detail as { reason?: string; inputTokens?: number; maxTokens?: number };
      this.spent = `token budget spent: a model call on handle "${refused.handle}" was refused (${d.reason ?? 'exhausted'}; it needed ${d.inputTokens ?? '?'} input + at least 1 output token, ${this.tree.available()} of ${this.tree.ledger.state.root.tokens} tokens left)`;
    }
    return this.usedTokens;
  }

  /** Spend the agent reported but never reserved: reserve what fits, commit all of it (the rest is overrun). */
  private chargeUnreserved(tokens: number): void {
    const avail = this.tree.available();
    if (avail < 1) {
      this.unledgered += tokens; // no reservation can be made on an empty handle
      return;
    }
    const r = this.tree.reserve(this.tree.mainAgent, Math.min(tokens, avail - 1), 1);
    this.tree.commit(r, { promptTokens: tokens, completionTokens: 0 });
  }

  report(): AgentBudgetTreeReport {
    const r = this.tree.report();
    return this.unledgered ? { ...r, spentTokens: r.spentTokens + this.unledgered, overrunTokens: r.overrunTokens + this.unledgered } : r;
  }
}
