/**
 * Open-loop arrival schedules (DESIGN 4, Open loop), pure. Sessions (whole trajectory trees) or, for
 * request-level traces such as Mooncake, single calls arrive
 * - `recorded`: at their recorded offsets (`arrival_ms`, plus each call's `offset_ms` for calls),
 *   times `timeScale` (0.5 = twice as fast); a trace shorter than the run is repeated, and says so;
 * - `poisson`: as a Poisson process of `ratePerS` (seeded), trajectories drawn in a seeded order.
 * Each session then runs as recorded (tool waits, sub-agents) by the driver (open-loop.ts).
 */
import { AgentdynoError, Rng } from '../core/index.js';
import type { AgentTrace, LlmStep, Trajectory } from '../trajectory/index.js';
import { markTraceBlocks } from './prompt.js';

export type ArrivalMode = 'recorded' | 'poisson';
/** session: a trajectory tree arrives and runs as recorded; call: one llm step arrives alone. */
export type ArrivalUnit = 'session' | 'call';

export interface ArrivalOptions {
  mode: ArrivalMode;
  /** poisson: mean arrivals per second. */
  ratePerS?: number;
  /** recorded: multiply recorded offsets (default 1). */
  timeScale?: number;
  /** auto (default): call for request-level traces (every trajectory one agent whose calls carry offset_ms, e.g. Mooncake), else session. */
  unit?: ArrivalUnit | 'auto';
  seed: number;
  /** Arrivals are generated for [0, durationMs). */
  durationMs: number;
}

export interface Arrival {
  index: number;
  /** Scheduled start, ms from the schedule's origin. */
  atMs: number;
  trajectory: Trajectory;
}

export interface ArrivalSchedule {
  mode: ArrivalMode;
  unit: ArrivalUnit;
  arrivals: Arrival[];
  /** recorded: how many times the recorded trace was laid end to end to cover the duration. */
  passes: number;
  /** Mean arrival rate over the schedule, per second. */
  ratePerS: number;
  timeScale: number;
  describe: string;
}

/** Source kinds that are request traces (each line one request), not agent sessions. */
export const REQUEST_LEVEL_KINDS: readonly string[] = ['mooncake'];

/**
 * Request-level: every call has a recorded send offset, and the trace is a request trace (Mooncake)
 * or every trajectory is a single call. An agent session with timestamps (weka, claude-code) is not:
 * its calls follow each other as recorded.
 */
export function isRequestLevel(ts: readonly Trajectory[]): boolean {
  const timed = ts.every((t) => t.agents.length === 1 && t.agents[0].steps.every((s) => s.type !== 'llm' || s.offset_ms !== undefined));
  const calls = (t: Trajectory) => t.agents[0].steps.filter((s) => s.type === 'llm').length;
  return ts.length > 0 && timed && ts.every((t) => REQUEST_LEVEL_KINDS.includes(t.source.kind) || calls(t) === 1);
}

/** One call as its own trajectory: the prompt keeps its size, prefix and block hashes; nothing after it. */
export function singleCall(t: Trajectory, agent: AgentTrace, stepIndex: number): Trajectory {
  const s = agent.steps[stepIndex] as LlmStep;
  return {
    format: t.format,
    id: `${t.id}#${agent.id}.${stepIndex}`,
    source: t.source,
    ...(t.model ? { model: t.model } : {}),
    agents: [{ id: 'main', parent: null, system_prompt_tokens: Math.min(agent.system_prompt_tokens, s.input_tokens), steps: [{ ...s, new_input_tokens: Math.max(0, s.input_tokens - Math.min(agent.system_prompt_tokens, s.input_tokens)) }] }],
  };
}

function units(ts: readonly Trajectory[], unit: ArrivalUnit): { t: Trajectory; offsetMs: number | undefined }[] {
  if (unit === 'session') return ts.map((t) => ({ t, offsetMs: t.arrival_ms }));
  const out: { t: Trajectory; offsetMs: number | undefined }[] = [];
  for (const t of ts) {
    const a = t.agents.find((x) => x.parent === null) ?? t.agents[0];
    a.steps.forEach((s, i) => {
      if (s.type !== 'llm') return;
      out.push({ t: singleCall(t, a, i), offsetMs: t.arrival_ms !== undefined && s.offset_ms !== undefined ? t.arrival_ms + s.offset_ms : undefined });
    });
  }
  return out;
}

/**
 * One replica of a request trace (Mooncake): its hash ids are shared content, so its steps are marked
 * for the prompt to render the blocks as the common prefix they are (prompt.ts, TRACE_BLOCKS). Each
 * pass over the trace gets its own ids (pass 0 the recorded ones): the trace says which of its requests
 * share blocks, never that a repeat of the trace finds the first pass's blocks cached.
 */
