/**
 * The lane program (DESIGN 2, 4 Load model): one synchronous state machine for how an agent lane
 * walks its trajectories, driven by two drivers: replay's HTTP lanes (real clock, sockets) and the
 * planner's virtual-time lanes (discrete events). Neither driver decides any of this:
 * - which trajectory a lane replays and at which root turn its first tree starts (seeded per lane,
 *   the same at every level), with one warm-up request carrying the preceding context;
 * - sub-agents inside the lane: `join: all` waits for them, `join: none` runs in the background
 *   and the lane recycles only when the whole tree has drained;
 * - tool/think waits of recorded duration x toolTimeScale, capped, end-to-start from when each
 *   wait was due; a pause after a failed call; a 1 s pause after a tree that made no call;
 * - the stagger of the lane's start (a seeded fraction of the driver's ramp).
 * The program never sees a clock: each entry point gets `nowMs` and returns the actions that are
 * due (calls to send, waits to sleep). It is iterative: a spawn chain of any depth uses a heap
 * array, not the call stack, and agent lookups are indexed.
 */
import { AgentdynoError, Rng } from '../core/index.js';
import type { AgentTrace, Trajectory } from './types.js';
import { agentsById, walkAgent, type WalkedStep } from './walk.js';

export interface ProgramConfig {
  lane: number;
  seed: number;
  trajectories: readonly Trajectory[];
  toolTimeScale: number;
  /** Cap on one scaled tool/think gap; null = no cap. */
  maxIdleGapMs: number | null;
  /** Start the first tree at a random root turn with one warm-up request. */
  midStart: boolean;
  /** Range of the start turn as a fraction of the root's turns (default [0, 1)). */
  startRange?: [number, number];
  /** Pause after a failed call, so a dead endpoint does not spin the lane (0 = none). */
  errorPauseMs: number;
  /** Go on to the next trajectory when a tree has drained (default true; false = one tree). */
  recycle?: boolean;
}

/** One running agent of a lane tree; drivers key their own per-agent state (prompts) on `id`. */
export interface AgentHandle {
  readonly id: number;
  readonly lane: number;
  /** Which tree of this lane (0 = the first, possibly mid-trajectory). */
  readonly cycle: number;
  readonly trajectory: Trajectory;
  readonly agent: AgentTrace;
  readonly parentId: number | null;
}

export type ProgramAction =
  | {
      kind: 'call';
      agent: AgentHandle;
      /** The llm step (for a warm-up: the start turn it warms up for). */
      step: WalkedStep;
      warmup: boolean;
      /** When the call was due: the previous call's end plus the scaled waits since. */
      dueMs: number;
      /** llm steps fast-forwarded before this call (the context a warm-up carries); usually empty. */
      skipped: readonly WalkedStep[];
    }
  | { kind: 'wait'; agent: AgentHandle; fromMs: number; untilMs: number; wait: 'tool' | 'think' | 'error-pause' }
  /** The lane waits before its next tree (a tree without a call; the start stagger). */
  | { kind: 'lane-wait'; fromMs: number; untilMs: number; wait: 'between-trees' | 'stagger' };

interface AgentState {
  h: AgentHandle;
  walked: WalkedStep[];
  idx: number;
  startTurn: number;
  skipping: boolean;
  skipped: WalkedStep[];
  schedMs: number;
  pendingKids: number;
  blocked: boolean;
  /** The call in flight is the warm-up (no error pause after it: the start turn's call is next). */
  inWarmup: boolean;
  /** Waiting at a join-all spawn. */
  joining: boolean;
  depth: number;
  parent: AgentState | null;
  tree: TreeState;
}

interface TreeState {
  cycle: number;
  trajectory: Trajectory;
  live: number;
  calls: number;
}

/** Lane i always draws the same trajectories and start turn for a given seed, whatever the level or driver. */
export function laneRng(seed: number, lane: number): Rng {
  return new Rng((Math.imul(seed ^ 0x27d4eb2d, 0x165667b1) + Math.imul(lane + 1, 0x9e3779b1)) >>> 0);
}

const walkIndex = new WeakMap<Trajectory, Map<string, WalkedStep[]>>();

function walked(t: Trajectory, agentId: string): WalkedStep[] {
  let m = walkIndex.get(t);
  if (!m) walkIndex.set(t, (m = new Map()));
  let w = m.get(agentId);
  if (!w) m.set(agentId, (w = walkAgent(t, agentId)));
  return w;
}

