/**
 * The planner's side of the lane program (trajectory/program.ts, shared with replay): what a call
 * of a program action costs the engine. Prompts keep the replay's prefix structure as KV block
 * hashes: system-prompt blocks shared by every lane with the same system prompt, then
 * per-conversation blocks (the cache-bust marker makes them unique), growing append-only; a turn
 * keeps the blocks of its recorded prefix. A warm-up carries the context before its start turn.
 */
import type { ProgramAction } from '../trajectory/index.js';

export interface CallSpec {
  promptTokens: number;
  outputTokens: number;
  blockHashes: readonly number[];
  /** The trace's theoretical prefix-cache hit. */
  expectedCachedTokens: number;
  warmup: boolean;
}

interface AgentBlocks {
  hashes: number[];
  /** Prompt + output tokens of the previous llm turn (the context a warm-up request carries). */
  ctxTokens: number;
}

type CallAction = Extract<ProgramAction, { kind: 'call' }>;

export class PlanPrompts {
  private freshHash = 1;
  /** Shared system-prompt blocks: one negative id per (system prompt size, block); small ints keep arrays compact. */
  private readonly sysIds = new Map<number, number[]>();
  private nextSysId = -1;
  /** Per lane: the running tree's cycle and its agents' blocks (agent ids are per lane). */
  private readonly lanes = new Map<number, { cycle: number; agents: Map<number, AgentBlocks> }>();

  constructor(private readonly blockSize: number) {}

  /** Blocks of a prompt: keep the recorded prefix's blocks, append fresh ones (append-only growth). */
  private grow(a: AgentBlocks, sysTokens: number, prefixTokens: number, promptTokens: number): void {
    const bs = this.blockSize;
    const keep = Math.min(a.hashes.length, Math.floor(prefixTokens / bs));
    a.hashes.length = keep;
    const n = Math.floor(promptTokens / bs);
    const sysBlocks = Math.floor(sysTokens / bs);
    let sys = this.sysIds.get(sysTokens);
    if (!sys) this.sysIds.set(sysTokens, (sys = []));
    while (sys.length < Math.min(n, sysBlocks)) sys.push(this.nextSysId--);
    for (let i = keep; i < n; i++) a.hashes.push(i < sysBlocks ? sys[i] : this.freshHash++);
  }

  /**
   * The engine request for a call action. The engine keeps a reference to the hashes while the
   * call runs; they change only at the agent's next call, after this one has ended.
   */
  spec(act: CallAction): CallSpec {
    const h = act.agent;
    let lane = this.lanes.get(h.lane);
    // A lane holds one tree at a time: a new cycle drops the previous tree's agents.
    if (!lane || lane.cycle !== h.cycle) this.lanes.set(h.lane, (lane = { cycle: h.cycle, agents: new Map() }));
    let a = lane.agents.get(h.id);
    if (!a) lane.agents.set(h.id, (a = { hashes: [], ctxTokens: 0 }));
    const sys = h.agent.system_prompt_tokens;
    for (const w of act.skipped) {
      if (w.step.type !== 'llm') continue;
      this.grow(a, sys, w.prefixTokens, w.step.input_tokens);
      a.ctxTokens = w.step.input_tokens + w.step.output_tokens;
    }
    const s = act.step.step;
    if (s.type !== 'llm') throw new RangeError('a call action must be an llm step');
    if (act.warmup) {
      // One request with the context this turn would have inherited, 1 output token.
      const ctx = Math.max(1, a.ctxTokens);
      this.grow(a, sys, ctx, ctx);
      return { promptTokens: ctx, outputTokens: 1, blockHashes: a.hashes, expectedCachedTokens: 0, warmup: true };
    }
    this.grow(a, sys, act.step.prefixTokens, s.input_tokens);
    a.ctxTokens = s.input_tokens + s.output_tokens;
    return { promptTokens: s.input_tokens, outputTokens: Math.max(1, s.output_tokens), blockHashes: a.hashes, expectedCachedTokens: act.step.prefixTokens, warmup: false };
  }
}
