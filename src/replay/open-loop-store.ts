/**
 * How an open-loop sweep is stored and summarised. The search runs on integer steps (rate x
 * RATE_STEPS), but a step is no concurrency: the store gets each level's arrival rate as
 * `arrivalRatePerS` (requests and sweep_points), its `level` is the level's ordinal (1, 2, ... by first
 * run, a key that joins requests to points), and the result's tiers say their bracket in req/s.
 */
import type { LevelReport } from './evaluate.js';
import type { OpenLoopRun } from './open-loop.js';
import type { SessionOptions } from './session.js';
import type { SweepLevel, SweepResult, TierResult } from './sweep.js';
import { requestRows } from './evaluate.js';

/** Sweep levels are integers: level L means L / RATE_STEPS arrivals per second (or x rate). */
export const RATE_STEPS = 100;

/** What readers (results show, report, compare) print for the axis of an open-loop sweep. */
export const ARRIVAL_RATE_AXIS = { field: 'arrivalRatePerS', label: 'arrival rate (req/s)' } as const;

export interface OpenLoopLevelKey {
  /** 1-based ordinal of the step by first run: the stored `level`. */
  level: number;
  /** Offered arrival rate: poisson, the rate; recorded, the schedule's mean rate. */
  arrivalRatePerS: number;
  /** recorded: the multiplier of the recorded rate (1 / time scale); poisson: null. */
  rateMultiplier: number | null;
}

export type OpenLoopSweepLevel = SweepLevel & OpenLoopLevelKey & { sessionsAlive: number };
export type OpenLoopSweepTier = TierResult & {
  /** The bracket as arrival rates; nMax / minFailing (agent counts) are null for open loop. */
  arrivalRatePerS: { maxPassing: number | null; minFailing: number | null };
  rateMultiplier?: { maxPassing: number | null; minFailing: number | null };
};

/** Step -> stored key; steps are the search's integers, never stored. */
export class OpenLoopKeys {
  private readonly byStep = new Map<number, OpenLoopLevelKey>();
  private readonly sessionsByIndex = new Map<number, number>();

  key(step: number, arrivalRatePerS: number, rateMultiplier: number | null): OpenLoopLevelKey {
    let k = this.byStep.get(step);
    if (!k) this.byStep.set(step, (k = { level: this.byStep.size + 1, arrivalRatePerS, rateMultiplier }));
    return k;
  }

  get(step: number | null): OpenLoopLevelKey | null {
    return step === null ? null : (this.byStep.get(step) ?? null);
  }

  noteSessions(index: number, sessionsAlive: number): void {
    this.sessionsByIndex.set(index, sessionsAlive);
  }

  sessions(index: number): number | undefined {
    return this.sessionsByIndex.get(index);
  }
}

/** The level's calls and its verdict per tier, under the level's ordinal and arrival rate. */
export function storeOpenLoopLevel(o: SessionOptions, run: OpenLoopRun, report: LevelReport, key: OpenLoopLevelKey, index: number): void {
  if (!o.store?.isOpen) return;
  const simulated = o.target.simulated;
  const { level, arrivalRatePerS } = key;
  o.store.insertRequests(o.runId, requestRows(run).map((row) => ({ ...row, level, arrivalRatePerS, simulated })));
  o.store.insertSweepPoints(
    o.runId,
    report.tiers.map((t) => ({
      level,
      arrivalRatePerS,
      tierTokPerS: t.sloTokPerS,
      ttftCeilingMs: t.ttftCeilingMs,
      passRate: t.passRate,
      agentsActive: t.agentsActive,
      agentsPassing: t.agentsMeeting,
      valid: report.valid,
      reasons: report.reasons,
      outputTokPerS: report.outputTokPerS,
      meanPowerW: null,
      detail: {
        index,
        mode: 'open-loop',
        rateMultiplier: key.rateMultiplier,
        sessionsAlive: run.concurrency,
        arrivalsStarted: run.openLoop.started,
        bindingConstraint: t.bindingConstraint,
        callFailures: t.callFailures,
        errors: report.errors,
        levelStartNs: String(run.startNs),
        cutNs: String(run.cutNs),
      },
      simulated,
    })),
  );
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Notes and reasons name levels by their step ("level 400", "the cap 204800", "concurrency 1"): say them as rates. */
export function stepWords(s: string, rateOf: (step: number) => number): string {
  return s
    .replace(/\b(?:levels?|concurrency)( above)? (\d+)\b/g, (_, above: string | undefined, n: string) => `rate${above ?? ''} ${round(rateOf(Number(n)))} req/s`)
    .replace(/\bthe cap (\d+)\b/g, (_, n: string) => `the cap ${round(rateOf(Number(n)))} req/s`);
}

/**
 * The search's result with every step replaced by what it stands for: levels carry their arrival
 * rate and the sessions alive in the window as `concurrency`; tiers their bracket in req/s.
 */
export function openLoopSweepResult(r: SweepResult, keys: OpenLoopKeys, recorded: boolean, rateOfStep: (step: number) => number) {
  const words = (x: string) => stepWords(x, rateOfStep);
  const rate = (step: number | null) => (step === 0 ? 0 : (keys.get(step)?.arrivalRatePerS ?? null));
  const mult = (step: number | null) => (step === 0 ? 0 : (keys.get(step)?.rateMultiplier ?? null));
  const levels: OpenLoopSweepLevel[] = r.levels.map((l) => {
    const k = keys.get(l.concurrency)!;
    const sessionsAlive = keys.sessions(l.index) ?? l.report.agentsActive;
    return { ...l, ...k, sessionsAlive, concurrency: sessionsAlive, reasons: l.reasons.map((x) => words(x)), report: { ...l.report, concurrency: sessionsAlive } };
  });
  const tiers: OpenLoopSweepTier[] = r.tiers.map((t) => ({
    ...t,
    nMax: null,
    minFailing: null,
    arrivalRatePerS: { maxPassing: rate(t.nMax), minFailing: rate(t.minFailing) },
    ...(recorded ? { rateMultiplier: { maxPassing: mult(t.nMax), minFailing: mult(t.minFailing) } } : {}),
    notes: [...t.notes.map((x) => words(x)), 'open loop: the bracket is in arrival rate (req/s), not agents'],
  }));
  const s = r.search;
  return {
    ...r,
    mode: 'open-loop' as const,
    axis: ARRIVAL_RATE_AXIS,
    reasons: r.reasons.map((x) => words(x)),
    // The search ran on steps of 1/RATE_STEPS: store its bounds as the quantity swept.
    search: { swept: recorded ? 'rateMultiplier' : 'arrivalRatePerS', start: s.startConcurrency / RATE_STEPS, max: s.maxConcurrency / RATE_STEPS, growth: s.growth, resolution: s.resolution, replicates: s.replicates, maxLevels: s.maxLevels },
    levels,
    tiers,
  };
}