export class LaneProgram {
  readonly rng: Rng;
  /** Seeded fraction in [0, 1) of the driver's ramp after which this lane starts. */
  readonly staggerFraction: number;
  treesStarted = 0;
  treesCompleted = 0;
  callsIssued = 0;
  /** Called when an agent run reaches its end (the analytic duty cycle reads the root's end). */
  onAgentEnd?: (h: AgentHandle, nowMs: number) => void;
  private nextId = 0;
  private cycle = 0;
  private stopped = false;

  constructor(readonly cfg: ProgramConfig) {
    if (!cfg.trajectories.length) throw new RangeError('a lane needs at least one trajectory');
    this.rng = laneRng(cfg.seed, cfg.lane);
    // A separate stream, so the stagger does not shift the lane's trajectory draws.
    this.staggerFraction = new Rng((Math.imul(cfg.seed + 0x51ed27, 0x2545f491) ^ Math.imul(cfg.lane + 1, 0x68e31da4)) >>> 0).next();
  }

  /** No further trees once the current one drains (the drivers' stop). */
  stop(): void {
    this.stopped = true;
  }

  /** Start the lane: its first tree (possibly mid-trajectory) at `nowMs`. */
  start(nowMs: number): ProgramAction[] {
    const out: ProgramAction[] = [];
    this.startTree(nowMs, out);
    return out;
  }

  /** Begin the lane after its stagger: a lane-wait first when the ramp puts it later than now. */
  startAfterStagger(nowMs: number, rampMs: number): ProgramAction[] {
    const at = nowMs + this.staggerFraction * Math.max(0, rampMs);
    if (at > nowMs) return [{ kind: 'lane-wait', fromMs: nowMs, untilMs: at, wait: 'stagger' }];
    return this.start(nowMs);
  }

  /** A call of `agent` ended at `nowMs` (ok = it succeeded; a cut or failed call is not ok). */
  callDone(agent: AgentHandle, ok: boolean, nowMs: number): ProgramAction[] {
    const a = this.state(agent);
    a.schedMs = nowMs;
    const out: ProgramAction[] = [];
    const wasWarmup = a.inWarmup;
    a.inWarmup = false;
    if (!ok && !wasWarmup && this.cfg.errorPauseMs > 0) {
      out.push({ kind: 'wait', agent, fromMs: nowMs, untilMs: nowMs + this.cfg.errorPauseMs, wait: 'error-pause' });
      return out;
    }
    this.run([a], nowMs, out);
    return out;
  }

  /** A wait of `agent` (or, with null, the lane's own wait) ended at `nowMs`. */
  waitDone(agent: AgentHandle | null, nowMs: number, wait: 'tool' | 'think' | 'error-pause' | 'between-trees' | 'stagger'): ProgramAction[] {
    const out: ProgramAction[] = [];
    if (agent === null) {
      if (!this.stopped) this.startTree(nowMs, out);
      return out;
    }
    const a = this.state(agent);
    // After an error pause the next call is due now; after a tool wait, when the wait was due to end.
    if (wait === 'error-pause') a.schedMs = nowMs;
    this.run([a], nowMs, out);
    return out;
  }

  private readonly states = new Map<number, AgentState>();

  private state(h: AgentHandle): AgentState {
    const s = this.states.get(h.id);
    if (!s) throw new AgentdynoError(`lane ${this.cfg.lane}: agent run ${h.id} is not running`, { code: 'E_INTERNAL' });
    return s;
  }

  private startTree(nowMs: number, out: ProgramAction[]): void {
    const { trajectories } = this.cfg;
    const t = trajectories[this.rng.int(0, trajectories.length - 1)];
    const root = t.agents.find((a) => a.parent === null);
    if (!root) throw new AgentdynoError(`trajectory ${JSON.stringify(t.id)} has no root agent`, { code: 'E_TRAJECTORY_INVALID', where: '$.agents', hint: 'Validate it with `agentdyno trajectories validate`.' });
    let startTurn = 0;
    if (this.cfg.midStart && this.cycle === 0) {
      const turns = walked(t, root.id).filter((w) => w.step.type === 'llm').length;
      const [lo, hi] = this.cfg.startRange ?? [0, 1];
      startTurn = Math.min(turns - 1, Math.max(0, Math.floor((lo + (hi - lo) * this.rng.next()) * turns)));
    }
    const tree: TreeState = { cycle: this.cycle++, trajectory: t, live: 0, calls: 0 };
    this.treesStarted++;
    this.run([this.newAgent(tree, root, null, startTurn, nowMs)], nowMs, out);
  }

