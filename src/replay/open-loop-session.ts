/**
 * Real-time wiring of open-loop replay for `replay --arrivals` and `sweep --arrivals`: arrivals on
 * the monotonic clock and real timers, requests through the target's client, levels judged by the
 * closed-loop judge (evaluateLevel) plus the open loop's queueing rule, stored like closed-loop levels.
 * The sweep searches the arrival rate (poisson) or the rate multiplier 1 / time scale (recorded)
 * with the closed-loop search (sweep-search.ts) on integer levels of 1/RATE_STEPS.
 */
import { monotonicClock, sleep } from '../core/index.js';
import { startTimingCanary, withRetry } from '../endpoint/index.js';
import { arrivalSchedule, type ArrivalMode, type ArrivalSchedule, type ArrivalUnit } from './arrivals.js';
import { OpenLoopKeys, openLoopSweepResult, RATE_STEPS, stepWords, storeOpenLoopLevel } from './open-loop-store.js';
import { startSaturationMonitor } from './level.js';
import { evaluateOpenLoop, runOpenLoopLevel, type OpenLoopReport, type OpenLoopRun, type OpenLoopValidity } from './open-loop.js';
import { laneSettings, type SessionOptions } from './session.js';
import { runSweep } from './sweep.js';
import type { SearchOptions } from '../slo/index.js';
import type { Target } from './setup.js';

export { RATE_STEPS };

export interface OpenLoopSettings {
  mode: ArrivalMode;
  /** poisson: arrivals per second. */
  ratePerS?: number;
  /** recorded: multiply recorded offsets. */
  timeScale?: number;
  unit?: ArrivalUnit | 'auto';
  maxInFlightSessions: number;
  validity: OpenLoopValidity;
}

/** The schedule one level replays. `load`: the swept value (rate /s, or rate multiplier for recorded). */
export function scheduleFor(o: SessionOptions, ol: OpenLoopSettings, load?: number): ArrivalSchedule {
  const s = o.level;
  return arrivalSchedule(o.trajectories, {
    mode: ol.mode,
    ratePerS: ol.mode === 'poisson' ? (load ?? ol.ratePerS) : undefined,
    timeScale: ol.mode === 'recorded' ? (load !== undefined ? 1 / load : ol.timeScale ?? 1) : undefined,
    unit: ol.unit,
    seed: s.seed,
    durationMs: (s.warmupS + s.windowS) * 1000,
  });
}

export async function runRealOpenLoopLevel(o: SessionOptions, ol: OpenLoopSettings, schedule: ArrivalSchedule): Promise<{ run: OpenLoopRun; report: OpenLoopReport }> {
  const s = o.level;
  const sendOnce = (req: Parameters<Target['client']['send']>[0]) => o.target.client.send(req);
  const send = s.retries && s.retries > 0 ? withRetry(sendOnce, { max: s.retries, honourRetryAfter: true, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 }) : sendOnce;
  const run = await runOpenLoopLevel(
    {
      schedule,
      warmupS: s.warmupS,
      windowS: s.windowS,
      drainCapS: s.drainCapS,
      maxInFlightSessions: ol.maxInFlightSessions,
      lane: laneSettings(o),
    },
    { clock: o.clock ?? monotonicClock, sleep, send, signal: o.signal, monitor: startSaturationMonitor, canary: () => startTimingCanary({ transport: o.target.client.transport }) },
  );
  return { run, report: evaluateOpenLoop(run, o.tiers, o.slo, o.validity, ol.validity) };
}

export type OpenLoopSweepResult = ReturnType<typeof openLoopSweepResult> & { arrivals: { mode: ArrivalMode; swept: 'ratePerS' | 'rateMultiplier'; steps: number }; openLoopLevels: OpenLoopLevelSummary[] };

export interface OpenLoopLevelSummary {
  /** The swept value: arrivals per second (poisson) or the multiplier of the recorded rate. */
  load: number;
  arrivalRatePerS: number;
  valid: boolean;
  reasons: string[];
  passRates: (number | null)[];
  sessions: number;
  sendLagP99Ms: number;
  describe: string;
}

/** The closed-loop sweep search over arrival load; every level is an open-loop level. */
export async function runRealOpenLoopSweep(o: SessionOptions, ol: OpenLoopSettings, search: SearchOptions): Promise<OpenLoopSweepResult> {
  const levels: OpenLoopLevelSummary[] = [];
  const keys = new OpenLoopKeys();
  // A step's offered rate: poisson, the rate itself; recorded, the multiplier times the trace's mean rate.
  const baseRatePerS = ol.mode === 'poisson' ? 1 : scheduleFor(o, ol, 1).ratePerS;
  const rateOfStep = (step: number) => (step / RATE_STEPS) * baseRatePerS;
  const rateOf = (step: number | null) => (step === null ? null : Math.round(rateOfStep(step) * 1000) / 1000);
  const result = await runSweep(o.tiers, o.slo, search, {
    signal: o.signal,
    noPowerReason: 'open-loop sweep: agents/MW is a closed-loop figure (agents at a concurrency); not computed',
    // Progress says arrival rates: the search's steps are no agent count.
    emit: (e) => {
      if (e.type === 'level-start') o.sink?.emit({ ...e, concurrency: rateOf(e.concurrency)!, unit: 'req/s' });
      else if (e.type === 'level-end') o.sink?.emit({ ...e, concurrency: rateOf(e.concurrency)!, unit: 'req/s', tiers: e.tiers.map((t) => ({ ...t, maxPassing: rateOf(t.maxPassing), minFailing: rateOf(t.minFailing) })) });
      else if (e.type === 'message') o.sink?.emit({ ...e, text: stepWords(e.text, rateOfStep) });
      else o.sink?.emit(e);
    },
    runLevel: async (c, index) => {
      const load = c / RATE_STEPS;
      const schedule = scheduleFor(o, ol, load);
      const { run, report } = await runRealOpenLoopLevel(o, ol, schedule);
      const key = keys.key(c, ol.mode === 'poisson' ? load : schedule.ratePerS, ol.mode === 'poisson' ? null : load);
      keys.noteSessions(index, run.concurrency);
      storeOpenLoopLevel(o, run, report, key, index);
      levels.push({ load, arrivalRatePerS: key.arrivalRatePerS, valid: report.valid, reasons: report.reasons, passRates: report.tiers.map((t) => t.passRate), sessions: run.openLoop.started, sendLagP99Ms: run.openLoop.sendLag.p99Ms, describe: run.openLoop.describe });
      // The search folds levels by this number: the swept load (in 1/RATE_STEPS), not the sessions seen.
      return { ...report, concurrency: c };
    },
  });
  return { ...openLoopSweepResult(result, keys, ol.mode === 'recorded', rateOfStep), arrivals: { mode: ol.mode, swept: ol.mode === 'poisson' ? 'ratePerS' : 'rateMultiplier', steps: RATE_STEPS }, openLoopLevels: levels };
}
