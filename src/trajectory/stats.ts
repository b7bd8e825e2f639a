import { median, percentile, mean } from '../core/index.js';
import type { LlmStep, Trajectory } from './types.js';
import { rootAgent, walkAgent } from './walk.js';

export interface TrajectoryStatsOptions {
  /** Decode speed assumed for the LLM-time estimate behind toolTimeShare (default 50 tok/s). */
  assumedDecodeTokPerS?: number;
  /** Prefill speed for uncached prompt tokens in that estimate (default 5000 tok/s). */
  assumedPrefillTokPerS?: number;
}

export interface TrajectoryStatsRow {
  id: string;
  language: string | null;
  agents: number;
  /** LLM calls of all agents. */
  llmTurns: number;
  /** LLM calls of the root agent. */
  mainTurns: number;
  /** Root agent's first and largest prompt (input_tokens). */
  contextStartTokens: number;
  contextMaxTokens: number;
  /** Root agent: (last input - first input) / (calls - 1). */
  contextGrowthPerTurnTokens: number;
  outputTokensP50: number;
  outputTokensP95: number;
  /** Median new input of follow-up calls (all agents; recorded new_input_tokens or implied). */
  newInputPerTurnTokensP50: number;
  toolMs: number;
  thinkMs: number;
  /** LLM time estimated from the assumed speeds (not recorded timings). */
  estimatedLlmMs: number;
  /** (tool + think) / (tool + think + estimated LLM time), all agents. */
  toolTimeShare: number;
  /** sum of prefix tokens (cached_tokens, or implied) / sum of input_tokens, all calls. */
  prefixReuseRatio: number;
  spawns: number;
  spawnedAgents: number;
  maxFanOut: number;
  /** Depth of the agent tree: 0 = root only. */
  depth: number;
}

export interface MinMedMax {
  min: number;
  median: number;
  max: number;
}

export interface TrajectorySetStats {
  trajectories: number;
  agents: number;
  llmCalls: number;
  llmTurns: MinMedMax;
  mainTurns: MinMedMax;
  /** input_tokens over every call of every agent. */
  inputTokens: { min: number; mean: number; p50: number; max: number };
  contextStartTokens: MinMedMax;
  contextMaxTokens: MinMedMax;
  contextGrowthPerTurnTokensMedian: number;
  outputTokens: { p50: number; p95: number; mean: number };
  newInputPerTurnTokens: { p50: number; p95: number };
  toolTimeShare: { aggregate: number; median: number };
  prefixReuseRatio: number;
  fanOut: { trajectoriesWithSpawns: number; spawns: number; spawnedAgents: number; joinAll: number; joinNone: number; maxWidth: number; maxDepth: number };
  languages: Record<string, number>;
  /** Where the set came from: trajectories per source kind, and per field marked estimated in `source.estimated`. */
  provenance: { sourceKinds: Record<string, number>; estimated: Record<string, number> };
  /** Where every printed figure comes from: recorded in the source, or estimated / defaulted. */
  origin: StatsOrigin;
  /** How the LLM time behind toolTimeShare was estimated. */
  llmTimeEstimate: string;
  perTrajectory: TrajectoryStatsRow[];
}

export interface StatsOrigin {
  /** LLM calls whose input_tokens are recorded vs estimated (per-step labels, else the trajectory's source.estimated). */
  inputTokens: { recordedCalls: number; estimatedCalls: number };
  outputTokens: { recordedCalls: number; estimatedCalls: number };
  /** Tool and think waits from the source vs set to a default or synthesized. */
  waits: { recorded: number; estimated: number };
  /** Calls whose prefix is a recorded cached_tokens vs implied from the counts. */
  prefix: { cachedTokensCalls: number; impliedCalls: number };
  /** Always estimated here (assumed speeds): recorded model durations are labels, not used. */
  llmTime: 'estimated';
}

// Loops, not Math.max(...xs): sets of thousands of trajectories overflow the argument limit.
const minOf = (xs: readonly number[]) => xs.reduce((m, x) => (x < m ? x : m), xs.length ? xs[0] : NaN);
const maxOf = (xs: readonly number[]) => xs.reduce((m, x) => (x > m ? x : m), xs.length ? xs[0] : NaN);
const mmm = (xs: number[]): MinMedMax => ({ min: minOf(xs), median: median(xs), max: maxOf(xs) });

