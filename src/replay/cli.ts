/**
 * Flags and set-up shared by `agentdyno sweep` and `agentdyno replay` (the commands stay thin:
 * they parse, call prepareSession, run, print). The embedded simulator is started by the command
 * (replay/ never imports sim/), through the `startEmbeddedSim` it passes in.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flags } from '@oclif/core';
import { AgentdynoError, clockAnchor, newRunId } from '../core/index.js';
import { openStore, markFailedOnCrash, markInterruptedOnExit, type Store } from '../store/index.js';
import { dutyCycle, formatFileProblem, loadTrajectories, problemsError, targetLimitProblems, type Trajectory } from '../trajectory/index.js';
import { createProgressSink, teeSinks, type ProgressSink } from '../ui/index.js';
import { feedFlags, openFeeds } from './feeds.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SETUP_TIMEOUT_MS, openTarget, type EmbeddedSim, type Target } from './setup.js';
import { DEFAULT_VALIDITY, parseSloTiers, type SearchOptions, type SloThresholds, type SloTier, type ValidityThresholds } from '../slo/index.js';
import type { LevelSettings, SessionOptions } from './session.js';
import { PROMPT_ERROR_TARGET_PCT, recordedMessages } from './content.js';
import { COMPLETIONS_TEMPLATE } from './completions-prompt.js';
import { openLoopFlags } from './open-loop-flags.js';

/** How many llm steps keep usable recorded messages (for the settings line and a warning). */
export function countContentSteps(trajectories: readonly Trajectory[]): { llmSteps: number; withContent: number } {
  let llmSteps = 0;
  let withContent = 0;
  for (const t of trajectories) for (const a of t.agents) for (const s of a.steps) if (s.type === 'llm') {
    llmSteps++;
    if (recordedMessages(s)) withContent++;
  }
  return { llmSteps, withContent };
}

/** The bundled trajectory set, from src/ (tests) or dist/ (built CLI). */
export function bundledTrajectories(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [resolve(here, '../../trajectories/synthetic-v1.jsonl'), resolve(process.cwd(), 'trajectories/synthetic-v1.jsonl')]) if (existsSync(c)) return c;
  return resolve(here, '../../trajectories/synthetic-v1.jsonl');
}

/**
 * Defaults sized for the judged-share gates on the bundled trajectories (calls of ~20 s at 20 tok/s):
 * a 30 s window and a 20 s drain give >= 2 judged calls per agent with fragments a minority.
 * `npm start` fits in about 2.5 minutes by running only the levels a virtual-time plan proposes.
 */
export const DEFAULTS = { warmupS: 2, windowS: 30, drainCapS: 20, warmupCapS: 120, toolTimeScale: 1, maxIdleGapMs: 10_000, ttftCeilingMs: 10_000 } as const;
/** A smoke test: shorter, with a minimum window well below it (never equal: a timer ends a window a hair early). */
export const QUICK = { warmupS: 1, windowS: 20, drainCapS: 10, warmupCapS: 60, minWindowS: 10 } as const;

/**
 * Mean seconds between a lane's calls if every call decoded at `tokPerS` (the trajectories' tool
 * waits as scaled and capped): a window shorter than this at the fastest tier's floor cannot
 * judge whole calls at any tier.
 */
export function meanCallCycleS(trajectories: readonly Trajectory[], tokPerS: number, toolTimeScale: number, maxIdleGapMs: number | null): number {
  let wall = 0;
  let calls = 0;
  for (const t of trajectories) {
    const d = dutyCycle(t, { assumedDecodeTokPerS: tokPerS, toolTimeScale, maxGapMs: maxIdleGapMs ?? undefined });
    wall += d.wallMs;
    calls += d.llmCalls;
  }
  return calls > 0 ? wall / calls / 1000 : 0;
}

