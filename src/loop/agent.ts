import type { AgentBudgetTree } from '../budget/index.js';
import type { ShownEvent } from './feedback.js';
import type { ParamSpec } from '../task/index.js';

/** What an agent proposes for one iteration. Files are whole contents, relative to the workspace. */
export type Proposal =
  | {
      kind: 'change';
      files?: Record<string, string>;
      params?: Record<string, number | string>;
      note?: string;
      /** What the agent says it expects/observed: stored apart from measured numbers, never scored. */
      claimed?: Record<string, unknown>;
    }
  | { kind: 'stop'; reason?: string };

export interface Remaining {
  tokens: number;
  wallSec: number;
  iterations: number;
}

/** The task as the agent sees it (no solution, no anchors beyond the metric). */
export interface AgentTaskView {
  id: string;
  instruction: string;
  editable: string[];
  params: Record<string, ParamSpec>;
  metric: string;
  direction: 'lower' | 'higher';
  /** Every file in the starting workspace (relative paths). */
  files: string[];
}

export interface TurnContext {
  iteration: number;
  task: AgentTaskView;
  /** Exactly the text the harness shows the agent this turn (budget line first). */
  feedback: string;
  remaining: Remaining;
  /** The same feedback as structured events (as shaped: a noisy value is the noisy one). */
  shown: readonly ShownEvent[];
  /**
   * The loop's budget as a ledger tree: reserve from it (main agent) before every model call and
   * commit the usage after; a refused reservation ends the turn. Unset outside a loop.
   */
  budget?: AgentBudgetTree;
  /** Current content of a workspace file (the agent's working state), or null. */
  readFile(rel: string): string | null;
}

export interface AgentTurn {
  proposal: Proposal;
  tokensIn: number;
  tokensOut: number;
  /** Agent-side notes (tool calls made, model messages); stored with the iteration. */
  log?: unknown;
}

export interface Agent {
  readonly name: string;
  propose(ctx: TurnContext): Promise<AgentTurn>;
}