/** Depth of the agent tree, iteratively with memo (deep trees neither recurse nor go quadratic). */
function depthOf(t: Trajectory): number {
  const parent = new Map(t.agents.map((a) => [a.id, a.parent]));
  const depth = new Map<string, number>();
  let max = 0;
  for (const a of t.agents) {
    const chain: string[] = [];
    let cur: string | null = a.id;
    let base = -1;
    while (cur !== null && chain.length <= t.agents.length) {
      const known = depth.get(cur);
      if (known !== undefined) {
        base = known;
        break;
      }
      chain.push(cur);
      cur = parent.get(cur) ?? null;
    }
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i], ++base);
    max = Math.max(max, depth.get(a.id) ?? 0);
  }
  return max;
}

/** Per-step labels where the trajectory has them (imports), else the trajectory-wide source.estimated. */
function originOf(t: Trajectory, o: StatsOrigin): void {
  const labelled = t.source.fidelity !== undefined || t.agents.some((a) => a.steps.some((s) => 'estimated' in s));
  const est = t.source.estimated ?? [];
  const allTokens = est.some((f) => f.startsWith('tokens'));
  const allTimings = est.some((f) => f.startsWith('timings'));
  for (const a of t.agents) {
    for (const s of a.steps) {
      if (s.type === 'llm') {
        const se = (s as LlmStep).estimated ?? [];
        const inEst = labelled ? se.includes('input_tokens') : allTokens;
        const outEst = labelled ? se.includes('output_tokens') : allTokens;
        o.inputTokens[inEst ? 'estimatedCalls' : 'recordedCalls']++;
        o.outputTokens[outEst ? 'estimatedCalls' : 'recordedCalls']++;
        o.prefix[s.cached_tokens !== undefined ? 'cachedTokensCalls' : 'impliedCalls']++;
      } else if (s.type === 'tool' || s.type === 'think') {
        const e = labelled ? s.type === 'tool' && (s.estimated ?? []).includes('duration_ms') : allTimings;
        o.waits[e ? 'estimated' : 'recorded']++;
      }
    }
  }
}

interface Collected {
  row: TrajectoryStatsRow;
  inputs: number[];
  outputs: number[];
  newInputs: number[];
  prefixSum: number;
  inputSum: number;
  joinAll: number;
  joinNone: number;
}

function collect(t: Trajectory, opts: Required<TrajectoryStatsOptions>): Collected {
  const inputs: number[] = [];
  const outputs: number[] = [];
  const newInputs: number[] = [];
  let prefixSum = 0;
  let spawns = 0;
  let spawned = 0;
  let maxFanOut = 0;
  let joinAll = 0;
  let joinNone = 0;
  const root = rootAgent(t);
  let rootInputs: number[] = [];
  // Sums of the analytic duty cycle (walk.ts's dutyCycle recurses into sub-agents; these are flat loops).
  const dc = { toolMs: 0, thinkMs: 0, modelMs: 0 };
  for (const a of t.agents) {
    const agentInputs: number[] = [];
    for (const w of walkAgent(t, a.id)) {
      const s = w.step;
      if (s.type === 'llm') {
        inputs.push(s.input_tokens);
        agentInputs.push(s.input_tokens);
        outputs.push(s.output_tokens);
        prefixSum += w.prefixTokens;
        if (w.llmTurn > 0) newInputs.push(w.newInputTokens);
        dc.modelMs += (w.uncachedInputTokens / opts.assumedPrefillTokPerS + s.output_tokens / opts.assumedDecodeTokPerS) * 1000;
      } else if (s.type === 'tool') dc.toolMs += s.duration_ms;
      else if (s.type === 'think') dc.thinkMs += s.duration_ms;
      else if (s.type === 'spawn') {
        spawns++;
        spawned += s.agents.length;
        maxFanOut = Math.max(maxFanOut, s.agents.length);
        if (s.join === 'all') joinAll++;
        else joinNone++;
      }
    }
    if (a === root) rootInputs = agentInputs;
  }
  const idle = dc.toolMs + dc.thinkMs;
  const inputSum = inputs.reduce((x, y) => x + y, 0);
  const language = typeof t.labels?.language === 'string' ? t.labels.language : null;
  const row: TrajectoryStatsRow = {
    id: t.id,
    language,
    agents: t.agents.length,
    llmTurns: inputs.length,
    mainTurns: rootInputs.length,
    contextStartTokens: rootInputs.length ? rootInputs[0] : 0,
    contextMaxTokens: rootInputs.length ? maxOf(rootInputs) : 0,
    contextGrowthPerTurnTokens: rootInputs.length > 1 ? (rootInputs[rootInputs.length - 1] - rootInputs[0]) / (rootInputs.length - 1) : 0,
    outputTokensP50: percentile(outputs, 50),
    outputTokensP95: percentile(outputs, 95),
    newInputPerTurnTokensP50: newInputs.length ? percentile(newInputs, 50) : 0,
    toolMs: dc.toolMs,
    thinkMs: dc.thinkMs,
    estimatedLlmMs: dc.modelMs,
    toolTimeShare: idle + dc.modelMs > 0 ? idle / (idle + dc.modelMs) : 0,
    prefixReuseRatio: inputSum > 0 ? prefixSum / inputSum : 0,
    spawns,
    spawnedAgents: spawned,
    maxFanOut,
    depth: depthOf(t),
  };
  return { row, inputs, outputs, newInputs, prefixSum, inputSum, joinAll, joinNone };
}