export const replayFlags = {
  target: Flags.string({ description: 'OpenAI-compatible endpoint (with or without /v1). Default: the simulated server, started in-process on a free loopback port.' }),
  model: Flags.string({ description: 'Model name to request (default: the first one /v1/models lists).' }),
  'api-key-env': Flags.string({ description: 'Name of the environment variable holding the API key (the key is never logged or stored).' }),
  trajectories: Flags.string({ description: 'Trajectory file(s) or folder(s) (agentdyno.trajectory.v1). Default: the bundled synthetic-v1 set.', multiple: true }),
  slo: Flags.string({ description: 'SLO tiers: output-speed floors in tok/s, each optionally with its TTFT ceiling in ms (20:10000,60:5000).', default: '20,60' }),
  'ttft-ceiling-ms': Flags.integer({ description: 'TTFT ceiling for tiers given without one.', default: DEFAULTS.ttftCeilingMs }),
  'call-pass-fraction': Flags.string({ description: 'Share of an agent\'s window calls that must meet a tier.', default: '0.9' }),
  'agent-pass-fraction': Flags.string({ description: 'Share of active agents that must meet a tier for the level to pass.', default: '0.95' }),
  warmup: Flags.string({ description: `Seconds the lanes' starts are staggered over, and of settling once half the lanes finished a full call after their warm-up requests (default ${DEFAULTS.warmupS}, --quick ${QUICK.warmupS}).` }),
  window: Flags.string({ description: `Steady-window seconds per level (default ${DEFAULTS.windowS}, --quick ${QUICK.windowS}; at least one call cycle of the trajectories; use 300+ for a publishable figure).` }),
  'drain-cap': Flags.string({ description: `Seconds the load stays on after the window for window calls to finish; calls still running are judged on what arrived (default ${DEFAULTS.drainCapS}).` }),
  'warmup-cap': Flags.string({ description: `Give up waiting for warm-up requests after this many seconds (default ${DEFAULTS.warmupCapS}).` }),
  'tool-time-scale': Flags.string({ description: 'Multiply recorded tool and think durations.', default: String(DEFAULTS.toolTimeScale) }),
  'max-idle-gap-ms': Flags.integer({ description: 'Cap on one scaled tool/think wait.', default: DEFAULTS.maxIdleGapMs }),
  history: Flags.string({ description: 'recorded: append recorded-length assistant text and force output lengths (comparable); generated: append what the server produced.', options: ['recorded', 'generated'], default: 'recorded' }),
  content: Flags.string({
    description:
      'synthetic: filler text of the recorded token counts (calibrated per endpoint); recorded: send the messages a trajectory kept (content.messages, e.g. imported or recorded with --keep-content) so the tokenizer and prefix cache see real text; steps without them fall back to synthetic.',
    options: ['synthetic', 'recorded'],
    default: 'synthetic',
  }),
  api: Flags.string({
    description:
      'chat: POST /v1/chat/completions with messages; completions: POST /v1/completions (vLLM bench serve\'s default backend, or servers without chat) with the same messages rendered as one prompt by a fixed plain-text template ("<|role|>\\n<content>\\n" per message, then "<|assistant|>\\n"), keeping the prefix structure; prompt sizes are calibrated for that template. responses: POST /v1/responses (OpenAI Responses API: input items, max_output_tokens, usage from response.completed); messages: POST /v1/messages (Anthropic Messages API: system + messages, usage with cache_read_input_tokens). All four share one timing rule: TTFT at the first visible output (text, reasoning or tool call), TTFO at the first non-reasoning output.',
    options: ['chat', 'completions', 'responses', 'messages'],
    default: 'chat',
  }),
  'start-turn': Flags.string({ description: 'random: lanes start mid-trajectory after a warm-up request; first: from turn 0.', options: ['random', 'first'], default: 'random' }),
  seed: Flags.integer({ description: 'Seed for trajectory choice, start turns and markers (same seed = same work at every level).', default: 1 }),
  retries: Flags.integer({ description: 'Retry a call that got 429 or 5xx up to N times, waiting the server\'s Retry-After (else 0.5 s doubling); a retried call\'s TTFT counts from its first try. 0: count the fault and go on.', default: 0, min: 0, max: 10 }),
  quick: Flags.boolean({ description: 'Shorter warm-up, window and drain (a smoke test, not a publishable figure).' }),
  power: Flags.string({ description: 'Power source spec, repeatable (e.g. nvidia-smi, dcgm-exporter:URL, sim). Default: sim for the embedded simulator.', multiple: true }),
  'allow-unforced-output': Flags.boolean({ description: 'Run even if the endpoint ignores ignore_eos/min_tokens (results labelled not comparable).' }),
  'sim-profile': Flags.string({ description: 'Simulator profile for the embedded target.', default: 'small' }),
  'sim-port': Flags.integer({ description: 'Port for the embedded simulator (0 = a free one).', default: 0 }),
  'max-error-rate': Flags.string({ description: 'Error share of window calls above which a level is invalid.', default: String(DEFAULT_VALIDITY.maxErrorRate) }),
  'max-event-loop-utilization': Flags.string({ description: 'Client event-loop busy share above which a level is invalid (client saturated).', default: String(DEFAULT_VALIDITY.maxEventLoopUtilization) }),
  'min-window': Flags.string({ description: `Minimum steady window in seconds for a valid level (default ${DEFAULT_VALIDITY.minWindowS}, --quick ${QUICK.minWindowS}).` }),
  db: Flags.string({ description: 'Results database (default results/agentdyno.db or $AGENTDYNO_DB).' }),
  ...openLoopFlags,
  ...feedFlags,
  workers: Flags.integer({ description: 'Load worker threads on this machine, each with its own event loop, connection pool and timing canary (lane i runs on worker i % K; one merged verdict per level). Default: the cores available minus one for the coordinator, at least 1, at most the lanes; 1 runs in this process as before.', min: 1, max: 1024 }),
  redis: Flags.string({ description: 'Coordinate load workers on other machines through this Redis (redis://HOST:PORT): start `agentdyno worker --redis URL` on each, and pass --expect-workers N here.' }),
  'expect-workers': Flags.integer({ description: 'With --redis: how many registered workers to wait for before the first level.', min: 1, max: 10_000 }),
  'workers-timeout': Flags.string({ description: 'With --redis: seconds to wait for --expect-workers workers to register before stopping with E_WORKERS_TIMEOUT (default 300).' }),
  'setup-timeout': Flags.string({ description: `Seconds each set-up step (model listing, streaming probe, calibration, power start) may take before the run stops with E_ENDPOINT_TIMEOUT; a progress line says what it waits for (default ${DEFAULT_SETUP_TIMEOUT_MS / 1000}).` }),
  'request-timeout': Flags.string({ description: `Seconds a call may go without a token (first token, or between tokens; keep-alives do not count) before it is counted as a timeout-family fault (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}).` }),
};