  private newAgent(tree: TreeState, agent: AgentTrace, parent: AgentState | null, startTurn: number, nowMs: number): AgentState {
    const depth = parent ? parent.depth + 1 : 0;
    if (depth > tree.trajectory.agents.length) throw new AgentdynoError(`spawn cycle in trajectory ${JSON.stringify(tree.trajectory.id)} (agent ${JSON.stringify(agent.id)})`, { code: 'E_TRAJECTORY_INVALID', where: '$.agents' });
    tree.live++;
    const h: AgentHandle = { id: this.nextId++, lane: this.cfg.lane, cycle: tree.cycle, trajectory: tree.trajectory, agent, parentId: parent?.h.id ?? null };
    const s: AgentState = { h, walked: walked(tree.trajectory, agent.id), idx: 0, startTurn, skipping: startTurn > 0, skipped: [], schedMs: nowMs, pendingKids: 0, blocked: false, inWarmup: false, joining: false, depth, parent, tree };
    this.states.set(h.id, s);
    return s;
  }

  private gapMs(ms: number): number {
    const scaled = ms * this.cfg.toolTimeScale;
    return this.cfg.maxIdleGapMs === null ? scaled : Math.min(scaled, this.cfg.maxIdleGapMs);
  }

  /** Advance agents until each waits (call, wait, join) or ends; `work` is a stack, first out first. */
  private run(initial: AgentState[], nowMs: number, out: ProgramAction[]): void {
    const work = [...initial].reverse();
    while (work.length) {
      const a = work.pop()!;
      if (a.blocked) continue;
      if (a.joining) {
        // Back after starting its join-all children: wait for them, or go on now if they all ended.
        if (a.pendingKids > 0) {
          a.blocked = true;
          continue;
        }
        a.joining = false;
        a.schedMs = nowMs;
      }
      if (!this.step(a, nowMs, out, work)) continue;
      this.finish(a, nowMs, out, work);
    }
  }

  /** Walk one agent; true when it reached its end. */
  private step(a: AgentState, nowMs: number, out: ProgramAction[], work: AgentState[]): boolean {
    while (a.idx < a.walked.length) {
      const w = a.walked[a.idx];
      const s = w.step;
      if (s.type === 'llm') {
        if (a.skipping && w.llmTurn < a.startTurn) {
          a.skipped.push(w);
          a.idx++;
          continue;
        }
        if (a.skipping) {
          a.skipping = false;
          a.inWarmup = true;
          a.tree.calls++;
          this.callsIssued++;
          out.push({ kind: 'call', agent: a.h, step: w, warmup: true, dueMs: nowMs, skipped: a.skipped });
          a.skipped = [];
          return false;
        }
        a.idx++;
        a.tree.calls++;
        this.callsIssued++;
        out.push({ kind: 'call', agent: a.h, step: w, warmup: false, dueMs: a.schedMs, skipped: [] });
        return false;
      }
      a.idx++;
      if (s.type === 'tool' || s.type === 'think') {
        if (a.skipping) continue;
        const from = a.schedMs;
        a.schedMs += this.gapMs(s.duration_ms);
        if (a.schedMs > nowMs) {
          out.push({ kind: 'wait', agent: a.h, fromMs: Math.max(from, nowMs), untilMs: a.schedMs, wait: s.type });
          return false;
        }
        continue;
      }
      // spawn; spawned before the start turn: in the past
      if (a.skipping) continue;
      const byId = agentsById(a.tree.trajectory);
      const kids = s.agents.map((id) => byId.get(id)).filter((x): x is AgentTrace => x !== undefined);
      if (!kids.length) continue;
      const joinAll = s.join === 'all';
      const states = kids.map((k) => this.newAgent(a.tree, k, a, 0, nowMs));
      if (joinAll) {
        a.pendingKids += states.length;
        a.joining = true;
      }
      // The parent resumes after its children have each run up to their first wait (as replay's promises do).
      work.push(a);
      for (let i = states.length - 1; i >= 0; i--) {
        if (!joinAll) states[i].parent = null;
        work.push(states[i]);
      }
      return false;
    }
    return true;
  }

  private finish(a: AgentState, nowMs: number, out: ProgramAction[], work: AgentState[]): void {
    this.states.delete(a.h.id);
    this.onAgentEnd?.(a.h, nowMs);
    const tree = a.tree;
    tree.live--;
    const p = a.parent;
    if (p) {
      p.pendingKids--;
      if (p.pendingKids === 0 && p.blocked) {
        p.blocked = false;
        p.joining = false;
        p.schedMs = nowMs;
        work.push(p);
      }
    }
    if (tree.live === 0) {
      this.treesCompleted++;
      if (this.stopped || this.cfg.recycle === false) return;
      // A tree that made no call must not spin the lane at one instant.
      if (tree.calls > 0) this.startTree(nowMs, out);
      else out.push({ kind: 'lane-wait', fromMs: nowMs, untilMs: nowMs + 1000, wait: 'between-trees' });
    }
  }
}
