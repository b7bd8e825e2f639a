/**
 * Open-loop level (DESIGN 4, Open loop): sessions (or single calls) start on an arrival schedule
 * (arrivals.ts), not when a lane frees up; each then runs as recorded (tool waits, sub-agents) through
 * the same Lane program as closed-loop replay, once. The phases, in-window rule, drain and cut are
 * runLevel's; the result is a LevelRun the same judge (evaluateLevel) reads, plus how far the client
 * ran behind its schedule: scheduled arrival -> first request handed to the endpoint client (client-
 * side queueing, never hidden), and arrivals refused when too many sessions were in flight.
 */
import { setMaxListeners } from 'node:events';
import type { RequestResult, TimingCanary } from '../endpoint/index.js';
import { arrivalLag, type ArrivalLag, type ArrivalSchedule } from './arrivals.js';
import { evaluateLevel, type LevelReport } from './evaluate.js';
import { Lane, type CallRecord, type LaneConfig } from './lane.js';
import { isTraceBlockStep } from './prompt.js';
import type { LlmStep, Trajectory } from '../trajectory/index.js';
import type { LevelEnv, LevelRun, SaturationMonitor } from './level.js';
import type { SloThresholds, SloTier, ValidityThresholds } from '../slo/index.js';

export interface OpenLoopConfig {
  schedule: ArrivalSchedule;
  warmupS: number;
  windowS: number;
  drainCapS: number;
  lane: Omit<LaneConfig, 'lane' | 'trajectories' | 'midStart'>;
  /** Sessions in flight past which a new arrival is refused (and counted): protects the client. */
  maxInFlightSessions: number;
}

export interface OpenLoopStats {
  mode: ArrivalSchedule['mode'];
  unit: ArrivalSchedule['unit'];
  describe: string;
  ratePerS: number;
  timeScale: number;
  /** Arrivals due before the window's end. */
  scheduled: number;
  started: number;
  /** Due but refused: too many sessions in flight (the level is then invalid). */
  refused: number;
  /** Due but not started when the level was cut (the scheduler fell behind). */
  notStarted: number;
  /** Scheduled arrival -> the session's first request handed to the client (client-side queueing). */
  sendLag: ArrivalLag;
  /** Scheduled arrival -> the session started (timer lateness alone). */
  startLag: ArrivalLag;
  peakSessions: number;
}

export type OpenLoopRun = LevelRun & { openLoop: OpenLoopStats };

/**
 * The trace's own prefix hit for request traces (Mooncake): the leading blocks of a call's hash ids
 * that an earlier arrival of this level already sent, x the block size. Kept as chained 2 x 32-bit
 * hashes of each id prefix (memory per block, not per prefix length).
 */
class TraceBlockHits {
  private readonly seen = new Set<string>();

  /** null when the session's first call carries no trace blocks. */
  next(t: Trajectory): number | null {
    const root = t.agents.find((a) => a.parent === null) ?? t.agents[0];
    const s = root?.steps.find((x) => x.type === 'llm') as LlmStep | undefined;
    if (!s || !isTraceBlockStep(s)) return null;
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    let hit = 0;
    let open = true;
    s.hash_ids!.forEach((id, i) => {
      h1 = Math.imul(h1 ^ id, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ Math.imul(id + i, 0x5bd1e995), 0x27d4eb2d) >>> 0;
      const key = `${h1}.${h2}`;
      if (open && this.seen.has(key)) hit = i + 1;
      else open = false;
      this.seen.add(key);
    });
    return Math.min(s.input_tokens, hit * s.block_size!);
  }
}

/** A call the driver stops before it is sent (a session's lane reaching for a second tree). */
function notSent(nowNs: bigint): RequestResult {
  return {
    requestId: 'not-sent', ok: false, errorClass: 'aborted', errorMessage: 'open loop: one tree per session', httpStatus: null, retryAfterMs: null,
    tSendNs: nowNs, tFirstByteNs: null, tFirstTokenNs: null, tLastTokenNs: null, tEndNs: nowNs, tokenChunkTimesNs: [], tokenChunkPieces: [],
    tHeadersNs: null, tFirstContentNs: null, usage: null, finishReason: null, coalescedReads: 0,
  };
}

