/**
 * Simulated agent lanes for the virtual-time planner (DESIGN 4 load model, without sockets or
 * timers): a lane replays one trajectory tree, sub-agents inside it (`join: all` waits, `join:
 * none` runs in the background and the lane drains it), tool/think waits x toolTimeScale (capped),
 * and recycles to the next trajectory when the tree has drained. The first tree starts at a
 * seeded random root turn after one warm-up request carrying the preceding context.
 * Prompts keep the replay's prefix structure as KV block hashes: system-prompt blocks shared by
 * every lane with the same system prompt, then per-conversation blocks (the cache-bust marker
 * makes them unique), growing append-only; a turn keeps the blocks of its recorded prefix.
 */
import { Rng } from '../../core/index.js';
import { findAgent, rootAgent, walkAgent, type Trajectory, type WalkedStep } from '../../trajectory/index.js';

export interface CallSpec {
  promptTokens: number;
  outputTokens: number;
  blockHashes: readonly number[];
  /** The trace's theoretical prefix-cache hit. */
  expectedCachedTokens: number;
  warmup: boolean;
}

export interface LaneHost {
  blockSize: number;
  toolTimeScale: number;
  maxIdleGapMs: number | null;
  /** Send a call for an agent; the host calls `agent.resume(now)` via LaneSet when it finishes. */
  send(agent: AgentRun, call: CallSpec, nowMs: number): void;
  /** Call `agent.lanes.resume(agent, atMs)` at a later virtual time. */
  wake(agent: AgentRun, atMs: number): void;
  /** Start the lane's next tree at a later virtual time. */
  nextTree(lane: LaneState, atMs: number): void;
}

export interface LaneState {
  index: number;
  rng: Rng;
  cycle: number;
  treesCompleted: number;
}

interface TreeRun {
  lane: LaneState;
  cycle: number;
  trajectory: Trajectory;
  live: number;
  calls: number;
}

export interface AgentRun {
  tree: TreeRun;
  agentId: string;
  walked: WalkedStep[];
  idx: number;
  sysTokens: number;
  hashes: number[];
  startTurn: number;
  skipping: boolean;
  /** Prompt + output tokens of the previous llm turn (the context a warm-up request carries). */
  ctxTokens: number;
  parent: AgentRun | null;
  pendingKids: number;
  blocked: boolean;
}

/** Seeded per lane: lane i draws the same trajectories and start turn at every level. */
export function planLaneRng(seed: number, lane: number): Rng {
  return new Rng((Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(lane + 1, 0x9e3779b1)) >>> 0);
}


export class LaneSet {
  private freshHash = 1;
  /** Shared system-prompt blocks: one negative id per (system prompt size, block); small ints keep arrays compact. */
  private readonly sysIds = new Map<number, number[]>();
  private nextSysId = -1;
  private readonly walkCache = new Map<string, WalkedStep[]>();

  constructor(
    private readonly host: LaneHost,
    private readonly trajectories: readonly Trajectory[],
    private readonly midStart: boolean,
  ) {
    if (!trajectories.length) throw new RangeError('the planner needs at least one trajectory');
  }

  private walk(t: Trajectory, agentId: string): WalkedStep[] {
    const key = `${t.id}\u0000${agentId}`;
    let w = this.walkCache.get(key);
    if (!w) this.walkCache.set(key, (w = walkAgent(t, agentId)));
    return w;
  }

  /** Start a lane's next tree (the first one possibly mid-trajectory). */
  startTree(lane: LaneState, nowMs: number): void {
    const t = this.trajectories[lane.rng.int(0, this.trajectories.length - 1)];
    let startTurn = 0;
    const root = rootAgent(t);
    if (this.midStart && lane.cycle === 0) {
      const turns = this.walk(t, root.id).filter((w) => w.step.type === 'llm').length;
      startTurn = Math.min(Math.max(0, turns - 1), Math.floor(lane.rng.next() * turns));
    }
    const tree: TreeRun = { lane, cycle: lane.cycle++, trajectory: t, live: 0, calls: 0 };
    this.advance(this.newAgent(tree, root.id, null, startTurn), nowMs);
  }