/** The most agent lanes one run may ask for (all shards together): far past any one client, short of allocation failures. */
export const MAX_CONCURRENCY = 1_000_000;

const rangeError = (flag: string, what: string, got: unknown, hint?: string) =>
  new AgentdynoError(`must be ${what} (got ${String(got)})`, { code: 'E_USAGE_RANGE', where: `--${flag}`, hint });

/** A lane count: an integer in [1, MAX_CONCURRENCY]. */
export function checkConcurrency(flag: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw rangeError(flag, `an integer from 1 to ${MAX_CONCURRENCY.toLocaleString('en-US')}`, v, 'Past one client machine, shard the level (--shard I/K).');
  return n;
}

/**
 * The sweep's search flags, each checked (no silent clamping: `--growth 1` would never grow,
 * `--max-levels 0` would run nothing and call it a result).
 */
export function parseSearchOptions(f: Record<string, unknown>, defaultMax: number): SearchOptions {
  const start = checkConcurrency('start', f.start ?? 6);
  const growth = Number(f.growth ?? 2);
  if (!Number.isFinite(growth) || growth <= 1 || growth > 100) throw rangeError('growth', 'a number > 1 and <= 100', f.growth, 'Levels grow geometrically: 2 doubles them, 1.5 adds half.');
  const maxConcurrency = checkConcurrency('max-concurrency', f['max-concurrency'] ?? Math.max(defaultMax, start));
  if (maxConcurrency < start) throw rangeError('max-concurrency', `>= --start (${start})`, maxConcurrency);
  const resolution = Number(f.resolution ?? 0.5);
  if (!Number.isFinite(resolution) || resolution < 0 || resolution > 10) throw rangeError('resolution', 'a number from 0 to 10', f.resolution);
  const replicates = Number(f.replicates ?? 0);
  if (!Number.isSafeInteger(replicates) || replicates < 0 || replicates > 100) throw rangeError('replicates', 'an integer from 0 to 100', f.replicates);
  const maxLevels = Number(f['max-levels'] ?? 10);
  if (!Number.isSafeInteger(maxLevels) || maxLevels < 1 || maxLevels > 1000) throw rangeError('max-levels', 'an integer from 1 to 1000', f['max-levels']);
  return { startConcurrency: start, growth, maxConcurrency, resolution, replicates, maxLevels };
}