/** Shape of a trajectory set: sizes, context growth, output lengths, tool-time share, prefix reuse, fan-out. */
export function trajectoryStats(list: readonly Trajectory[], options: TrajectoryStatsOptions = {}): TrajectorySetStats {
  const opts = { assumedDecodeTokPerS: options.assumedDecodeTokPerS ?? 50, assumedPrefillTokPerS: options.assumedPrefillTokPerS ?? 5000 };
  const cs = list.map((t) => collect(t, opts));
  const rows = cs.map((c) => c.row);
  const inputs = cs.flatMap((c) => c.inputs);
  const outputs = cs.flatMap((c) => c.outputs);
  const newInputs = cs.flatMap((c) => c.newInputs);
  const idle = rows.reduce((s, r) => s + r.toolMs + r.thinkMs, 0);
  const llm = rows.reduce((s, r) => s + r.estimatedLlmMs, 0);
  const inputSum = cs.reduce((s, c) => s + c.inputSum, 0);
  const languages: Record<string, number> = {};
  for (const r of rows) languages[r.language ?? '(none)'] = (languages[r.language ?? '(none)'] ?? 0) + 1;
  const sourceKinds: Record<string, number> = {};
  const estimated: Record<string, number> = {};
  const origin: StatsOrigin = {
    inputTokens: { recordedCalls: 0, estimatedCalls: 0 },
    outputTokens: { recordedCalls: 0, estimatedCalls: 0 },
    waits: { recorded: 0, estimated: 0 },
    prefix: { cachedTokensCalls: 0, impliedCalls: 0 },
    llmTime: 'estimated',
  };
  for (const t of list) {
    originOf(t, origin);
    sourceKinds[t.source.kind] = (sourceKinds[t.source.kind] ?? 0) + 1;
    for (const f of t.source.estimated ?? []) estimated[f] = (estimated[f] ?? 0) + 1;
  }
  return {
    trajectories: list.length,
    agents: rows.reduce((s, r) => s + r.agents, 0),
    llmCalls: inputs.length,
    llmTurns: mmm(rows.map((r) => r.llmTurns)),
    mainTurns: mmm(rows.map((r) => r.mainTurns)),
    inputTokens: { min: minOf(inputs), mean: mean(inputs), p50: percentile(inputs, 50), max: maxOf(inputs) },
    contextStartTokens: mmm(rows.map((r) => r.contextStartTokens)),
    contextMaxTokens: mmm(rows.map((r) => r.contextMaxTokens)),
    contextGrowthPerTurnTokensMedian: median(rows.map((r) => r.contextGrowthPerTurnTokens)),
    outputTokens: { p50: percentile(outputs, 50), p95: percentile(outputs, 95), mean: mean(outputs) },
    newInputPerTurnTokens: { p50: percentile(newInputs, 50), p95: percentile(newInputs, 95) },
    toolTimeShare: { aggregate: idle + llm > 0 ? idle / (idle + llm) : 0, median: median(rows.map((r) => r.toolTimeShare)) },
    prefixReuseRatio: inputSum > 0 ? cs.reduce((s, c) => s + c.prefixSum, 0) / inputSum : 0,
    fanOut: {
      trajectoriesWithSpawns: rows.filter((r) => r.spawns > 0).length,
      spawns: rows.reduce((s, r) => s + r.spawns, 0),
      spawnedAgents: rows.reduce((s, r) => s + r.spawnedAgents, 0),
      joinAll: cs.reduce((s, c) => s + c.joinAll, 0),
      joinNone: cs.reduce((s, c) => s + c.joinNone, 0),
      maxWidth: maxOf([0, ...rows.map((r) => r.maxFanOut)]),
      maxDepth: maxOf([0, ...rows.map((r) => r.depth)]),
    },
    languages,
    provenance: { sourceKinds, estimated },
    origin,
    llmTimeEstimate:
      `estimated, not measured: per call (input_tokens - prefix tokens) / ${opts.assumedPrefillTokPerS} tok/s prefill + ` +
      `output_tokens / ${opts.assumedDecodeTokPerS} tok/s decode, no queueing; prefix = cached_tokens, else input - new_input_tokens, else implied by append-only growth`,
    perTrajectory: rows,
  };
}
