/**
 * Real-time wiring for the commands: lanes on the monotonic clock and real timers, requests through
 * the target's EndpointClient, the saturation monitor on, every level stored as soon as it is done
 * (requests + sweep points in one transaction each, partial result on the run), progress events out.
 */
import { AgentdynoError, monotonicClock, sleep, type Clock } from '../core/index.js';
import { startTimingCanary, withRetry } from '../endpoint/index.js';
import type { Store } from '../store/index.js';
import type { WindowPower } from '../power/index.js';
import type { Trajectory } from '../trajectory/index.js';
import type { ProgressSink, TierStatus } from '../ui/index.js';
import { evaluateLevel, requestRows, type LevelReport } from './evaluate.js';
import { runLevel, startSaturationMonitor, type LevelConfig, type LevelEnv, type LevelRun } from './level.js';
import type { HistoryMode, LaneConfig } from './lane.js';
import { contentReport, promptTokenError, toPromptSample, type ContentMode, type ContentReport, type PromptSample, type PromptTokenError } from './content.js';
import type { SearchOptions, SloThresholds, SloTier, ValidityThresholds } from '../slo/index.js';
import { runSweep, summarizeSweep, type SweepDeps, type SweepLevel, type SweepResult } from './sweep.js';
import type { Target } from './setup.js';
import type { ApiMode } from './completions-prompt.js';
import { LiveTicker } from './live-ticker.js';

export interface LevelSettings {
  warmupS: number;
  windowS: number;
  drainCapS: number;
  warmupCapS: number;
  toolTimeScale: number;
  maxIdleGapMs: number | null;
  seed: number;
  history: HistoryMode;
  midStart: boolean;
  /** synthetic (default): filler text of the recorded sizes; recorded: the steps' recorded messages where kept. */
  content?: ContentMode;
  /** chat (default) or completions: which OpenAI route the lanes post to (completions: messages rendered by completions-prompt.ts). */
  api?: ApiMode;
  /** Retries of a call after 429/5xx, waiting the server's Retry-After (0 = none: the fault is counted and the lane goes on). */
  retries?: number;
}

export interface SessionOptions {
  target: Target;
  trajectories: readonly Trajectory[];
  tiers: SloTier[];
  slo: SloThresholds;
  validity: ValidityThresholds;
  level: LevelSettings;
  store: Store | null;
  runId: string;
  sink: ProgressSink | null;
  signal: AbortSignal;
  clock?: Clock;
  /** Seconds of idle power measured before the first level (0 = none); reported beside agents/MW, never subtracted. */
  idleS?: number;
  /**
   * Runs a level's lanes elsewhere (--workers K threads, --redis machines: workers/ WorkerPool):
   * the same config and env as runLevel, which it replaces; env.send, monitor and canary are then the workers' own.
   */
  levelRunner?: (cfg: LevelConfig, env: LevelEnv) => Promise<LevelRun>;
  /** Said in the settings and stored with each level: how many workers ran it. */
  workersNote?: string;
}


/** A shard may start this late after --start-at (set-up outlasted the lead time) before it refuses. */
export const START_AT_LATE_TOLERANCE_MS = 5000;

/**
 * Scale-out start gate (DESIGN 7): wait until the wall-clock time `startAtMs`, so K shards on K
 * machines (clocks NTP-synced; each run records its clock anchor) put their load on together.
 * Starting more than START_AT_LATE_TOLERANCE_MS late is refused: the load would not be simultaneous.
 */
/** The lane settings every driver of a session shares (closed-loop lanes add trajectories and midStart). */
export function laneSettings(o: SessionOptions): Pick<LaneConfig, 'seed' | 'tokenModel' | 'toolTimeScale' | 'maxIdleGapMs' | 'history' | 'content' | 'api' | 'forceOutputLength' | 'errorPauseMs'> {
  const s = o.level;
  return {
    seed: s.seed,
    tokenModel: o.target.tokenModel,
    toolTimeScale: s.toolTimeScale,
    maxIdleGapMs: s.maxIdleGapMs,
    history: s.history,
    content: s.content ?? 'synthetic',
    api: s.api ?? 'chat',
    forceOutputLength: o.target.forceOutputLength,
    errorPauseMs: 250,
  };
}

