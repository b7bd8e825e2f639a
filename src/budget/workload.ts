/**
 * Fan-out workloads for the budget bench: a tree of agents, each a list of model turns, with its
 * sub-agents spawned (concurrently) after one of its turns. Token counts are kept small so a
 * thousand trials run in minutes; the shape (width, depth, turns) is what makes budgets overrun.
 */
import type { Rng } from '../core/index.js';
import type { Trajectory } from '../trajectory/index.js';

export interface TurnSpec {
  /** Tokens of new input this turn (tool results, user text). */
  newInputTokens: number;
  /** Output the model would produce if max_tokens allowed it. */
  wantOutputTokens: number;
  /** max_tokens the agent asks for. */
  maxTokens: number;
}

export interface AgentNode {
  id: string;
  systemTokens: number;
  turns: TurnSpec[];
  /** Children are spawned after this many turns (0 = before the first). */
  spawnAfter: number;
  children: AgentNode[];
}

export interface Workload {
  id: string;
  source: 'generated' | 'trajectory';
  root: AgentNode;
  agents: number;
  width: number;
  depth: number;
  /** Tokens the whole tree would use if nothing were refused or truncated. */
  demandTokens: number;
}

export function countAgents(n: AgentNode): number {
  return 1 + n.children.reduce((a, c) => a + countAgents(c), 0);
}

function depthOf(n: AgentNode): number {
  return n.children.length ? 1 + Math.max(...n.children.map(depthOf)) : 0;
}

/** Demand of an agent: each turn re-sends the history (system + earlier inputs and outputs). */
export function demandTokens(n: AgentNode): number {
  let history = n.systemTokens;
  let total = 0;
  for (const t of n.turns) {
    history += t.newInputTokens;
    total += history + t.wantOutputTokens;
    history += t.wantOutputTokens;
  }
  return total + n.children.reduce((a, c) => a + demandTokens(c), 0);
}

function workload(id: string, source: Workload['source'], root: AgentNode): Workload {
  const width = Math.max(root.children.length, 0);
  return { id, source, root, agents: countAgents(root), width, depth: depthOf(root), demandTokens: demandTokens(root) };
}

function turn(rng: Rng, maxTokens: number): TurnSpec {
  // Some turns want more than max_tokens (truncated on an honest server): realistic, and what a
  // server that ignores max_tokens turns into an overrun.
  return { newInputTokens: rng.int(8, 40), wantOutputTokens: rng.int(2, 22), maxTokens };
}

/**
 * A generated tree: the root plans (one turn), fans out to `width` (2-32) children, then
 * summarizes; children take 1-3 turns and, above depth 1, fan out again (narrower, 2-4).
 */
export function generateWorkload(rng: Rng, opts: { maxWidth?: number; maxDepth?: number; maxTokens?: number } = {}): Workload {
  const maxTokens = opts.maxTokens ?? 16;
  const width = rng.int(2, opts.maxWidth ?? 32);
  const depth = rng.int(1, opts.maxDepth ?? 3);
  let next = 0;
  const make = (level: number, w: number): AgentNode => {
    const id = level === 0 ? 'root' : `a${next++}`;
    const turns = level === 0 ? [turn(rng, maxTokens), turn(rng, maxTokens)] : Array.from({ length: rng.int(1, 3) }, () => turn(rng, maxTokens));
    const children = level < depth && (level === 0 || rng.next() < 0.5) ? Array.from({ length: w }, () => make(level + 1, rng.int(2, 4))) : [];
    return { id, systemTokens: rng.int(10, 30), turns, spawnAfter: Math.min(1, turns.length), children };
  };
  return workload(`gen-w${width}-d${depth}`, 'generated', make(0, width));
}

/**
 * Workloads from recorded spawn steps: the agent tree and turn counts of each trajectory with a
 * spawn, token counts scaled down (divided by `scale`, clamped) so trials stay fast.
 */
export function workloadsFromTrajectories(trajs: readonly Trajectory[], opts: { scale?: number; maxTokens?: number } = {}): Workload[] {
  const scale = opts.scale ?? 200;
  const maxTokens = opts.maxTokens ?? 16;
  const out: Workload[] = [];
  for (const t of trajs) {
    const byId = new Map(t.agents.map((a) => [a.id, a]));
    if (!t.agents.some((a) => a.steps.some((s) => s.type === 'spawn'))) continue;
    const seen = new Set<string>();
    const build = (id: string): AgentNode | null => {
      const a = byId.get(id);
      if (!a || seen.has(id)) return null;
      seen.add(id);
      const turns: TurnSpec[] = [];
      const children: AgentNode[] = [];
      let spawnAfter = -1;
      for (const s of a.steps) {
        if (s.type === 'llm') {
          const fresh = s.new_input_tokens ?? (turns.length === 0 ? s.input_tokens : Math.max(0, s.input_tokens / 4));
          turns.push({ newInputTokens: Math.max(4, Math.min(80, Math.round(fresh / scale))), wantOutputTokens: Math.max(2, Math.min(22, Math.round(s.output_tokens / 20))), maxTokens });
        } else if (s.type === 'spawn' && spawnAfter < 0) {
          spawnAfter = turns.length;
          for (const c of s.agents) { const n = build(c); if (n) children.push(n); }
        }
      }
      // Long recorded agents are cut to 6 turns: the bench is about fan-out, not context length.
      const kept = turns.slice(0, 6);
      if (kept.length === 0) kept.push({ newInputTokens: 8, wantOutputTokens: 8, maxTokens });
      return { id, systemTokens: Math.max(8, Math.min(60, Math.round(a.system_prompt_tokens / scale))), turns: kept, spawnAfter: Math.min(Math.max(spawnAfter, 0), kept.length), children };
    };
    const rootAgent = t.agents.find((a) => a.parent === null) ?? t.agents[0];
    const root = build(rootAgent.id);
    if (root && root.children.length) out.push(workload(`traj-${t.id}`, 'trajectory', root));
  }
  return out;
}

/**
 * The same tree with every turn's new input and wanted output scaled by its own seeded factor in
 * [1 - spread, 1 + spread]: trials of one recorded shape differ in sizes, never in shape.
 */
export function jitterWorkload(w: Workload, rng: Rng, spread = 0.25): Workload {
  const clone = structuredClone(w);
  const f = () => 1 - spread + 2 * spread * rng.next();
  const walk = (n: AgentNode) => {
    for (const t of n.turns) {
      t.newInputTokens = Math.max(1, Math.round(t.newInputTokens * f()));
      t.wantOutputTokens = Math.max(1, Math.round(t.wantOutputTokens * f()));
    }
    n.children.forEach(walk);
  };
  walk(clone.root);
  return { ...clone, demandTokens: demandTokens(clone.root) };
}

/** Fault: one sub-agent falls into a tool-call loop (keeps calling the model). */
export function withToolLoop(w: Workload, rng: Rng, extraTurns = 40): Workload {
  const clone = structuredClone(w);
  const agents: AgentNode[] = [];
  const walk = (n: AgentNode) => { if (n.id !== 'root') agents.push(n); n.children.forEach(walk); };
  walk(clone.root);
  const victim = agents.length ? rng.pick(agents) : clone.root;
  for (let i = 0; i < extraTurns; i++) victim.turns.push({ newInputTokens: 12, wantOutputTokens: 12, maxTokens: victim.turns[0]?.maxTokens ?? 16 });
  return { ...clone, id: `${clone.id}+loop`, demandTokens: demandTokens(clone.root) };
}
