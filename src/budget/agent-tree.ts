/**
 * One budget tree for an agent and the sub-agents it spawns on its own (an agent CLI behind a
 * proxy): the first call of a sub-agent splits a share off its parent's handle (affine: the parent
 * continues on the remainder), every call reserves from its own agent's handle before it is sent
 * and commits the usage the server reported, and `joinAll` returns every sub-agent's unspent
 * budget to its parent, deepest first. Whatever the fan-out, the sum of what is charged cannot
 * exceed the root's budget except through an estimator fault, which the ledger counts as overrun.
 */
import { BudgetLedger, SplitOut, type BudgetHandle, type Reservation } from './ledger.js';
import type { RootSpec } from './state.js';
import type { UsageReport } from './ops.js';

export interface AgentBudgetNode {
  agent: string;
  parent: string | null;
  /** Ledger handle paths this agent has spent from (a split moves the agent to `…/rest`). */
  handles: string[];
  calls: number;
  reserved: number;
  committed: number;
  forfeited: number;
  released: number;
  refused: number;
}

export interface AgentBudgetTreeReport {
  rootTokens: number;
  spentTokens: number;
  overrunTokens: number;
  nodes: AgentBudgetNode[];
}

interface Entry {
  agent: string;
  parent: string | null;
  handle: BudgetHandle;
  handles: string[];
  children: string[];
  calls: number;
}

export class AgentBudgetTree {
  readonly ledger: BudgetLedger;
  private readonly agents = new Map<string, Entry>();
  private readonly waiters: (() => void)[] = [];

  /** `subagentShare`: the fraction of its parent's available budget a new sub-agent gets (default 0.25). */
  constructor(spec: RootSpec, private readonly o: { mainAgent?: string; subagentShare?: number } = {}) {
    this.ledger = new BudgetLedger(spec);
    const main = o.mainAgent ?? 'main';
    this.agents.set(main, { agent: main, parent: null, handle: this.ledger.root(), handles: ['root'], children: [], calls: 0 });
  }

  get mainAgent(): string {
    return this.o.mainAgent ?? 'main';
  }

  available(agent = this.mainAgent): number {
    const e = this.agents.get(agent);
    return e && e.handle.live ? e.handle.available().tokens : 0;
  }