export async function waitForStart(
  startAtMs: number,
  opts: { signal?: AbortSignal; sink?: ProgressSink | null; nowMs?: () => number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<void> {
  const now = opts.nowMs ?? Date.now;
  const waitMs = startAtMs - now();
  if (waitMs < -START_AT_LATE_TOLERANCE_MS) {
    throw new AgentdynoError(`the synchronized start time ${new Date(startAtMs).toISOString()} passed ${(-waitMs / 1000).toFixed(1)} s before this shard was ready to start (set-up took longer than the lead time)`, { code: 'E_USAGE', where: '--start-at',
      hint: 'Give every shard the same --start-at further ahead (set-up, including token calibration, must finish before it), and rerun all shards.',
    });
  }
  if (waitMs <= 0) return;
  opts.sink?.emit({ type: 'message', level: 'info', text: `waiting ${(waitMs / 1000).toFixed(1)} s for the synchronized start at ${new Date(startAtMs).toISOString()}` });
  await (opts.sleep ?? sleep)(waitMs, opts.signal);
}

/**
 * The built-in simulator's own lag counter (`agentdyno_sim_driver_lag_seconds_total` on /metrics):
 * real time its engine lost to late timer wake-ups, i.e. how far a busy host slowed the modelled
 * timings. null for other servers or when it cannot be read.
 */
export async function readSimDriverLagS(target: Pick<Target, 'url' | 'simulated'>): Promise<number | null> {
  if (!target.simulated) return null;
  try {
    const base = target.url.replace(/\/v1\/?$/, '').replace(/\/$/, '');
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) });
    const m = /^agentdyno_sim_driver_lag_seconds_total(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m.exec(await res.text());
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Run one level for real and evaluate it. `lanes`: the global lane indices of a shard (default all). */
export async function runRealLevel(o: SessionOptions, concurrency: number, tiersNow?: () => TierStatus[], lanes?: readonly number[]): Promise<{ run: LevelRun; report: LevelReport }> {
  const clock = o.clock ?? monotonicClock;
  const s = o.level;
  const phaseOf = { warmup: 'warmup', window: 'window', drain: 'drain' } as const;
  const sendOnce = (req: Parameters<Target['client']['send']>[0]) => o.target.client.send(req);
  const send = s.retries && s.retries > 0 ? withRetry(sendOnce, { max: s.retries, honourRetryAfter: true, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 }) : sendOnce;
  const ticker = new LiveTicker(o);
  const lag0 = await readSimDriverLagS(o.target);
  const run = await (o.levelRunner ?? runLevel)(
    {
      concurrency,
      ...(lanes ? { lanes } : {}),
      warmupS: s.warmupS,
      windowS: s.windowS,
      drainCapS: s.drainCapS,
      warmupCapS: s.warmupCapS,
      lane: { ...laneSettings(o), trajectories: o.trajectories, midStart: s.midStart },
    },
    {
      clock,
      sleep,
      send,
      signal: o.signal,
      monitor: startSaturationMonitor,
      canary: () => startTimingCanary({ transport: o.target.client.transport }),
      tickMs: 1000,
      onTick: (phase, live) => {
        const f = ticker.tick(live, concurrency);
        o.sink?.emit({
          type: 'level-tick',
          concurrency,
          elapsedS: live.phaseElapsedS,
          windowS: s.windowS,
          phase: phaseOf[phase],
          activeAgents: live.activeLanes,
          requestsDone: live.requestsDone,
          errors: live.errors,
          outputTokPerS: live.elapsedS > 0 ? live.outputTokens / live.elapsedS : 0,
          powerW: f.powerW,
          tiers: (tiersNow?.() ?? o.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, passRate: null, maxPassing: null, minFailing: null }))).map((t, k) => ({ ...t, passRate: f.tiers[k]?.passRate ?? t.passRate })),
          live: f.live,
        });
      },
    },
  ).finally(() => ticker.stop());
  const report = evaluateLevel(run, o.tiers, o.slo, o.validity);
  const lag1 = lag0 === null ? null : await readSimDriverLagS(o.target);
  if (lag0 !== null && lag1 !== null) {
    const levelS = Number(run.cutNs - run.startNs) / 1e9;
    report.simDriverLag = { lagS: lag1 - lag0, levelS, share: levelS > 0 ? (lag1 - lag0) / levelS : 0 };
  }
  return { run, report };
}

function storeLevel(o: SessionOptions, run: LevelRun, level: SweepLevel): void {
  if (!o.store?.isOpen) return;
  const simulated = o.target.simulated;
  o.store.insertRequests(o.runId, requestRows(run).map((row) => ({ ...row, simulated })));
  o.store.insertSweepPoints(
    o.runId,
    level.report.tiers.map((t) => ({
      level: level.concurrency,
      tierTokPerS: t.sloTokPerS,
      ttftCeilingMs: t.ttftCeilingMs,
      passRate: t.passRate,
      agentsActive: t.agentsActive,
      agentsPassing: t.agentsMeeting,
      valid: level.report.valid,
      reasons: level.report.reasons,
      outputTokPerS: level.report.outputTokPerS,
      meanPowerW: level.power[0]?.meanW ?? null,
      detail: { ...(run.workers ? { workers: run.workers.length, workerIds: run.workers.map((w) => w.id) } : {}), replicate: level.replicate, index: level.index, bindingConstraint: t.bindingConstraint, callFailures: t.callFailures, errors: level.report.errors, levelStartNs: String(run.startNs), cutNs: String(run.cutNs) },
      simulated,
    })),
  );
  storePowerTrace(o, run.startNs, run.cutNs);
}

