/**
 * One load level: N lanes started staggered over `warmupS` (a seeded share each), a warm-up (each
 * lane's warm-up request, then until half the lanes finished a full call, then `warmupS` of
 * settling; all capped at `warmupCapS`),
 * a steady window of `windowS`, then a drain that keeps the load on until the calls sent in the
 * window have finished or `drainCapS` passes; calls still running then are cut and judged on what
 * arrived (evaluate.ts). Calls are marked in-window by their scheduled time. Clock, sleeps and the
 * send function are injected; the client-saturation monitor is optional (real runs only).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/index.js';
import { steadyLaneCount } from '../slo/index.js';
import { nativeReaderCpuS, type CanaryStats, type CompletionRequest, type RequestResult, type TimingCanary } from '../endpoint/index.js';
import { Lane, type CallRecord, type LaneConfig, type LaneIdle } from './lane.js';
import type { ContentMode } from './content.js';
import type { ApiMode } from './completions-prompt.js';
import type { TokenModel } from './prompt.js';
import { drainOver, warmupCapLeftMs, type PhaseController, type PhaseTimes, type WindowCommand } from './phases.js';

export interface LevelConfig {
  /** N: the level's lane count (a sharded run: the total over all shards). */
  concurrency: number;
  /** Global lane indices this process runs (a shard, see shardLanes); default all of 0..N-1. */
  lanes?: readonly number[];
  warmupS: number;
  windowS: number;
  drainCapS: number;
  /** Give up waiting for warm-up requests after this long (the level is then marked). */
  warmupCapS: number;
  lane: Omit<LaneConfig, 'lane'>;
}

export interface SaturationStats {
  /** Share of wall time the client's event loop was busy (perf_hooks eventLoopUtilization). */
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Process CPU (user+system) / wall, in cores; includes an embedded simulator worker when there is one, and the native transport's reader process when it runs. */
  processCpuCores: number;
  cores: number;
}

export interface SaturationMonitor {
  stop(): SaturationStats;
}

export function startSaturationMonitor(): SaturationMonitor {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const helper0 = nativeReaderCpuS();
  const t0 = process.hrtime.bigint();
  return {
    stop() {
      h.disable();
      const elu = performance.eventLoopUtilization(elu0);
      const cpu = process.cpuUsage(cpu0);
      const helperUs = (nativeReaderCpuS() - helper0) * 1e6; // the native transport's reads are the client's work
      const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
      return {
        eventLoopUtilization: elu.utilization,
        eventLoopDelayP99Ms: h.count ? h.percentile(99) / 1e6 : 0,
        eventLoopDelayMaxMs: h.count ? h.max / 1e6 : 0,
        processCpuCores: wallUs > 0 ? (cpu.user + cpu.system + Math.max(0, helperUs)) / wallUs : 0,
        cores: availableParallelism(),
      };
    },
  };
}

export type LevelPhase = 'warmup' | 'window' | 'drain';

export interface LevelEnv {
  clock: Clock;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  send(req: CompletionRequest): Promise<RequestResult>;
  /** Aborting it (Ctrl-C) ends the level at once; the run is marked interrupted. */
  signal?: AbortSignal;
  monitor?: () => SaturationMonitor;
  /** Starts the timing canary (real runs): started with the warm-up, measured over the steady window. */
  canary?: () => Promise<TimingCanary>;
  onPhase?(phase: LevelPhase, info: LevelLive): void;
  /** Called every `tickMs` with live figures (progress UI). */
  onTick?(phase: LevelPhase, info: LevelLive): void;
  tickMs?: number;
  /**
   * Coordinated phases (--workers, --redis): this process reports its lanes' warm-up progress and
   * opens the window, closes it and cuts at the instants the coordinator commands, instead of
   * deciding them from its own lanes. Absent: the level decides locally (the same rules, phases.ts).
   */
  phases?: PhaseController;
}

