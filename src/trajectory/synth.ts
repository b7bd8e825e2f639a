import { AgentdynoError, Rng } from '../core/index.js';
import { TRAJECTORY_FORMAT, type AgentTrace, type LlmStep, type Step, type Trajectory } from './types.js';

/**
 * Seeded synthetic coding-agent trajectories shaped like AgentPerf's published workload (DESIGN 1:
 * input 5K-131K, mean ~27K, output median ~150 / p95 ~2K, multi-turn) and the Claude Code / Weka traces
 * in research/loadgen.md 3.1-3.2 (shared harness system prompt, append-only context, sub-agents with a
 * fresh context). Every parameter below is documented, with its source or "assumption", in
 * trajectories/README.md. Same seed and count -> identical output bytes.
 */
export interface SynthOptions {
  seed: number;
  count: number;
}

export const SYNTH_LANGUAGES = ['python', 'typescript', 'go', 'rust', 'java', 'c++', 'javascript', 'c#'] as const;
export const SYNTH_TASKS = ['fix-failing-test', 'fix-bug', 'add-feature', 'refactor', 'add-tests', 'perf-regression', 'upgrade-dependency', 'debug-crash'] as const;
/** Harness system prompts (instructions + tool schemas), shared by every trajectory of that harness. */
export const SYNTH_HARNESSES = [
  { name: 'harness-a', systemPromptTokens: 2400 },
  { name: 'harness-b', systemPromptTokens: 4200 },
  { name: 'harness-c', systemPromptTokens: 5800 },
] as const;
/** Sub-agent kinds (Weka traces name Explore, general-purpose, Plan), each with its own system prompt. */
export const SYNTH_SUBAGENTS = [
  { name: 'explore', systemPromptTokens: 1600 },
  { name: 'general', systemPromptTokens: 2600 },
  { name: 'plan', systemPromptTokens: 1200 },
] as const;

interface ToolModel {
  name: string;
  weight: number;
  durationMedianMs: number;
  durationSigma: number;
  resultMedianTokens: number;
  resultSigma: number;
  errorP: number;
}

/** Log-normal tool durations and result sizes (medians; sigma of ln). Assumptions, see README. */
export const SYNTH_TOOLS: readonly ToolModel[] = [
  { name: 'read_file', weight: 0.28, durationMedianMs: 35, durationSigma: 0.6, resultMedianTokens: 900, resultSigma: 1.0, errorP: 0.03 },
  { name: 'grep', weight: 0.14, durationMedianMs: 150, durationSigma: 0.8, resultMedianTokens: 350, resultSigma: 1.0, errorP: 0.05 },
  { name: 'list_dir', weight: 0.06, durationMedianMs: 25, durationSigma: 0.5, resultMedianTokens: 180, resultSigma: 0.7, errorP: 0.01 },
  { name: 'edit', weight: 0.2, durationMedianMs: 50, durationSigma: 0.5, resultMedianTokens: 90, resultSigma: 0.6, errorP: 0.08 },
  { name: 'bash', weight: 0.2, durationMedianMs: 1800, durationSigma: 1.3, resultMedianTokens: 300, resultSigma: 1.3, errorP: 0.15 },
  { name: 'run_tests', weight: 0.12, durationMedianMs: 15000, durationSigma: 1.0, resultMedianTokens: 800, resultSigma: 1.1, errorP: 0.45 },
];
/** Sub-agents mostly look around (read/grep/list/bash); their own weights. */
const SUB_TOOL_WEIGHTS: Record<string, number> = { read_file: 0.4, grep: 0.3, list_dir: 0.15, bash: 0.15 };

export const SYNTH_PARAMS = {
  outputMedianTokens: 150,
  /** ln(2000/150)/1.645: puts p95 at ~2000 tokens. */
  outputSigma: Math.log(2000 / 150) / 1.645,
  outputMinTokens: 4,
  outputMaxTokens: 8192,
  taskPromptMedianTokens: 700,
  taskPromptSigma: 0.6,
  mainTurnsMedian: 22,
  mainTurnsSigma: 0.45,
  mainTurnsMin: 10,
  mainTurnsMax: 80,
  /** Per-trajectory multiplier on tool result medians (some repos are verbose). */
  verbositySigma: 0.35,
  /** Main-agent context window: stop before a call would exceed it (AgentPerf truncates to max context). */
  mainContextCapTokens: 120_000,
  mainContextMinFinalTokens: 30_000,
  toolCallsPerTurn: [[1, 0.75], [2, 0.2], [3, 0.05]] as [number, number][],
  thinkP: 0.15,
  thinkMedianMs: 800,
  thinkSigma: 0.8,
  toolDurationMaxMs: 300_000,
  spawnP: 0.35,
  secondSpawnP: 0.2,
  joinNoneP: 0.3,
  spawnWidthMin: 2,
  spawnWidthMax: 4,
  subTurnsMedian: 6,
  subTurnsSigma: 0.5,
  subTurnsMin: 2,
  subTurnsMax: 20,
  subTaskMedianTokens: 350,
  subSummaryMedianTokens: 400,
  /** Tokens the harness wraps around each returned sub-agent summary or spawn acknowledgement. */
  spawnWrapperTokens: 30,
  hashIdsP: 0.4,
  blockSize: 512,
  successP: 0.6,
  maxAttempts: 200,
} as const;