/** The power readings of [fromNs, toNs] (report's power trace), one channel per --power in order. */
export function storePowerTrace(o: Pick<SessionOptions, 'store' | 'runId' | 'target'>, fromNs: bigint, toNs: bigint): void {
  if (!o.store?.isOpen) return;
  o.target.power.forEach((ch, i) => {
    const rows = ch.trace?.(fromNs, toNs) ?? [];
    o.store!.insertPowerSamples(o.runId, rows.map((r) => ({ channel: `${i}:${ch.info().source}`, tNs: r.tNs, value: r.watts, kind: 'power_w' })));
  });
}

/**
 * With the built-in simulator as the target, N_max is simulated whatever the power source: a measured
 * or replayed power trace paired with simulated load is not a measurement of any system.
 */
export function underSimulatedLoad(w: WindowPower): WindowPower {
  if (w.simulated) return w;
  return { ...w, simulated: true, flags: [...w.flags, 'simulated: the load ran against the built-in simulator, so agents/MW pairs this power trace with simulated capacity'] };
}

/** Idle power of every channel over `idleS` seconds before any load, so the headline can be read against it. */
async function measureIdlePower(o: SessionOptions): Promise<WindowPower[] | undefined> {
  const idleS = o.idleS ?? 0;
  if (idleS <= 0 || o.target.power.length === 0 || o.signal.aborted) return undefined;
  o.sink?.emit({ type: 'phase', phase: 'idle-power', text: `measuring idle power for ${idleS} s before the first level` });
  const start = process.hrtime.bigint();
  await sleep(idleS * 1000, o.signal);
  const end = process.hrtime.bigint();
  storePowerTrace(o, start, end);
  return Promise.all(o.target.power.map((ch) => ch.window(start, end)));
}

/** A sweep's result plus the prompt-size error over every level's calls. */
export type RealSweepResult = SweepResult & { idlePower?: WindowPower[]; contentMode: ContentMode; content: ContentReport; promptTokenError: PromptTokenError };

export async function runRealSweep(o: SessionOptions, search: SearchOptions, onPartial?: (r: SweepResult) => void, next?: SweepDeps['next']): Promise<RealSweepResult> {
  const runs = new Map<number, LevelRun>();
  const samples: PromptSample[] = [];
  const done: SweepLevel[] = [];
  const noPowerReason = o.target.power.length ? undefined : 'no power source: pass --power SPEC (e.g. --power nvidia-smi) for agents/MW';
  const idle = await measureIdlePower(o);
  const result = await runSweep(o.tiers, o.slo, search, {
    next,
    signal: o.signal,
    noPowerReason,
    idle,
    emit: (e) => o.sink?.emit(e),
    runLevel: async (c, index) => {
      const { run, report } = await runRealLevel(o, c, () => {
        const p = summarizeSweep(o.tiers, o.slo, search, done, false, noPowerReason, idle);
        return p.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, passRate: null, maxPassing: t.nMax, minFailing: t.minFailing }));
      });
      runs.set(index, run);
      for (const r of run.records) if (!r.warmup) samples.push(toPromptSample(r));
      return report;
    },
    powerWindows: o.target.power.length
      ? async (a, b) => {
          const ws = await Promise.all(o.target.power.map((ch) => ch.window(a, b)));
          return o.target.simulated ? ws.map(underSimulatedLoad) : ws;
        }
      : undefined,
    onLevelDone: (level) => {
      const run = runs.get(level.index);
      if (run) storeLevel(o, run, level);
      runs.delete(level.index);
      done.push(level);
      const partial = summarizeSweep(o.tiers, o.slo, search, done, false, noPowerReason, idle);
      if (o.store?.isOpen) o.store.setRunResult(o.runId, partial);
      onPartial?.(partial);
    },
  });
  const mode = o.level.content ?? 'synthetic';
  return { ...result, ...(idle ? { idlePower: idle } : {}), contentMode: mode, content: contentReport(samples, mode), promptTokenError: promptTokenError(samples, o.target.tokenModel) };
}