export interface LevelLive {
  /** Since the level started (warm-up included). */
  elapsedS: number;
  /** Since the current phase (warm-up, window, drain) started. */
  phaseElapsedS: number;
  activeLanes: number;
  requestsDone: number;
  errors: number;
  inFlight: number;
  outputTokens: number;
  /** The calls finished so far (live figures read them; never mutate); absent from drivers that do not share them. */
  records?: readonly CallRecord[];
  windowStartNs?: bigint | null;
}

export interface LevelRun {
  /** Lanes this process ran (N, or a shard's share of it): what the window checks are judged against. */
  concurrency: number;
  /** Sharded runs: the global lane indices run here and the level's total N. */
  lanes?: number[];
  concurrencyTotal?: number;
  records: CallRecord[];
  /** Every wait the lanes' programs asked for (tool/think waits excuse lanes idle all window). */
  idle?: LaneIdle[];
  /** Lanes that had finished a full call when the window opened. */
  lanesWithFullCycle?: number;
  startNs: bigint;
  windowStartNs: bigint;
  windowEndNs: bigint;
  /** When in-flight calls were cut (end of drain). */
  cutNs: bigint;
  warmupCompleted: boolean;
  interrupted: boolean;
  peakInFlight: number;
  saturation: SaturationStats | null;
  /** The timing canary's read lag over the steady window (absent: no canary; null: it could not start). */
  canary?: CanaryStats | null;
  treesCompleted: number;
  /** What the lanes sent (from the lane config), for the report. */
  contentMode: ContentMode;
  /** A level run by several workers (threads or machines): who ran which lanes, each one's own timing. */
  workers?: WorkerShare[];
  /** Why a merged level cannot stand (a worker lost mid-level, clocks apart): it is invalid, and a sweep ends. */
  workerFaults?: string[];
  /** Which route the lanes posted to (chat, or completions with the rendered template). */
  api: ApiMode;
  tokenModel: TokenModel;
}

/** One worker's part of a merged level (--workers / --redis). */
export interface WorkerShare {
  /** w0, w1, ... for threads; the --name (or host:pid) of a remote worker. */
  id: string;
  lanes: number;
  /** Its own timing canary over the window (null: it could not start). */
  canary: CanaryStats | null;
  saturation: SaturationStats | null;
  peakInFlight: number;
  calls: number;
  /** Remote workers: its clock offset to the coordinator (ms, worker minus coordinator) and the uncertainty. */
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
}

/** Resolves with p's value, or null when the signal aborts first. */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, reject);
  });
}