/**
 * `--workers K` against the lanes a run can have (`lanes`: --concurrency, or a sweep's
 * --max-concurrency). Asked explicitly for more workers than lanes: an error (a worker with no lane
 * would be a silent no-op). Defaulted: availableParallelism() - 1 (one core for the coordinator and
 * the embedded simulator), at least 1, capped by the lanes. A sweep level smaller than K runs on N
 * workers (each level stores how many ran it).
 */
export function parseWorkers(v: unknown, lanes: number, cores: number): { k: number; defaulted: boolean } {
  if (v === undefined || v === null) return { k: Math.max(1, Math.min(cores - 1, lanes)), defaulted: true };
  const k = Number(v);
  if (!Number.isSafeInteger(k) || k < 1) throw rangeError('workers', 'an integer >= 1', v);
  if (k > lanes) throw rangeError('workers', `at most the ${lanes} lanes this run can have`, v, 'A worker without a lane measures nothing: lower --workers, or raise --concurrency / --max-concurrency.');
  return { k, defaulted: false };
}

/** --redis URL --expect-workers N [--workers-timeout S]: null without --redis; errors for a half-given pair. */
export function parseRedisFlags(f: Record<string, unknown>): { url: string; expectWorkers: number; timeoutMs: number } | null {
  if (f.redis === undefined) {
    if (f['expect-workers'] !== undefined) throw new AgentdynoError('--expect-workers needs --redis URL', { code: 'E_USAGE', where: '--expect-workers' });
    return null;
  }
  const url = String(f.redis);
  if (!/^rediss?:\/\//.test(url)) throw new AgentdynoError(`must be a redis:// URL (got ${url})`, { code: 'E_USAGE', where: '--redis', hint: 'e.g. --redis redis://10.0.0.5:6379' });
  if (f['expect-workers'] === undefined) throw new AgentdynoError('--redis needs --expect-workers N (how many `agentdyno worker` processes to wait for)', { code: 'E_USAGE', where: '--expect-workers' });
  if (f.workers !== undefined) throw new AgentdynoError('--workers sets this machine\'s threads; with --redis each worker process sets its own (agentdyno worker --workers K)', { code: 'E_USAGE', where: '--workers' });
  return { url, expectWorkers: Number(f['expect-workers']), timeoutMs: num(f, 'workers-timeout', 300, { min: 1, max: 86_400 }) * 1000 };
}

/** `--idle-window` seconds: >= 0 (0 skips the idle measurement). */
export function parseIdleWindow(v: unknown): number {
  const n = Number(v ?? 0);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw rangeError('idle-window', 'a number of seconds from 0 to 86400', v);
  return n;
}

type Parsed = { [K in keyof typeof replayFlags]: unknown } & Record<string, unknown>;

export function num(flags: Record<string, unknown>, name: string, fallback: number, opts: { min?: number; max?: number } = {}): number {
  const raw = flags[name];
  if (raw === undefined || raw === null) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    throw new AgentdynoError(`must be a number${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''} (got "${String(raw)}")`, { code: Number.isFinite(v) ? 'E_USAGE_RANGE' : 'E_USAGE', where: `--${name}` });
  }
  return v;
}

export interface PreparedSession {
  options: SessionOptions;
  target: Target;
  trajectories: Trajectory[];
  trajectoryFiles: string[];
  store: Store;
  runId: string;
  sink: ProgressSink;
  controller: AbortController;
  settingsText: string;
  /** What workers need to reach the endpoint as this session does (the key stays in the named variable). */
  apiKeyEnv?: string;
  requestTimeoutMs: number;
  dispose(status: 'completed' | 'interrupted' | 'failed', result: unknown): Promise<void>;
}

export async function prepareSession(kind: 'sweep' | 'replay', f: Parsed, json: boolean, startSim: (profile: string, port: number) => Promise<EmbeddedSim>, extraConfig: Record<string, unknown>): Promise<PreparedSession> {
  // Ctrl-C / SIGTERM during set-up: every wait ends at once (E_INTERRUPTED); nothing is stored yet.
  const controller = new AbortController();
  const onSetupSignal = () => controller.abort();
  process.once('SIGINT', onSetupSignal);
  process.once('SIGTERM', onSetupSignal);
  try {
    return await prepareSessionInner(kind, f, json, startSim, extraConfig, controller);
  } finally {
    process.off('SIGINT', onSetupSignal);
    process.off('SIGTERM', onSetupSignal);
  }
}

