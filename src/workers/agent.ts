/**
 * The worker side of coordinated levels, whatever carries the messages (a worker thread's port,
 * an in-process channel, Redis): load the trajectory set the coordinator named and say its hash,
 * open an own endpoint connection pool, and run each level's lanes with runLevel under a
 * PhaseController fed by the coordinator's commands, with an own timing canary and saturation monitor.
 */
import { hostname } from 'node:os';
import { AgentdynoError, errorMessage, monotonicClock, sleep, type Clock } from '../core/index.js';
import { EndpointClient, startTimingCanary, withRetry, type CompletionRequest, type RequestResult } from '../endpoint/index.js';
// replay/level.ts, not replay/index.ts: a worker thread then loads the lane driver only, not the
// commands' wiring (oclif, ink, the store): about 1 s less CPU per thread at start.
import { runLevel, startSaturationMonitor, type LevelConfig } from '../replay/level.js';
import type { PhaseController, PhaseProgress, WindowCommand } from '../replay/index.js';
import { loadTrajectories, type Trajectory } from '../trajectory/index.js';
import { trajectorySetHash, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

export interface WorkerPort {
  post(m: FromWorker): void;
  onMessage(fn: (m: ToWorker) => void): void;
}

export interface ServeOptions {
  version: string;
  clock?: Clock;
  /** Called after an `exit` message, once the endpoint pool is closed. */
  onExit?: () => void;
}

interface LevelState {
  id: number;
  stop: AbortController;
  windowCmd: Promise<WindowCommand>;
  cutAt: Promise<bigint>;
  setWindow(c: WindowCommand): void;
  setCut(ns: bigint): void;
}

export function serveWorker(port: WorkerPort, opts: ServeOptions): void {
  const clock = opts.clock ?? monotonicClock;
  let init: WorkerInit | null = null;
  let trajectories: Trajectory[] = [];
  let client: EndpointClient | null = null;
  let send: ((req: CompletionRequest) => Promise<RequestResult>) | null = null;
  let level: LevelState | null = null;
  const fail = (levelId: number | null, e: unknown) => {
    const code = e instanceof AgentdynoError ? e.code : 'E_WORKER_START';
    port.post({ type: 'error', levelId, code, message: errorMessage(e), ...(e instanceof AgentdynoError && e.hint ? { hint: e.hint } : {}) });
  };

  /** The level's state exists from its message on, so a stop or cut during the start lead is kept. */
  const newLevel = (levelId: number): LevelState => {
    let setWindow!: (c: WindowCommand) => void;
    let setCut!: (ns: bigint) => void;
    return {
      id: levelId,
      stop: new AbortController(),
      windowCmd: new Promise((r) => (setWindow = r)),
      cutAt: new Promise((r) => (setCut = r)),
      setWindow: (c) => setWindow(c),
      setCut: (ns) => setCut(ns),
    };
  };

  const runOne = async (st: LevelState, cfg: LevelConfig) => {
    const levelId = st.id;
    // Progress changes on every lane's warm-up and first call (thousands per level): at most one report per 20 ms, the latest.
    let latest: PhaseProgress | null = null;
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      if (latest) port.post({ type: 'progress', levelId, progress: latest });
      latest = null;
    };
    const phases: PhaseController = {
      progress: (progress: PhaseProgress) => {
        latest = progress;
        timer ??= setTimeout(flush, 20);
      },
      window: () => st.windowCmd,
      cut: () => st.cutAt,
    };
    try {
      const run = await runLevel(cfg, {
        clock,
        sleep,
        send: send!,
        signal: st.stop.signal,
        monitor: startSaturationMonitor,
        ...(init!.canary ? { canary: () => startTimingCanary({ transport: client?.transport ?? 'net' }) } : {}),
        phases,
        tickMs: 1000,
        onTick: (_phase, live) => port.post({ type: 'tick', levelId, live: { requestsDone: live.requestsDone, errors: live.errors, inFlight: live.inFlight, outputTokens: live.outputTokens, activeLanes: live.activeLanes } }),
      });
      if (timer) clearTimeout(timer);
      flush();
      port.post({ type: 'result', levelId, run });
    } catch (e) {
      fail(levelId, e);
    } finally {
      if (level === st) level = null;
    }
  };

  port.onMessage((m) => {
    switch (m.type) {
      case 'init': {
        try {
          init = m.init;
          trajectories = loadTrajectories(init.trajectoryFiles).map((l) => l.trajectory);
          client = new EndpointClient({ baseUrl: init.url, model: init.model, apiKeyEnv: init.apiKeyEnv, timeoutMs: init.requestTimeoutMs });
          const once = (req: CompletionRequest) => client!.send(req);
          send = init.retries > 0 ? withRetry(once, { max: init.retries, honourRetryAfter: true, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 }) : once;
          // The coordinator compares version and hash and names this worker if they differ.
          port.post({ type: 'ready', version: opts.version, trajectoryHash: trajectorySetHash(trajectories), pid: process.pid, host: hostname() });
        } catch (e) {
          fail(null, e);
        }
        return;
      }
      case 'level': {
        if (!init || !send) return fail(m.levelId, new AgentdynoError('a level arrived before the worker was initialised', { code: 'E_WORKER_START' }));
        const cfg: LevelConfig = { ...m.plan, lane: { ...m.plan.lane, trajectories } };
        // Every worker puts its load on at the same instant (the coordinator's, moved onto this clock).
        const st = newLevel(m.levelId);
        level = st;
        const waitMs = Number(m.startAtNs - clock.nowNs()) / 1e6;
        void (waitMs > 0 ? sleep(waitMs, st.stop.signal) : Promise.resolve()).then(() => runOne(st, cfg));
        return;
      }
      case 'window':
        if (level?.id === m.levelId) level.setWindow(m.command);
        return;
      case 'cut':
        if (level?.id === m.levelId) level.setCut(m.atNs);
        return;
      case 'stop':
        if (level?.id === m.levelId) level.stop.abort();
        return;
      case 'exit':
        level?.stop.abort();
        void (client?.close(true) ?? Promise.resolve()).finally(() => opts.onExit?.());
        return;
    }
  });
}
