/**
 * The coordinator of a level run by several workers (--workers K threads, or --redis machines):
 * it splits the lanes (lane i to worker i % K, as shardLanes does), sends each worker its share,
 * drives the phases with one PhaseDirector over the sum of the workers' progress, collects every
 * worker's run and merges them (merge.ts) for one judgement. A worker lost mid-level never makes a
 * silently smaller N: the others are cut, the level is returned with the fault (invalid), and the
 * pool refuses further levels.
 */
import { AgentdynoError, monotonicClock, type Clock } from '../core/index.js';
import { PhaseDirector, type LevelConfig, type LevelEnv, type LevelLive, type LevelPhase, type LevelRun, type WindowCommand } from '../replay/index.js';
import type { WorkerLink } from './links.js';
import { mergeWorkerRuns, type WorkerRun } from './merge.js';
import type { FromWorker, LiveCounts, WorkerInit } from './protocol.js';

/** Every worker starts a level's lanes this long after the coordinator sent it, at the same instant. */
export const LEVEL_START_LEAD_MS = 200;

/** After the cut, how long the coordinator waits for a worker's records before counting it lost. */
export const RESULT_DEADLINE_MS = 60_000;

interface Current {
  levelId: number;
  on(id: string, m: FromWorker): void;
  lost(id: string, reason: string): void;
}

export class WorkerPool {
  private current: Current | null = null;
  private levelSeq = 0;
  private deadReason: string | null = null;

  private constructor(
    readonly links: WorkerLink[],
    private readonly clock: Clock,
  ) {
    for (const l of links) {
      l.on((m) => this.current?.on(l.id, m));
      l.onLost((reason) => {
        this.deadReason ??= `worker ${l.id} was lost: ${reason}`;
        this.current?.lost(l.id, reason);
      });
    }
  }