async function prepareSessionInner(kind: 'sweep' | 'replay', f: Parsed, json: boolean, startSim: (profile: string, port: number) => Promise<EmbeddedSim>, extraConfig: Record<string, unknown>, controller: AbortController): Promise<PreparedSession> {
  const quick = f.quick === true;
  // parseSloTiers throws AgentdynoError (E_USAGE, or E_USAGE_RANGE for a floor the client cannot resolve).
  const tiers: SloTier[] = parseSloTiers(String(f.slo), Number(f['ttft-ceiling-ms']));
  const slo: SloThresholds = { callPassFraction: num(f, 'call-pass-fraction', 0.9, { min: 0, max: 1 }), agentPassFraction: num(f, 'agent-pass-fraction', 0.95, { min: 0, max: 1 }) };
  const level: LevelSettings = {
    warmupS: num(f, 'warmup', quick ? QUICK.warmupS : DEFAULTS.warmupS, { min: 0 }),
    windowS: num(f, 'window', quick ? QUICK.windowS : DEFAULTS.windowS, { min: 0.1 }),
    drainCapS: num(f, 'drain-cap', quick ? QUICK.drainCapS : DEFAULTS.drainCapS, { min: 0 }),
    warmupCapS: num(f, 'warmup-cap', quick ? QUICK.warmupCapS : DEFAULTS.warmupCapS, { min: 1 }),
    toolTimeScale: num(f, 'tool-time-scale', 1, { min: 0 }),
    maxIdleGapMs: num(f, 'max-idle-gap-ms', DEFAULTS.maxIdleGapMs, { min: 0 }),
    seed: Number(f.seed),
    history: f.history === 'generated' ? 'generated' : 'recorded',
    midStart: f['start-turn'] !== 'first',
    content: f.content === 'recorded' ? 'recorded' : 'synthetic',
    api: f.api === 'completions' || f.api === 'responses' || f.api === 'messages' ? f.api : 'chat',
    retries: Number(f.retries ?? 0),
  };
  const validity: ValidityThresholds = {
    ...DEFAULT_VALIDITY,
    maxErrorRate: num(f, 'max-error-rate', DEFAULT_VALIDITY.maxErrorRate, { min: 0, max: 1 }),
    maxEventLoopUtilization: num(f, 'max-event-loop-utilization', DEFAULT_VALIDITY.maxEventLoopUtilization, { min: 0, max: 1 }),
    minWindowS: num(f, 'min-window', quick ? QUICK.minWindowS : DEFAULT_VALIDITY.minWindowS, { min: 0 }),
  };
  if (level.windowS < validity.minWindowS)
    throw new AgentdynoError(`--window ${level.windowS} s is shorter than the minimum window ${validity.minWindowS} s, so every level would be invalid`, { code: 'E_USAGE_RANGE', where: '--window', hint: 'Lengthen --window or lower --min-window.' });
  const setupTimeoutMs = num(f, 'setup-timeout', DEFAULT_SETUP_TIMEOUT_MS / 1000, { min: 0.1, max: 86_400 }) * 1000;
  const requestTimeoutMs = num(f, 'request-timeout', DEFAULT_REQUEST_TIMEOUT_MS / 1000, { min: 0.1, max: 86_400 }) * 1000;
  const files = (f.trajectories as string[] | undefined)?.length ? (f.trajectories as string[]) : [bundledTrajectories()];
  const loaded = loadTrajectories(files);
  if (controller.signal.aborted) throw new AgentdynoError('interrupted while loading trajectories; nothing was measured', { code: 'E_INTERRUPTED', where: files.join(', ') });
  if (!loaded.length) throw new AgentdynoError('no trajectories found', { code: 'E_USAGE', where: files.join(', '), hint: 'Give a .jsonl/.json file or a folder holding some.' });
  const trajectories = loaded.map((l) => l.trajectory);
  // A window shorter than one call cycle at the fastest floor can judge no whole call at any tier.
  const fastest = Math.max(...tiers.map((t) => t.sloTokPerS));
  const cycleS = meanCallCycleS(trajectories, fastest, level.toolTimeScale, level.maxIdleGapMs);
  if (level.windowS < cycleS)
    throw new AgentdynoError(
      `--window ${level.windowS} s is shorter than one call cycle of these trajectories (${cycleS.toFixed(1)} s between a lane's calls even at the fastest floor, ${fastest} tok/s), so no verdict could rest on whole calls`,
      { code: 'E_USAGE_RANGE', where: '--window', hint: `Use --window ${Math.ceil(2 * cycleS)} or more (about two call cycles), or shorter trajectories.` },
    );
  const contentSteps = countContentSteps(trajectories);
  const target = await openTarget({
    target: f.target as string | undefined,
    model: f.model as string | undefined,
    apiKeyEnv: f['api-key-env'] as string | undefined,
    power: (f.power as string[] | undefined)?.length ? (f.power as string[]) : undefined,
    allowUnforcedOutput: f['allow-unforced-output'] === true,
    api: level.api,
    setupTimeoutMs,
    requestTimeoutMs,
    signal: controller.signal,
    startEmbeddedSim: async () => {
      const port = Number(f['sim-port']);
      try {
        return await startSim(String(f['sim-profile']), port);
      } catch (e) {
        if (e instanceof AgentdynoError && e.code === 'E_PORT_IN_USE') {
          throw new AgentdynoError(`port ${port} is already in use, so the embedded simulator cannot listen there.`, { code: 'E_PORT_IN_USE', where: `127.0.0.1:${port}`,
            hint: 'Pick another with --sim-port (0 = a free one), stop whatever holds the port, or point --target at a running server.',
          });
        }
        throw e;
      }
    },
  });
  // Calls that cannot fit the served context fail as context_overflow; past the share a valid level
  // allows (maxContextOverflowRate), no level could be valid: refuse before any load.
  if (target.maxModelLen !== null) {
    const tooLong = targetLimitProblems(loaded, { maxModelLen: target.maxModelLen });
    if (tooLong.length) {
      const share = tooLong.length / Math.max(1, contentSteps.llmSteps);
      if (share > validity.maxContextOverflowRate) {
        await target.close();
        throw problemsError(tooLong, files.length);
      }
      target.notes.push(`${tooLong.length} of ${contentSteps.llmSteps} llm steps need more context than the target's max_model_len ${target.maxModelLen}: they will fail as context_overflow (first: ${formatFileProblem(tooLong[0])})`);
    }
  }
  let store: Store;
  try {
    store = openStore(f.db as string | undefined);
  } catch (e) {
    await target.close();
    throw e;
  }
  const runId = newRunId(kind);
  const config = { kind, tiers, slo, level, validity, trajectories: files, trajectoryCount: trajectories.length, tokenModel: target.tokenModel, quick, ...extraConfig };
  store.createRun({ id: runId, kind, config, target: { url: target.url, model: target.model, simulated: target.simulated, simProfile: target.simProfile, maxModelLen: target.maxModelLen, notes: target.notes }, clockAnchor: clockAnchor() });
  const feeds = await openFeeds(f, store, runId, json, (text) => process.stderr.write(`warning: ${text}\n`)).catch(async (e) => {
    store.finishRun(runId, 'failed', { error: (e as Error).message });
    store.close();
    await target.close();
    throw e;
  });
  const sink = teeSinks(createProgressSink({ json }), ...feeds.sinks);
  // First Ctrl-C: end the current level, keep every finished one, mark the run interrupted.
  // A second one exits at once (the store marks the run and closes cleanly).
  let disposeHard: (() => void) | null = null;
  const onFirst = () => {
    controller.abort();
    sink.emit({ type: 'message', level: 'warn', text: 'interrupted: finishing up (Ctrl-C again to quit at once)' });
    disposeHard = markInterruptedOnExit(store, runId);
  };
  process.once('SIGINT', onFirst);
  process.once('SIGTERM', onFirst);
  // A bug that escapes the run: the levels already stored stay, and the run says it failed.
  const disposeCrash = markFailedOnCrash(store, runId);
  sink.emit({ type: 'run-start', runId, title: `agentdyno ${kind}`, target: target.url, simulated: target.simulated });
  if (feeds.metricsUrl) sink.emit({ type: 'message', level: 'info', text: `Prometheus metrics at ${feeds.metricsUrl}` });
  if (level.content === 'recorded' && contentSteps.withContent === 0)
    sink.emit({ type: 'message', level: 'warn', text: `--content recorded: no llm step in ${files.join(', ')} keeps content.messages, so every call falls back to synthetic text (import or record with --keep-content)` });
  const tm = target.tokenModel;
  const settingsText = [
    `target ${target.url} model ${target.model}${target.simulated ? ` (SIMULATED server, profile ${target.simProfile}: illustrative, not a real model)` : ''}`,
    level.api === 'completions'
      ? `api completions: POST /v1/completions, each call's messages rendered as one prompt with the template ${COMPLETIONS_TEMPLATE} (same prefix structure as chat; prompt sizes calibrated for this template)`
      : level.api === 'responses'
        ? 'api responses: POST /v1/responses with the messages as input items (OpenAI Responses API; usage from response.completed)'
        : level.api === 'messages'
          ? 'api messages: POST /v1/messages with system + messages (Anthropic Messages API; prompt = input + cache read + cache write tokens)'
          : 'api chat: POST /v1/chat/completions with messages (the server\'s chat template)',
    `trajectories ${trajectories.length} from ${files.join(', ')}; history ${level.history}; output length ${target.forceOutputLength ? 'forced (ignore_eos probe passed)' : 'NOT forced (not comparable)'}`,
    `warm-up ${level.warmupS} s after warm-up requests, window ${level.windowS} s, drain cap ${level.drainCapS} s; tool-time scale ${level.toolTimeScale}, idle gap cap ${level.maxIdleGapMs} ms; start turn ${extraConfig.openLoop ? 'first (open loop: each session runs once, from its first turn)' : level.midStart ? 'random (warmed by one request)' : 'first'}; seed ${level.seed}`,
    level.content === 'recorded'
      ? `prompts: RECORDED message text for ${contentSteps.withContent} of ${contentSteps.llmSteps} llm steps (the rest fall back to synthetic text of the recorded size); a cache-bust marker per lane tree is still inserted right after the system message, so lanes do not share a prefix beyond the system prompt (independent agents would not); history of recorded steps is the recorded one; vLLM-style figures over calls sent in the window`
      : `prompts: synthetic text, shared system prompt, then a cache-bust marker per lane tree (lane i replays the same trees at every level), append-only growth; vLLM-style figures over calls sent in the window`,
    `SLO tiers ${tiers.map((t) => `${t.sloTokPerS} tok/s & TTFT <= ${t.ttftCeilingMs} ms`).join(', ')}`,
    `synthetic prompt sizes calibrated${level.api === 'completions' ? ' for the completions template' : ''} by ${tm.source === 'tokenize' ? `the endpoint's /tokenize${level.api === 'completions' ? ' (prompt)' : ''}` : tm.source === 'usage-probe' ? 'usage.prompt_tokens of max_tokens=1 probe requests (no /tokenize)' : 'nothing (ASSUMED)'}: ${tm.tokensPerWord.toFixed(3)} tokens/word, template ${tm.perMessage}/message + ${tm.perRequest}/request, marker ${tm.markerTokens}; check error ${tm.maxRelError === null ? 'unknown' : `${(tm.maxRelError * 100).toFixed(2)}%`} (target ${PROMPT_ERROR_TARGET_PCT}%); achieved error per call is in each level's report`,
    ...target.notes,
  ].join('\n');
  const options: SessionOptions = { target, trajectories, tiers, slo, validity, level, store, runId, sink, signal: controller.signal };
  return {
    options,
    target,
    trajectories,
    trajectoryFiles: files,
    store,
    runId,
    sink,
    controller,
    settingsText,
    apiKeyEnv: f['api-key-env'] as string | undefined,
    requestTimeoutMs,
    async dispose(status, result) {
      process.off('SIGINT', onFirst);
      process.off('SIGTERM', onFirst);
      disposeCrash();
      try {
        if (store.isOpen) store.finishRun(runId, status, result);
      } finally {
        sink.emit({ type: 'run-end', runId, status });
        sink.close();
        (disposeHard as (() => void) | null)?.();
        await target.close();
        store.close();
      }
    },
  };
}