  private newAgent(tree: TreeRun, agentId: string, parent: AgentRun | null, startTurn: number): AgentRun {
    tree.live++;
    const a = findAgent(tree.trajectory, agentId);
    return {
      tree,
      agentId,
      walked: this.walk(tree.trajectory, agentId),
      idx: 0,
      sysTokens: a.system_prompt_tokens,
      hashes: [],
      startTurn,
      skipping: startTurn > 0,
      ctxTokens: 0,
      parent,
      pendingKids: 0,
      blocked: false,
    };
  }

  /** Blocks of a prompt: keep the recorded prefix's blocks, append fresh ones (append-only growth). */
  private growHashes(a: AgentRun, prefixTokens: number, promptTokens: number): void {
    const bs = this.host.blockSize;
    const keep = Math.min(a.hashes.length, Math.floor(prefixTokens / bs));
    a.hashes.length = keep;
    const n = Math.floor(promptTokens / bs);
    const sysBlocks = Math.floor(a.sysTokens / bs);
    let sys = this.sysIds.get(a.sysTokens);
    if (!sys) this.sysIds.set(a.sysTokens, (sys = []));
    while (sys.length < Math.min(n, sysBlocks)) sys.push(this.nextSysId--);
    for (let i = keep; i < n; i++) a.hashes.push(i < sysBlocks ? sys[i] : this.freshHash++);
  }

  /** Continue an agent from its current step until it waits (call, tool gap, join) or ends. */
  advance(a: AgentRun, nowMs: number): void {
    const host = this.host;
    while (a.idx < a.walked.length) {
      const w = a.walked[a.idx];
      const s = w.step;
      if (s.type === 'llm') {
        if (a.skipping && w.llmTurn < a.startTurn) {
          this.growHashes(a, w.prefixTokens, s.input_tokens);
          a.ctxTokens = s.input_tokens + s.output_tokens;
          a.idx++;
          continue;
        }
        if (a.skipping) {
          // Warm-up: one request with the context this turn would have inherited, 1 output token.
          a.skipping = false;
          const ctx = Math.max(1, a.ctxTokens);
          this.growHashes(a, ctx, ctx);
          a.tree.calls++;
          host.send(a, { promptTokens: ctx, outputTokens: 1, blockHashes: a.hashes, expectedCachedTokens: 0, warmup: true }, nowMs);
          return;
        }
        // The engine keeps a reference to `hashes` while the call runs; they only change after it ends.
        this.growHashes(a, w.prefixTokens, s.input_tokens);
        a.ctxTokens = s.input_tokens + s.output_tokens;
        a.idx++;
        a.tree.calls++;
        host.send(a, { promptTokens: s.input_tokens, outputTokens: Math.max(1, s.output_tokens), blockHashes: a.hashes, expectedCachedTokens: w.prefixTokens, warmup: false }, nowMs);
        return;
      }
      a.idx++;
      if (s.type === 'tool' || s.type === 'think') {
        if (a.skipping) continue;
        const scaled = s.duration_ms * host.toolTimeScale;
        const gap = host.maxIdleGapMs === null ? scaled : Math.min(scaled, host.maxIdleGapMs);
        if (gap > 0) {
          host.wake(a, nowMs + gap);
          return;
        }
        continue;
      }
      // spawn
      if (a.skipping) continue; // spawned before the start turn: in the past
      const ids = s.agents.filter((id) => a.tree.trajectory.agents.some((x) => x.id === id));
      const joinAll = s.join === 'all';
      if (joinAll) a.pendingKids += ids.length;
      for (const id of ids) this.advance(this.newAgent(a.tree, id, joinAll ? a : null, 0), nowMs);
      if (joinAll && a.pendingKids > 0) {
        a.blocked = true;
        return;
      }
    }
    this.done(a, nowMs);
  }

  private done(a: AgentRun, nowMs: number): void {
    const tree = a.tree;
    tree.live--;
    const p = a.parent;
    if (p) {
      p.pendingKids--;
      if (p.pendingKids === 0 && p.blocked) {
        p.blocked = false;
        this.advance(p, nowMs);
      }
    }
    if (tree.live === 0) {
      tree.lane.treesCompleted++;
      // A tree that made no call must not spin the lane at one instant.
      this.host.nextTree(tree.lane, tree.calls > 0 ? nowMs : nowMs + 1000);
    }
  }
}