  /**
   * The handle of `agent`, created on first sight by splitting its parent (which must exist; an
   * unknown parent means the main agent). Waits while the parent has a call in flight (a handle
   * with an outstanding reservation cannot be split).
   */
  async handleFor(agent: string, parent: string | null): Promise<BudgetHandle> {
    for (;;) {
      const have = this.agents.get(agent);
      if (have) return have.handle;
      const p = this.agents.get(parent && this.agents.has(parent) ? parent : this.mainAgent)!;
      const ph = this.ledger.state.handles[p.handle.path];
      if (ph && ph.outstanding === 0) {
        const out = new SplitOut();
        const share = Math.max(0, Math.min(1, this.o.subagentShare ?? 0.25));
        const parentHandle: BudgetHandle = p.handle; // an assertion method needs an annotated name (TS2775)
        parentHandle.split([share], out, { unit: 'fraction' });
        p.handle = out.remainder;
        p.handles.push(out.remainder.path);
        p.children.push(agent);
        this.agents.set(agent, { agent, parent: p.agent, handle: out.children[0], handles: [out.children[0].path], children: [], calls: 0 });
        continue;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Reserve before a call; throws BudgetRefusedError when the agent's handle cannot cover it. */
  reserve(agent: string, inputTokens: number, maxTokens: number): Reservation {
    const e = this.agents.get(agent);
    if (!e) throw new Error(`agent ${agent} has no budget handle (call handleFor first)`);
    e.calls++;
    return e.handle.reserve({ inputTokens, maxTokens });
  }

  commit(r: Reservation, usage: UsageReport | null): void {
    r.commit(usage);
    this.wake();
  }

  /** The call failed before using anything. */
  release(r: Reservation): void {
    r.release();
    this.wake();
  }

  /** The call was cut with usage unknown: the whole reservation counts as spent. */
  forfeit(r: Reservation): void {
    r[Symbol.dispose]();
    this.wake();
  }

  /** End of an iteration: every sub-agent's unspent budget goes back to its parent, deepest first. */
  joinAll(): void {
    const depth = (e: Entry): number => (e.parent ? 1 + depth(this.agents.get(e.parent)!) : 0);
    const subs = [...this.agents.values()].filter((e) => e.parent !== null).sort((a, b) => depth(b) - depth(a));
    for (const e of subs) {
      const parent = this.agents.get(e.parent!)!;
      if (e.handle.live && parent.handle.live) parent.handle.join([e.handle]);
      this.agents.delete(e.agent);
      parent.children = parent.children.filter((c) => c !== e.agent);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters.splice(0);
    for (const f of w) f();
  }

  /** Reserved / committed / forfeited / released per agent, from the ledger's own events. */
  report(): AgentBudgetTreeReport {
    const byPath = new Map<string, AgentBudgetNode>();
    const nodes = new Map<string, AgentBudgetNode>();
    const seen = new Map<string, { agent: string; parent: string | null; handles: Set<string>; calls: number }>();
    for (const [id, e] of this.agents) seen.set(id, { agent: id, parent: e.parent, handles: new Set(e.handles), calls: e.calls });
    // Sub-agents seen again in a later iteration get a new entry each time: their calls add up.
    for (const e of this.history) {
      const s = seen.get(e.agent) ?? { agent: e.agent, parent: e.parent, handles: new Set<string>(), calls: 0 };
      for (const h of e.handles) s.handles.add(h);
      s.calls += e.calls;
      seen.set(e.agent, s);
    }
    for (const s of seen.values()) {
      const n: AgentBudgetNode = { agent: s.agent, parent: s.parent, handles: [...s.handles], calls: s.calls, reserved: 0, committed: 0, forfeited: 0, released: 0, refused: 0 };
      nodes.set(s.agent, n);
      for (const h of s.handles) byPath.set(h, n);
    }
    for (const ev of this.ledger.events) {
      const n = byPath.get(ev.handle);
      if (!n) continue;
      if (ev.kind === 'reserve') n.reserved += ev.tokens;
      else if (ev.kind === 'commit') n.committed += ev.tokens;
      else if (ev.kind === 'forfeit') n.forfeited += ev.tokens;
      else if (ev.kind === 'release') n.released += ev.tokens;
      else if (ev.kind === 'refuse') n.refused++;
    }
    const s = this.ledger.state;
    return { rootTokens: s.root.tokens, spentTokens: s.spent.tokens, overrunTokens: s.overrun.tokens, nodes: [...nodes.values()] };
  }

  /** Sub-agents joined in earlier iterations, kept for the report. */
  private readonly history: Entry[] = [];

  /** joinAll, remembering who was there (the report covers the whole run). */
  endIteration(): void {
    for (const e of this.agents.values()) if (e.parent !== null) this.history.push({ ...e });
    this.joinAll();
  }
}

/** The tree as indented lines: agent, calls, reserved / committed / forfeited tokens. */
export function formatBudgetTree(r: AgentBudgetTreeReport): string[] {
  const kids = new Map<string | null, AgentBudgetNode[]>();
  for (const n of r.nodes) kids.set(n.parent, [...(kids.get(n.parent) ?? []), n]);
  const lines = [`budget tree: root ${r.rootTokens} tokens, spent ${r.spentTokens}, overrun ${r.overrunTokens}`];
  const walk = (parent: string | null, indent: string) => {
    for (const n of kids.get(parent) ?? []) {
      lines.push(`${indent}${n.agent}: ${n.calls} call(s), reserved ${n.reserved}, committed ${n.committed}, forfeited ${n.forfeited}${n.released ? `, released ${n.released}` : ''}${n.refused ? `, refused ${n.refused}` : ''}`);
      walk(n.agent, indent + '  ');
    }
  };
  walk(null, '  ');
  return lines;
}