export async function runLevel(cfg: LevelConfig, env: LevelEnv): Promise<LevelRun> {
  const { clock } = env;
  const stopLanes = new AbortController();
  const cutRequests = new AbortController();
  // Every in-flight request and sleeping lane listens on these: thousands at high concurrency.
  setMaxListeners(0, stopLanes.signal, cutRequests.signal);
  const onUser = () => {
    stopLanes.abort();
    cutRequests.abort();
  };
  env.signal?.addEventListener('abort', onUser, { once: true });
  // Stopped before it began (a coordinator's stop during the start lead): end at once, not never.
  if (env.signal?.aborted) onUser();
  const records: CallRecord[] = [];
  const idle: LaneIdle[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let windowStartNs: bigint | null = null;
  let windowEndNs: bigint | null = null;
  let windowCallsOpen = 0;
  let done = 0;
  let errors = 0;
  let outputTokens = 0;
  const startNs = clock.nowNs();
  let draining = false;
  let reportProgress: (() => void) | null = null;
  const times: PhaseTimes = { warmupS: cfg.warmupS, windowS: cfg.windowS, drainCapS: cfg.drainCapS, warmupCapS: cfg.warmupCapS };
  const inWindow = (t: bigint) => windowStartNs !== null && t >= windowStartNs && (windowEndNs === null || t < windowEndNs);

  const lanes: Lane[] = [];
  const laneIds = cfg.lanes ? [...cfg.lanes] : Array.from({ length: cfg.concurrency }, (_, i) => i);
  for (const i of laneIds) {
    lanes.push(
      new Lane(
        { ...cfg.lane, lane: i, rampMs: cfg.lane.rampMs ?? cfg.warmupS * 1000 },
        {
          clock,
          onIdle: (x) => idle.push(x),
          sleep: (ms, signal) => env.sleep(ms, signal),
          signal: stopLanes.signal,
          onRecord: (rec) => {
            records.push(rec);
            done++;
            if (!rec.result.ok && rec.result.errorClass !== 'aborted') errors++;
            outputTokens += rec.result.usage?.completionTokens ?? 0;
          },
          send: async (call) => {
            const counted = !call.warmup && inWindow(call.tSchedNs);
            if (counted) windowCallsOpen++;
            inFlight++;
            peakInFlight = Math.max(peakInFlight, inFlight);
            try {
              return await env.send({ ...call.request, signal: cutRequests.signal });
            } finally {
              inFlight--;
              if (counted && --windowCallsOpen === 0 && draining) reportProgress?.();
            }
          },
        },
      ),
    );
  }
  const live = (): LevelLive => ({
    elapsedS: Number(clock.nowNs() - startNs) / 1e9,
    phaseElapsedS: Number(clock.nowNs() - (phase === 'warmup' ? startNs : phase === 'window' ? windowStartNs! : windowEndNs!)) / 1e9,
    activeLanes: lanes.length,
    requestsDone: done,
    errors,
    inFlight,
    outputTokens,
    records,
    windowStartNs,
  });
  let phase: LevelPhase = 'warmup';
  const ticker = env.onTick ? setInterval(() => env.onTick?.(phase, live()), env.tickMs ?? 1000) : null;
  ticker?.unref?.();
  const userStopped = () => env.signal?.aborted === true;
  const running = lanes.map((l) => l.run());
  let monitor: SaturationMonitor | null = null;
  let warmupCompleted = false;
  let lanesWithFullCycle = 0;
  // Spawned now so its thread is up by the window; a canary that cannot start leaves the level unproven (null).
  const canaryStarting = env.canary ? env.canary().catch(() => null) : null;
  let canary: TimingCanary | null = null;
  let windowClosed = false;
  try {
    env.onPhase?.('warmup', live());
    if (env.phases) {
      // Coordinated: report progress, wait for the coordinator's window and cut.
      const ctl = env.phases;
      let warmed = 0;
      let full = 0;
      reportProgress = () => ctl.progress({ lanes: lanes.length, warmed, fullCall: full, windowCallsOpen, draining });
      for (const l of lanes) {
        void l.warmedUp.then(() => (warmed++, reportProgress?.()));
        void l.firstFullCall.then(() => (full++, reportProgress?.()));
      }
      reportProgress();
      const cutCmd = ctl.cut();
      const first = await unlessAborted(Promise.race([ctl.window(), cutCmd.then(() => null)]), stopLanes.signal);
      const cmd: WindowCommand | null = first;
      const sleepUntil = (ns: bigint) => env.sleep(Math.max(0, Number(ns - clock.nowNs()) / 1e6), stopLanes.signal);
      if (cmd) {
        warmupCompleted = warmed >= lanes.length;
        lanesWithFullCycle = full;
        windowStartNs = cmd.openNs;
        windowEndNs = cmd.closeNs;
        await sleepUntil(cmd.openNs);
        await openWindow();
        await sleepUntil(cmd.closeNs);
      } else {
        // Cut before any window (another worker was lost, or Ctrl-C): an empty window, discarded upstream.
        windowStartNs = windowEndNs = clock.nowNs();
      }
      draining = true;
      const { saturation, canaryLag } = closeWindow();
      reportProgress();
      const cutAt = await unlessAborted(cutCmd, stopLanes.signal);
      if (cutAt !== null) await sleepUntil(cutAt);
      return await finish(clock.nowNs(), saturation, canaryLag);
    }
    const capHit = Symbol('cap');
    const warm = await Promise.race([
      Promise.all(lanes.map((l) => l.warmedUp)).then(() => true),
      env.sleep(cfg.warmupCapS * 1000, stopLanes.signal).then(() => capHit),
    ]);
    warmupCompleted = warm === true;
    // Steady state: half the lanes have finished one full call (slo STEADY_LANE_SHARE; within what is left of the cap).
    let fullCycle = 0;
    const need = steadyLaneCount(lanes.length);
    for (const l of lanes) void l.firstFullCall.then(() => fullCycle++);
    const capLeftMs = warmupCapLeftMs(times, clock.nowNs() - startNs);
    if (!userStopped() && need > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          let n = 0;
          for (const l of lanes) void l.firstFullCall.then(() => ++n >= need && resolve());
        }),
        env.sleep(capLeftMs, stopLanes.signal),
      ]);
    }
    // Let the counting callbacks of lanes that finished at the same instant run.
    await Promise.resolve();
    lanesWithFullCycle = fullCycle;
    if (!userStopped()) await env.sleep(cfg.warmupS * 1000, stopLanes.signal);
    windowStartNs = clock.nowNs();
    await openWindow();
    if (!userStopped()) await env.sleep(cfg.windowS * 1000, stopLanes.signal);
    windowEndNs = clock.nowNs();
    const { saturation, canaryLag } = closeWindow();
    const closedNs = clock.nowNs();
    while (!userStopped() && !drainOver(times, windowCallsOpen, clock.nowNs(), closedNs)) await env.sleep(50, stopLanes.signal);
    return await finish(clock.nowNs(), saturation, canaryLag);
  } finally {
    // Both are set in openWindow(), which the checker's narrowing does not follow.
    (monitor as SaturationMonitor | null)?.stop();
    // Ended early (Ctrl-C, a throw) or already stopped: stop() is idempotent, so stopping the started handle is safe.
    const started = canary as TimingCanary | null;
    if (started) started.stop();
    else if (!windowClosed) void canaryStarting?.then((c) => c?.stop());
    if (ticker) clearInterval(ticker);
    stopLanes.abort();
    cutRequests.abort();
    env.signal?.removeEventListener('abort', onUser);
  }

  /** The steady window opens: the saturation monitor starts and the canary is measured from here. */
  async function openWindow(): Promise<void> {
    phase = 'window';
    env.onPhase?.('window', live());
    monitor = env.monitor ? env.monitor() : null;
    canary = canaryStarting ? await canaryStarting : null;
    canary?.reset();
  }

  /** The steady window closes: what the monitor and the canary saw over it, then the drain. */
  function closeWindow(): { saturation: SaturationStats | null; canaryLag: CanaryStats | null | undefined } {
    windowClosed = true;
    const saturation = monitor ? monitor.stop() : null;
    monitor = null;
    const canaryLag = canaryStarting ? (canary?.stop() ?? null) : undefined;
    canary = null;
    phase = 'drain';
    env.onPhase?.('drain', live());
    return { saturation, canaryLag };
  }

  async function finish(cutNs: bigint, saturation: SaturationStats | null, canaryLag: CanaryStats | null | undefined): Promise<LevelRun> {
    stopLanes.abort();
    cutRequests.abort();
    await Promise.all(running);
    return {
      concurrency: laneIds.length,
      lanes: laneIds,
      ...(cfg.lanes ? { concurrencyTotal: cfg.concurrency } : {}),
      records,
      idle,
      lanesWithFullCycle,
      startNs,
      windowStartNs: windowStartNs!,
      windowEndNs: windowEndNs!,
      cutNs,
      warmupCompleted,
      interrupted: userStopped(),
      peakInFlight,
      saturation,
      ...(canaryLag !== undefined ? { canary: canaryLag } : {}),
      treesCompleted: lanes.reduce((s, l) => s + l.treesCompleted, 0),
      contentMode: cfg.lane.content ?? 'synthetic',
      api: cfg.lane.api ?? 'chat',
      tokenModel: cfg.lane.tokenModel,
    };
  }
}
