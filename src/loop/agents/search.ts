import { Rng } from '../../core/index.js';
import type { Agent, AgentTurn, TurnContext } from '../agent.js';
import type { ParamSpec } from '../../task/index.js';

export type SearchStrategy = 'random' | 'grid' | 'coordinate';
type Value = number | string;

/** The candidate values of a declared parameter (ranges without `values` are sampled at most 8 points). */
export function paramValues(spec: ParamSpec): Value[] {
  if (spec.values && spec.values.length) return [...spec.values];
  if (spec.type === 'enum') return [];
  const { min = 0, max = 0 } = spec;
  const step = spec.step ?? (spec.type === 'int' ? Math.max(1, Math.ceil((max - min) / 7)) : (max - min) / 7 || 1);
  const out: number[] = [];
  for (let v = min; v <= max + 1e-12 && out.length < 64; v += step) out.push(spec.type === 'int' ? Math.round(v) : v);
  return out;
}

/** Last measured value the agent was shown (the shaped one), or null when the step did not measure. */
function shownValue(ctx: TurnContext): number | null {
  const m = ctx.shown.find((e) => e.kind === 'measurement');
  if (!m) return null;
  const v = (m.detail.shownValue ?? m.detail.value) as unknown;
  return typeof v === 'number' ? v : null;
}

/**
 * A model-free baseline over the task's declared parameters: `grid` (every combination, then stop),
 * `random` (seeded draws until a budget ends) or `coordinate` (one parameter at a time, keep the
 * best value seen, stop after a pass without improvement).
 */
export class SearchAgent implements Agent {
  readonly name: string;
  private readonly names: string[];
  private readonly values: Value[][];
  private readonly rng: Rng;
  private gridIndex = 0;
  // coordinate descent state
  private current: Record<string, Value> = {};
  private bestValue: number | null = null;
  private pending: Record<string, Value> | null = null;
  private coord = { param: 0, valueIndex: 0, improvedThisPass: false };

  constructor(
    params: Record<string, ParamSpec>,
    readonly strategy: SearchStrategy = 'coordinate',
    seed = 1,
  ) {
    this.name = `search:${strategy}`;
    this.names = Object.keys(params);
    this.values = this.names.map((n) => paramValues(params[n]));
    this.rng = new Rng(seed);
    for (let i = 0; i < this.names.length; i++) this.current[this.names[i]] = this.values[i][0];
  }

  async propose(ctx: TurnContext): Promise<AgentTurn> {
    if (this.names.length === 0) return stop('the task declares no [agentdyno.params]');
    if (this.strategy === 'grid') return this.grid();
    if (this.strategy === 'random') {
      const p: Record<string, Value> = {};
      this.names.forEach((n, i) => (p[n] = this.rng.pick(this.values[i])));
      return change(p);
    }
    return this.coordinate(ctx);
  }

  private grid(): AgentTurn {
    const total = this.values.reduce((a, v) => a * v.length, 1);
    if (this.gridIndex >= total) return stop('grid exhausted');
    let k = this.gridIndex++;
    const p: Record<string, Value> = {};
    for (let i = this.names.length - 1; i >= 0; i--) {
      p[this.names[i]] = this.values[i][k % this.values[i].length];
      k = Math.floor(k / this.values[i].length);
    }
    return change(p);
  }

  private coordinate(ctx: TurnContext): AgentTurn {
    const v = shownValue(ctx);
    const lower = ctx.task.direction === 'lower';
    if (this.pending === null) {
      // First turn: measure the starting point (the first value of every parameter).
      if (v !== null) this.bestValue = v;
    } else if (v !== null && (this.bestValue === null || (lower ? v < this.bestValue : v > this.bestValue))) {
      this.bestValue = v;
      this.current = { ...this.pending };
      this.coord.improvedThisPass = true;
    }
    for (;;) {
      const c = this.coord;
      if (c.param >= this.names.length) {
        if (!c.improvedThisPass) return stop('coordinate descent converged (a full pass without improvement)');
        this.coord = { param: 0, valueIndex: 0, improvedThisPass: false };
        continue;
      }
      const name = this.names[c.param];
      const vals = this.values[c.param];
      if (c.valueIndex >= vals.length) {
        c.param++;
        c.valueIndex = 0;
        continue;
      }
      const cand = vals[c.valueIndex++];
      if (cand === this.current[name] && this.pending !== null) continue;
      this.pending = { ...this.current, [name]: cand };
      return change(this.pending);
    }
  }
}

const change = (params: Record<string, Value>): AgentTurn => ({ proposal: { kind: 'change', params: { ...params } }, tokensIn: 0, tokensOut: 0 });
const stop = (reason: string): AgentTurn => ({ proposal: { kind: 'stop', reason }, tokensIn: 0, tokensOut: 0 });