  /** Initialise every worker; refuse (naming the worker) one of another version or trajectory set. */
  static async start(links: WorkerLink[], init: WorkerInit, opts: { clock?: Clock; readyTimeoutMs?: number } = {}): Promise<WorkerPool> {
    const ready = links.map(
      (l) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new AgentdynoError(`worker ${l.id} did not answer its set-up within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s`, { code: 'E_WORKER_START', where: `worker ${l.id}` })), opts.readyTimeoutMs ?? 60_000);
          t.unref?.();
          l.onLost((reason) => reject(new AgentdynoError(`worker ${l.id} was lost during set-up: ${reason}`, { code: 'E_WORKER_START', where: `worker ${l.id}` })));
          l.on((m) => {
            if (m.type === 'error' && m.levelId === null) reject(new AgentdynoError(`worker ${l.id} could not set up: ${m.message}`, { code: 'E_WORKER_START', where: `worker ${l.id}`, hint: m.hint }));
            if (m.type !== 'ready') return;
            clearTimeout(t);
            if (m.version !== init.version)
              return reject(new AgentdynoError(`worker ${l.id} (${m.host} pid ${m.pid}) runs agentdyno ${m.version}, the coordinator ${init.version}`, { code: 'E_WORKER_MISMATCH', where: `worker ${l.id}`, hint: 'Run the same agentdyno release on every worker and the coordinator (the lanes and the timing rules must be the same).' }));
            if (m.trajectoryHash !== init.trajectoryHash)
              return reject(new AgentdynoError(`worker ${l.id} (${m.host} pid ${m.pid}) loaded another trajectory set from ${init.trajectoryFiles.join(', ')} (sha256 ${m.trajectoryHash.slice(0, 12)}…, the coordinator's ${init.trajectoryHash.slice(0, 12)}…)`, { code: 'E_WORKER_MISMATCH', where: `worker ${l.id}`, hint: 'Give every worker the same trajectory files at the same path (same image, or the same mounted volume).' }));
            resolve();
          });
        }),
    );
    for (const l of links) l.post({ type: 'init', init });
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(links.map((l) => l.close().catch(() => undefined)));
      throw e;
    }
    return new WorkerPool(links, opts.clock ?? monotonicClock);
  }

  get size(): number {
    return this.links.length;
  }

  /** A LevelRunner for replay's session (SessionOptions.levelRunner): env.send/monitor/canary are the workers' own. */
  runLevel = async (cfg: LevelConfig, env: LevelEnv): Promise<LevelRun> => {
    if (this.deadReason) throw new AgentdynoError(`no level can run: ${this.deadReason}`, { code: 'E_WORKER_LOST' });
    const clock = this.clock;
    const laneIds = cfg.lanes ? [...cfg.lanes] : Array.from({ length: cfg.concurrency }, (_, i) => i);
    const k = Math.min(this.links.length, laneIds.length);
    const active = this.links.slice(0, k);
    const shares = new Map(active.map((l, w) => [l.id, laneIds.filter((_, i) => i % k === w)]));
    const levelId = ++this.levelSeq;
    const startNs = clock.nowNs() + BigInt(LEVEL_START_LEAD_MS * 1_000_000);
    const director = new PhaseDirector(cfg, active.map((l) => l.id), startNs);
    const { trajectories: _t, ...lane } = cfg.lane;
    const results = new Map<string, WorkerRun>();
    const lostIds = new Set<string>();
    const faults: string[] = [];
    const live = new Map<string, LiveCounts>();
    let command: WindowCommand | null = null;
    let cutNs: bigint | null = null;
    let phase: LevelPhase = 'warmup';
    let phaseStartNs = startNs;
    const setPhase = (p: LevelPhase) => {
      phase = p;
      phaseStartNs = clock.nowNs();
      env.onPhase?.(p, liveNow());
    };
    const liveNow = (): LevelLive => {
      const xs = [...live.values()];
      const sum = (f: (x: LiveCounts) => number) => xs.reduce((s, x) => s + f(x), 0);
      return { elapsedS: Math.max(0, Number(clock.nowNs() - startNs) / 1e9), phaseElapsedS: Number(clock.nowNs() - phaseStartNs) / 1e9, activeLanes: laneIds.length, requestsDone: sum((x) => x.requestsDone), errors: sum((x) => x.errors), inFlight: sum((x) => x.inFlight), outputTokens: sum((x) => x.outputTokens), windowStartNs: command?.openNs ?? null };
    };
    const waiting = () => active.filter((l) => !results.has(l.id) && !lostIds.has(l.id));
    const broadcastCut = (atNs: bigint) => {
      if (cutNs !== null) return;
      cutNs = atNs;
      for (const l of waiting()) l.post({ type: 'cut', levelId, atNs });
    };
    return new Promise<LevelRun>((resolve) => {
      let finished = false;
      let resultTimer: NodeJS.Timeout | null = null;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        if (ticker) clearInterval(ticker);
        if (resultTimer) clearTimeout(resultTimer);
        env.signal?.removeEventListener('abort', onAbort);
        this.current = null;
        const order = active.map((l) => results.get(l.id)).filter((r): r is WorkerRun => r !== undefined);
        resolve(mergeWorkerRuns({ cfg, laneIds, runs: order, command, shares: new Map([...shares].map(([id, ls]) => [id, ls.length])), faults, interrupted: env.signal?.aborted === true, startNs }));
      };
      const maybeDone = () => {
        if (waiting().length === 0) finish();
      };
      const lose = (id: string, reason: string) => {
        if (lostIds.has(id) || results.has(id) || finished) return;
        lostIds.add(id);
        faults.push(`worker ${id} (${shares.get(id)?.length ?? 0} of ${laneIds.length} lanes) was lost mid-level (${phase}): ${reason}; its calls are missing, so the level cannot stand (never judged as a smaller N)`);
        broadcastCut(clock.nowNs());
        maybeDone();
      };
      const drive = () => {
        if (finished) return;
        if (cutNs !== null) {
          resultTimer ??= setTimeout(() => {
            for (const l of waiting()) lose(l.id, `no records ${RESULT_DEADLINE_MS / 1000} s after the cut`);
          }, RESULT_DEADLINE_MS);
          return;
        }
        const now = clock.nowNs();
        if (command && phase === 'warmup' && now >= command.openNs) setPhase('window');
        if (command && phase === 'window' && now >= command.closeNs) setPhase('drain');
        const s = director.step(now);
        if (s.kind === 'window') {
          command = s.command;
          for (const l of waiting()) l.post({ type: 'window', levelId, command: s.command });
        } else if (s.kind === 'cut') broadcastCut(s.atNs);
      };
      const timer = setInterval(drive, 50);
      const ticker = env.onTick ? setInterval(() => env.onTick?.(phase, liveNow()), env.tickMs ?? 1000) : null;
      ticker?.unref?.();
      const onAbort = () => {
        for (const l of waiting()) l.post({ type: 'stop', levelId });
      };
      env.signal?.addEventListener('abort', onAbort, { once: true });
      this.current = {
        levelId,
        on: (id, m) => {
          if (!shares.has(id) || m.type === 'ready' || m.levelId !== levelId) return;
          if (m.type === 'progress') {
            director.report(id, m.progress);
            drive();
          } else if (m.type === 'tick') live.set(id, m.live);
          else if (m.type === 'result') {
            const link = active.find((l) => l.id === id)!;
            if (lostIds.has(id) || finished) return;
            results.set(id, { id, run: m.run, ...(link.clockOffsetMs !== undefined ? { clockOffsetMs: link.clockOffsetMs, clockUncertaintyMs: link.clockUncertaintyMs } : {}) });
            // A worker that ended on its own before the cut (a signal there, a bug) did not run the level's window: cut the rest now.
            if (cutNs === null && !env.signal?.aborted) {
              faults.push(`worker ${id} ended its lanes before the coordinator's cut (interrupted there?), so the level's load was not the one asked for`);
              broadcastCut(clock.nowNs());
            }
            maybeDone();
          } else if (m.type === 'error') lose(id, `${m.code}: ${m.message}`);
        },
        lost: lose,
      };
      for (const l of active) l.post({ type: 'level', levelId, plan: { ...cfg, lanes: shares.get(l.id)!, lane }, startAtNs: startNs });
      setPhase('warmup');
      if (env.signal?.aborted) onAbort();
    });
  };

  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => l.close().catch(() => undefined)));
  }
}