const P = SYNTH_PARAMS;
const clampInt = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(x)));

function weighted<T>(r: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let u = r.next() * total;
  for (const t of items) {
    u -= weight(t);
    if (u < 0) return t;
  }
  return items[items.length - 1];
}

function shuffled<T>(r: Rng, xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Builds one agent's append-only context and its block hash ids. */
class AgentBuilder {
  readonly steps: Step[] = [];
  ctx: number;
  private pendingNew: number;
  constructor(
    readonly id: string,
    readonly parent: string | null,
    readonly systemPromptTokens: number,
    taskTokens: number,
    private readonly hashes: { sharedBase: number; ownBase: number } | null,
  ) {
    this.ctx = systemPromptTokens + taskTokens;
    // First call: everything after the shared system prompt is new to this agent.
    this.pendingNew = taskTokens;
  }
  llm(outputTokens: number): LlmStep {
    const step: LlmStep = { type: 'llm', input_tokens: this.ctx, new_input_tokens: this.pendingNew, output_tokens: outputTokens };
    if (this.hashes) {
      const sharedBlocks = Math.floor(this.systemPromptTokens / P.blockSize);
      const n = Math.floor(this.ctx / P.blockSize);
      step.hash_ids = Array.from({ length: n }, (_, k) => (k < sharedBlocks ? this.hashes!.sharedBase + k : this.hashes!.ownBase + k));
      step.block_size = P.blockSize;
    }
    this.steps.push(step);
    this.ctx += outputTokens;
    this.pendingNew = 0;
    return step;
  }
  append(tokens: number): void {
    this.ctx += tokens;
    this.pendingNew += tokens;
  }
  push(step: Step): void {
    this.steps.push(step);
  }
  build(): AgentTrace {
    return { id: this.id, parent: this.parent, system_prompt_tokens: this.systemPromptTokens, steps: this.steps };
  }
}

function lastOutput(a: AgentTrace): number {
  for (let i = a.steps.length - 1; i >= 0; i--) {
    const s = a.steps[i];
    if (s.type === 'llm') return s.output_tokens;
  }
  return 0;
}

function drawOutput(r: Rng): number {
  return clampInt(r.logNormal(P.outputMedianTokens, P.outputSigma), P.outputMinTokens, P.outputMaxTokens);
}

function toolTurn(r: Rng, b: AgentBuilder, verbosity: number, tools: readonly ToolModel[], weight: (t: ToolModel) => number): void {
  const calls = weighted(r, P.toolCallsPerTurn, ([, w]) => w)[0];
  for (let c = 0; c < calls; c++) {
    const tool = weighted(r, tools, weight);
    const err = r.next() < tool.errorP;
    const result = clampInt(r.logNormal(tool.resultMedianTokens * verbosity, tool.resultSigma), 5, 30_000);
    const dur = Math.min(P.toolDurationMaxMs, Math.max(1, Math.round(r.logNormal(tool.durationMedianMs, tool.durationSigma))));
    b.push({ type: 'tool', name: tool.name, duration_ms: dur, result_tokens: result, status: err ? 'error' : 'ok' });
    b.append(result);
  }
  if (r.next() < P.thinkP) b.push({ type: 'think', duration_ms: Math.round(r.logNormal(P.thinkMedianMs, P.thinkSigma)) });
}

interface Ids {
  nextAgentBase: number;
}

function subAgent(r: Rng, id: string, parent: string, withHashes: boolean, ids: Ids): AgentTrace {
  const kindIdx = r.int(0, SYNTH_SUBAGENTS.length - 1);
  const kind = SYNTH_SUBAGENTS[kindIdx];
  const hashes = withHashes ? { sharedBase: 1 + (10 + kindIdx) * 100, ownBase: (ids.nextAgentBase += 1000) } : null;
  const b = new AgentBuilder(id, parent, kind.systemPromptTokens, clampInt(r.logNormal(P.subTaskMedianTokens, 0.5), 50, 3000), hashes);
  const turns = clampInt(r.logNormal(P.subTurnsMedian, P.subTurnsSigma), P.subTurnsMin, P.subTurnsMax);
  for (let i = 0; i < turns; i++) {
    const last = i === turns - 1;
    b.llm(last ? clampInt(r.logNormal(P.subSummaryMedianTokens, 0.6), 50, 4000) : drawOutput(r));
    if (!last) toolTurn(r, b, 1, SYNTH_TOOLS, (t) => SUB_TOOL_WEIGHTS[t.name] ?? 0);
  }
  return b.build();
}

/** One attempt; returns null when the main context ends outside [min final, cap] or the turn count falls short. */
function attempt(r: Rng, harnessIdx: number, withHashes: boolean, ids: Ids): AgentTrace[] | null {
  const harness = SYNTH_HARNESSES[harnessIdx];
  const turns = clampInt(r.logNormal(P.mainTurnsMedian, P.mainTurnsSigma), P.mainTurnsMin, P.mainTurnsMax);
  const verbosity = r.logNormal(1, P.verbositySigma);
  const startIds = ids.nextAgentBase;
  const hashes = withHashes ? { sharedBase: 1 + harnessIdx * 100, ownBase: (ids.nextAgentBase += 1000) } : null;
  const main = new AgentBuilder('main', null, harness.systemPromptTokens, clampInt(r.logNormal(P.taskPromptMedianTokens, P.taskPromptSigma), 150, 4000), hashes);
  const spawnTurns = new Set<number>();
  if (r.next() < P.spawnP && turns >= 6) {
    spawnTurns.add(r.int(2, turns - 3));
    if (r.next() < P.secondSpawnP) spawnTurns.add(r.int(2, turns - 3));
  }
  const subs: AgentTrace[] = [];
  let made = 0;
  for (let i = 0; i < turns; i++) {
    if (main.ctx > P.mainContextCapTokens) break;
    main.llm(drawOutput(r));
    if (i === turns - 1) break;
    if (spawnTurns.has(i)) {
      const width = r.int(P.spawnWidthMin, P.spawnWidthMax);
      const join = r.next() < P.joinNoneP ? 'none' : 'all';
      const kids = Array.from({ length: width }, () => subAgent(r, `sub-${++made}`, 'main', withHashes, ids));
      subs.push(...kids);
      main.push({ type: 'spawn', agents: kids.map((k) => k.id), join });
      // join all: the summaries come back into the parent's context; join none: only an acknowledgement.
      for (const k of kids) {
        const summary = join === 'all' ? lastOutput(k) : 0;
        main.append(summary + P.spawnWrapperTokens);
      }
    } else {
      toolTurn(r, main, verbosity, SYNTH_TOOLS, (t) => t.weight);
    }
  }
  const mainAgent = main.build();
  // The last call's input must stay within the cap; drop trailing non-llm steps after a cap break.
  while (mainAgent.steps.length && mainAgent.steps[mainAgent.steps.length - 1].type !== 'llm') mainAgent.steps.pop();
  const llms = mainAgent.steps.filter((s): s is LlmStep => s.type === 'llm');
  const finalInput = llms[llms.length - 1].input_tokens;
  const spawned = new Set(mainAgent.steps.flatMap((s) => (s.type === 'spawn' ? s.agents : [])));
  if (llms.length < P.mainTurnsMin || finalInput < P.mainContextMinFinalTokens || finalInput > P.mainContextCapTokens) {
    ids.nextAgentBase = startIds;
    return null;
  }
  return [mainAgent, ...subs.filter((s) => spawned.has(s.id))];
}

export function synthesize(opts: SynthOptions): Trajectory[] {
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new AgentdynoError(`seed must be a non-negative integer, got ${opts.seed}`, { code: 'E_USAGE', where: '--seed' });
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new AgentdynoError(`count must be a positive integer, got ${opts.count}`, { code: 'E_USAGE', where: '--count' });
  const master = new Rng(opts.seed);
  const langRng = master.fork();
  const languages: string[] = [];
  while (languages.length < opts.count) languages.push(...shuffled(langRng, SYNTH_LANGUAGES));
  const ids: Ids = { nextAgentBase: 100_000 };
  const out: Trajectory[] = [];
  for (let i = 0; i < opts.count; i++) {
    const r = master.fork();
    const harnessIdx = r.int(0, SYNTH_HARNESSES.length - 1);
    const withHashes = r.next() < P.hashIdsP;
    const task = r.pick(SYNTH_TASKS);
    const success = r.next() < P.successP;
    let agents: AgentTrace[] | null = null;
    for (let k = 0; k < P.maxAttempts && !agents; k++) agents = attempt(r, harnessIdx, withHashes, ids);
    if (!agents) throw new AgentdynoError(`could not synthesize trajectory ${i} within the context bounds`, { code: 'E_USAGE', hint: 'Try another --seed.' });
    out.push({
      format: TRAJECTORY_FORMAT,
      id: `synth-s${opts.seed}-${String(i + 1).padStart(4, '0')}`,
      source: { kind: 'synthetic', license: 'Apache-2.0', estimated: ['tokens', 'timings'], generator: 'agentdyno trajectories synth', seed: opts.seed },
      labels: { task, language: languages[i], success, harness: SYNTH_HARNESSES[harnessIdx].name },
      agents,
    });
  }
  return out;
}

/** JSON Lines bytes for `synthesize(opts)`: one trajectory a line, trailing newline. */
export function synthesizeJsonl(opts: SynthOptions): string {
  return synthesize(opts).map((t) => JSON.stringify(t)).join('\n') + '\n';
}
