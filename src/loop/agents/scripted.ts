import fs from 'node:fs';
import { AgentdynoError } from '../../core/index.js';
import type { Agent, AgentTurn, Proposal, TurnContext } from '../agent.js';

/**
 * One scripted step: `{"files": {...}}`, `{"params": {...}}` (both allowed together), or
 * `{"stop": true}`; optional `tokens` pretends the turn cost that many tokens (for budget tests),
 * `claimed` is what the "agent" says it measured (kept apart from measurements).
 */
export interface ScriptStep {
  files?: Record<string, string>;
  params?: Record<string, number | string>;
  stop?: boolean;
  reason?: string;
  note?: string;
  tokens?: number;
  claimed?: Record<string, unknown>;
}

/** Replays a fixed list of proposals; stops when the list ends. */
export class ScriptedAgent implements Agent {
  readonly name = 'scripted';
  private i = 0;
  /** The feedback each turn received (tests read it). */
  readonly seen: TurnContext[] = [];
  constructor(private readonly steps: readonly ScriptStep[]) {}

  static fromFile(file: string): ScriptedAgent {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new AgentdynoError(`cannot read the proposal script (${(e as Error).message}).`, { code: 'E_FILE_NOT_FOUND', where: file, hint: 'Give --script a JSON array of steps like [{"files": {"kernel.c": "..."}}, {"stop": true}].' });
    }
    if (!Array.isArray(raw)) throw new AgentdynoError('expected a JSON array of steps.', { code: 'E_AGENT', where: file, hint: 'Example: [{"params": {"order": "ikj"}}, {"stop": true}].' });
    raw.forEach((s, i) => {
      if (typeof s !== 'object' || s === null || (!('files' in s) && !('params' in s) && !('stop' in s)))
        throw new AgentdynoError('each step needs "files", "params" or "stop".', { code: 'E_AGENT', where: `${file}: [${i}]` });
    });
    return new ScriptedAgent(raw as ScriptStep[]);
  }

  async propose(ctx: TurnContext): Promise<AgentTurn> {
    this.seen.push(ctx);
    const s = this.steps[this.i++];
    let proposal: Proposal;
    if (!s || s.stop) proposal = { kind: 'stop', reason: s?.reason ?? 'script ended' };
    else proposal = { kind: 'change', files: s.files, params: s.params, note: s.note, claimed: s.claimed };
    return { proposal, tokensIn: s?.tokens ?? 0, tokensOut: 0 };
  }
}