export async function runOpenLoopLevel(cfg: OpenLoopConfig, env: LevelEnv): Promise<OpenLoopRun> {
  const { clock } = env;
  const stop = new AbortController();
  const cut = new AbortController();
  setMaxListeners(0, stop.signal, cut.signal);
  const onUser = () => {
    stop.abort();
    cut.abort();
  };
  env.signal?.addEventListener('abort', onUser, { once: true });
  const startNs = clock.nowNs();
  const ns = (ms: number) => BigInt(Math.round(ms * 1e6));
  const windowStartNs = startNs + ns(cfg.warmupS * 1000);
  const windowEndNs = windowStartNs + ns(cfg.windowS * 1000);
  const due = cfg.schedule.arrivals.filter((a) => a.atMs < (cfg.warmupS + cfg.windowS) * 1000);
  const records: CallRecord[] = [];
  const sendLags: number[] = [];
  const startLags: number[] = [];
  const spans: { startNs: bigint; endNs: bigint | null }[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let windowCallsOpen = 0;
  let sessions = 0;
  let peakSessions = 0;
  let refused = 0;
  let started = 0;
  let treesCompleted = 0;
  const inWindow = (t: bigint) => t >= windowStartNs && t < windowEndNs;
  const running: Promise<void>[] = [];
  const traceHits = new TraceBlockHits();

  const startSession = (index: number, schedNs: bigint, trajectory: (typeof due)[number]['trajectory']) => {
    const own = new AbortController();
    const signal = AbortSignal.any([stop.signal, own.signal]);
    let first = true;
    // Request traces: the first call's theoretical hit is what earlier arrivals sent of its blocks.
    let traceHit = traceHits.next(trajectory);
    const span = { startNs: clock.nowNs(), endNs: null as bigint | null };
    spans.push(span);
    startLags.push(Number(span.startNs - schedNs) / 1e6);
    const lane = new Lane(
      { ...cfg.lane, lane: index, trajectories: [trajectory], midStart: false },
      {
        clock,
        sleep: (ms, s) => env.sleep(ms, s),
        signal,
        onRecord: (rec) => {
          if (rec.cycle >= 1) return;
          if (traceHit !== null && rec.llmTurn === 0) {
            rec.expectedCachedTokens = traceHit;
            traceHit = null;
          }
          records.push(rec);
        },
        send: async (call) => {
          if (call.cycle >= 1) {
            own.abort(); // the tree is done: an open-loop session runs once
            return notSent(clock.nowNs());
          }
          const isFirst = first;
          first = false;
          // The session's first call was due at its arrival, not when the lane got round to it.
          if (isFirst) call.tSchedNs = schedNs;
          const counted = !call.warmup && inWindow(call.tSchedNs);
          if (counted) windowCallsOpen++;
          inFlight++;
          peakInFlight = Math.max(peakInFlight, inFlight);
          try {
            const r = await env.send({ ...call.request, signal: cut.signal });
            if (isFirst) sendLags.push(Number((r.attempts?.[0]?.tSendNs ?? r.tSendNs) - schedNs) / 1e6);
            return r;
          } finally {
            inFlight--;
            if (counted) windowCallsOpen--;
          }
        },
      },
    );
    sessions++;
    peakSessions = Math.max(peakSessions, sessions);
    started++;
    running.push(
      lane.run().finally(() => {
        sessions--;
        span.endNs = clock.nowNs();
        if (lane.treesCompleted > 0 || own.signal.aborted) treesCompleted++;
      }),
    );
  };

  const scheduler = (async () => {
    for (const a of due) {
      const schedNs = startNs + ns(a.atMs);
      // Timers can fire a little early: wait again until the arrival is due, never before.
      for (let waitMs = Number(schedNs - clock.nowNs()) / 1e6; waitMs > 0 && !stop.signal.aborted; waitMs = Number(schedNs - clock.nowNs()) / 1e6) {
        await env.sleep(Math.max(waitMs, 0.05), stop.signal);
      }
      if (stop.signal.aborted) return;
      if (sessions >= cfg.maxInFlightSessions) {
        refused++;
        continue;
      }
      startSession(a.index, schedNs, a.trajectory);
    }
  })();

  let monitor: SaturationMonitor | null = null;
  const userStopped = () => env.signal?.aborted === true;
  // The same timing canary as closed-loop levels (level.ts): a tier the client cannot resolve is invalid.
  const canaryStarting = env.canary ? env.canary().catch(() => null) : null;
  let canary: TimingCanary | null = null;
  let canaryDone = false;
  try {
    env.onPhase?.('warmup', live());
    if (!userStopped()) await env.sleep(Math.max(0, Number(windowStartNs - clock.nowNs()) / 1e6), stop.signal);
    env.onPhase?.('window', live());
    monitor = env.monitor ? env.monitor() : null;
    canary = canaryStarting ? await canaryStarting : null;
    canary?.reset();
    if (!userStopped()) await env.sleep(Math.max(0, Number(windowEndNs - clock.nowNs()) / 1e6), stop.signal);
    const saturation = monitor ? monitor.stop() : null;
    monitor = null;
    const canaryLag = canaryStarting ? (canary?.stop() ?? null) : undefined;
    canary = null;
    canaryDone = true;
    env.onPhase?.('drain', live());
    const drainEnd = clock.nowNs() + ns(cfg.drainCapS * 1000);
    while (!userStopped() && windowCallsOpen > 0 && clock.nowNs() < drainEnd) await env.sleep(50, stop.signal);
    const cutNs = clock.nowNs();
    stop.abort();
    cut.abort();
    await scheduler;
    await Promise.all(running);
    // Sessions alive at some point in the window are the level's agents.
    const concurrency = spans.filter((s) => s.startNs < windowEndNs && (s.endNs === null || s.endNs >= windowStartNs)).length;
    return {
      concurrency,
      records,
      startNs,
      windowStartNs,
      windowEndNs,
      cutNs,
      warmupCompleted: true,
      interrupted: userStopped(),
      peakInFlight,
      saturation,
      ...(canaryLag !== undefined ? { canary: canaryLag } : {}),
      treesCompleted,
      contentMode: cfg.lane.content ?? 'synthetic',
      api: cfg.lane.api ?? 'chat',
      tokenModel: cfg.lane.tokenModel,
      openLoop: {
        mode: cfg.schedule.mode,
        unit: cfg.schedule.unit,
        describe: cfg.schedule.describe,
        ratePerS: cfg.schedule.ratePerS,
        timeScale: cfg.schedule.timeScale,
        scheduled: due.length,
        started,
        refused,
        notStarted: due.length - started - refused,
        sendLag: arrivalLag(sendLags),
        startLag: arrivalLag(startLags),
        peakSessions,
      },
    };
  } finally {
    monitor?.stop();
    if (canary) canary.stop();
    else if (!canaryDone) void canaryStarting?.then((c) => c?.stop()).catch(() => undefined);
    stop.abort();
    cut.abort();
    env.signal?.removeEventListener('abort', onUser);
  }

  function live() {
    return { elapsedS: Number(clock.nowNs() - startNs) / 1e9, phaseElapsedS: 0, activeLanes: sessions, requestsDone: records.length, errors: 0, inFlight, outputTokens: 0 };
  }
}

export interface OpenLoopValidity {
  /** Client-side queueing (scheduled -> sent) p99 above which the level is invalid, ms. */
  maxArrivalLagP99Ms: number;
}

export const DEFAULT_OPEN_LOOP_VALIDITY: OpenLoopValidity = { maxArrivalLagP99Ms: 100 };

export type OpenLoopReport = LevelReport & {
  openLoop: OpenLoopStats & {
    /** TTFT counted from when each window call was due (its arrival, or the end of its recorded wait), queueing included. */
    ttftFromScheduleMs: { count: number; p50Ms: number; p99Ms: number };
  };
};

/** The closed-loop judge and validity rules, plus the open loop's own: the client kept its schedule. */
export function evaluateOpenLoop(run: OpenLoopRun, tiers: readonly SloTier[], slo: SloThresholds, validity: ValidityThresholds, ol: OpenLoopValidity = DEFAULT_OPEN_LOOP_VALIDITY): OpenLoopReport {
  const r = evaluateLevel(run, tiers, slo, validity);
  const reasons = [...r.reasons];
  const s = run.openLoop;
  if (s.sendLag.count && s.sendLag.p99Ms > ol.maxArrivalLagP99Ms) reasons.push(`client queueing: arrivals were sent ${s.sendLag.p99Ms.toFixed(1)} ms after their schedule at p99 (limit ${ol.maxArrivalLagP99Ms} ms)`);
  if (s.refused) reasons.push(`${s.refused} arrival${s.refused === 1 ? '' : 's'} refused: more than the in-flight session cap were running (the offered load was not applied)`);
  if (s.notStarted > 0 && !run.interrupted) reasons.push(`${s.notStarted} arrivals due in the window never started (the scheduler fell behind)`);
  if (s.scheduled === 0) reasons.push('no arrival was due in the level: raise --rate or lower --time-scale');
  const fromSched = run.records
    .filter((x) => !x.warmup && x.tSchedNs >= run.windowStartNs && x.tSchedNs < run.windowEndNs && x.result.tFirstTokenNs !== null)
    .map((x) => Number(x.result.tFirstTokenNs! - x.tSchedNs) / 1e6);
  const lag = arrivalLag(fromSched);
  return { ...r, valid: reasons.length === 0, reasons, openLoop: { ...s, ttftFromScheduleMs: { count: lag.count, p50Ms: lag.p50Ms, p99Ms: lag.p99Ms } } };
}