function traceReplica(t: Trajectory, pass: number): Trajectory {
  if (!REQUEST_LEVEL_KINDS.includes(t.source.kind)) return t;
  const id = (h: number) => (pass === 0 ? h : 0x80000000 + ((Math.imul(h + 1, 0x9e3779b1) ^ Math.imul(pass, 0x85ebca77)) >>> 1));
  return {
    ...t,
    agents: t.agents.map((a) => ({
      ...a,
      steps: a.steps.map((s) => (s.type === 'llm' && s.hash_ids?.length && s.block_size ? markTraceBlocks({ ...s, hash_ids: s.hash_ids.map(id) }) : s)),
    })),
  };
}

/** traceReplica, built once per (unit, pass). */
function replicas(): (t: Trajectory, pass: number) => Trajectory {
  const cache = new Map<Trajectory, Trajectory[]>();
  return (t, pass) => {
    let list = cache.get(t);
    if (!list) cache.set(t, (list = []));
    return (list[pass] ??= traceReplica(t, pass));
  };
}

export function arrivalSchedule(ts: readonly Trajectory[], o: ArrivalOptions): ArrivalSchedule {
  if (!ts.length) throw new AgentdynoError('no trajectories to schedule', { code: 'E_USAGE', where: '--trajectories' });
  const unit: ArrivalUnit = o.unit === 'session' || o.unit === 'call' ? o.unit : isRequestLevel(ts) ? 'call' : 'session';
  const pool = units(ts, unit);
  const arrivals: Arrival[] = [];
  const replica = replicas();
  if (o.mode === 'poisson') {
    const rate = o.ratePerS ?? NaN;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new AgentdynoError(`--rate must be a positive number of arrivals per second (got ${String(o.ratePerS)})`, { code: 'E_USAGE', where: '--rate' });
    const rng = new Rng((o.seed ^ 0x5bd1e995) >>> 0);
    // A seeded shuffle, cycled: every trajectory is used before any repeats.
    const order = pool.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let at = rng.exponential(1000 / rate), k = 0; at < o.durationMs; at += rng.exponential(1000 / rate), k++) {
      arrivals.push({ index: k, atMs: at, trajectory: replica(pool[order[k % order.length]].t, Math.floor(k / order.length)) });
    }
    return { mode: 'poisson', unit, arrivals, passes: 1, ratePerS: rate, timeScale: 1, describe: `Poisson arrivals of ${unit}s at ${rate} /s (seed ${o.seed})` };
  }
  const scale = o.timeScale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new AgentdynoError(`--time-scale must be a positive number (got ${String(o.timeScale)})`, { code: 'E_USAGE', where: '--time-scale' });
  const missing = pool.filter((u) => u.offsetMs === undefined).length;
  if (missing) {
    throw new AgentdynoError(`--arrivals recorded: ${missing} of ${pool.length} ${unit}s have no recorded arrival (${unit === 'call' ? 'arrival_ms + offset_ms' : 'arrival_ms'})`, {
      code: 'E_USAGE', where: '--arrivals',
      hint: 'Import a trace that records arrivals (mooncake timestamps, weka _start_ts), or use --arrivals poisson --rate R.',
    });
  }
  const sorted = pool.map((u) => ({ ...u, at: u.offsetMs! })).sort((a, b) => a.at - b.at);
  const origin = sorted[0].at;
  const span = sorted[sorted.length - 1].at - origin;
  // Laid end to end with one mean gap between passes, so the repeat does not add a burst.
  // (A trace whose arrivals all share one instant repeats once a second.)
  const period = (span + (sorted.length > 1 && span > 0 ? span / (sorted.length - 1) : 1000)) * scale;
  let passes = 0;
  for (let base = 0; base < o.durationMs; base += period, passes++) {
    for (const u of sorted) {
      const at = base + (u.at - origin) * scale;
      if (at >= o.durationMs) break;
      arrivals.push({ index: arrivals.length, atMs: at, trajectory: replica(u.t, passes) });
    }
  }
  const rate = period > 0 ? (sorted.length / period) * 1000 : Infinity;
  return {
    mode: 'recorded', unit, arrivals, passes, ratePerS: rate, timeScale: scale,
    describe: `recorded arrivals of ${sorted.length} ${unit}s over ${(span / 1000).toFixed(3)} s, time scale ${scale} (mean ${rate.toFixed(3)} /s)${passes > 1 ? `; the trace is repeated ${passes} times to cover the run` : ''}`,
  };
}

/** How far arrivals landed from their schedule, in ms (positive: late). */
export interface ArrivalLag {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanAbsMs: number;
}

export function arrivalLag(lagsMs: readonly number[]): ArrivalLag {
  if (!lagsMs.length) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, meanAbsMs: 0 };
  const s = [...lagsMs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { count: s.length, p50Ms: q(50), p99Ms: q(99), maxMs: s[s.length - 1], meanAbsMs: s.reduce((a, b) => a + Math.abs(b), 0) / s.length };
}
