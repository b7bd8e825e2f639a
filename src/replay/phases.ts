/**
 * The phase rules of one level, in one pure place (DESIGN 4, Load model): warm-up ends when every
 * lane's warm-up request is done (or the cap passes); the level is steady once half of ALL its lanes
 * finished a full call (or the cap passes); the window opens `warmupS` of settling later and lasts
 * `windowS`; the drain keeps the load on until the calls sent in the window are done or `drainCapS`
 * passes; then calls still running are cut. runLevel applies them to its own lanes (no
 * controller); PhaseDirector applies them to the sum over several workers' lanes (a coordinator),
 * which then commands the workers through a PhaseController.
 */
import { steadyLaneCount } from '../slo/index.js';

/** A worker's (or the whole level's) warm-up and drain progress. */
export interface PhaseProgress {
  /** Lanes this progress covers. */
  lanes: number;
  /** Lanes whose warm-up request is done (or that have none). */
  warmed: number;
  /** Lanes that finished a full (non-warm-up) call. */
  fullCall: number;
  /** Calls sent in the window still running (meaningful once the window closed). */
  windowCallsOpen: number;
  /** The worker has seen the window close (its windowCallsOpen is final-window bookkeeping). */
  draining?: boolean;
}

export interface PhaseTimes {
  warmupS: number;
  windowS: number;
  drainCapS: number;
  warmupCapS: number;
}

/** The window's instants, as a coordinator commands them (ns on the coordinator's clock). */
export interface WindowCommand {
  openNs: bigint;
  closeNs: bigint;
  /** Every lane's warm-up request finished within the cap (the level's warmupCompleted). */
  warmupCompleted: boolean;
  /** Lanes of the level (all workers) with a full call when it became steady. */
  lanesWithFullCycle: number;
}

/**
 * A worker's side of coordinated phases: it reports progress on every change and waits for the
 * window and the cut instead of deciding them itself. Instants are on the worker's own clock
 * (the transport translates a remote coordinator's timebase).
 */
export interface PhaseController {
  progress(p: PhaseProgress): void;
  /** Resolves with the window the coordinator chose (never, if the level is cut during warm-up). */
  window(): Promise<WindowCommand>;
  /** Resolves with the instant to cut calls still running. */
  cut(): Promise<bigint>;
}

export const sumProgress = (ps: readonly PhaseProgress[]): PhaseProgress =>
  ps.reduce((a, p) => ({ lanes: a.lanes + p.lanes, warmed: a.warmed + p.warmed, fullCall: a.fullCall + p.fullCall, windowCallsOpen: a.windowCallsOpen + p.windowCallsOpen, draining: a.draining && p.draining === true }), { lanes: 0, warmed: 0, fullCall: 0, windowCallsOpen: 0, draining: true } as PhaseProgress);

/** All warm-up requests done. */
export const allWarmed = (p: PhaseProgress): boolean => p.warmed >= p.lanes;
/** Steady state: half the lanes (slo STEADY_LANE_SHARE) finished a full call. */
export const steadyReached = (p: PhaseProgress): boolean => p.fullCall >= steadyLaneCount(p.lanes);
/** Time left of the warm-up cap after `elapsedNs` since the level started. */
export const warmupCapLeftMs = (t: PhaseTimes, elapsedNs: bigint): number => Math.max(0, t.warmupCapS * 1000 - Number(elapsedNs) / 1e6);
const s2ns = (s: number): bigint => BigInt(Math.round(s * 1e9));
/** The window opens `warmupS` after steady state, and closes `windowS` later. */
export function windowAfterSteady(t: PhaseTimes, steadyNs: bigint): { openNs: bigint; closeNs: bigint } {
  const openNs = steadyNs + s2ns(t.warmupS);
  return { openNs, closeNs: openNs + s2ns(t.windowS) };
}
/** The drain ends when the window's calls are done or the drain cap passed. */
export const drainOver = (t: PhaseTimes, windowCallsOpen: number, nowNs: bigint, closeNs: bigint): boolean => windowCallsOpen <= 0 || nowNs >= closeNs + s2ns(t.drainCapS);

export type DirectorStep =
  | { kind: 'wait'; recheckNs: bigint | null }
  | { kind: 'window'; command: WindowCommand }
  | { kind: 'cut'; atNs: bigint };

/**
 * A coordinator's phase decisions over the sum of its workers' progress: feed it every report and
 * call `step(nowNs)` on each report and on a timer; it says when to open the window and when to cut.
 * Pure: no timers, no clock of its own.
 */
export class PhaseDirector {
  private warmEndNs: bigint | null = null;
  private warmupCompleted = false;
  private command: WindowCommand | null = null;
  private cutNs: bigint | null = null;
  private readonly progress = new Map<string, PhaseProgress>();

  constructor(
    private readonly times: PhaseTimes,
    private readonly workers: readonly string[],
    private readonly startNs: bigint,
  ) {}

  report(worker: string, p: PhaseProgress): void {
    this.progress.set(worker, p);
  }

  total(): PhaseProgress {
    return sumProgress(this.workers.map((w) => this.progress.get(w) ?? { lanes: 0, warmed: 0, fullCall: 0, windowCallsOpen: 0 }));
  }

  step(nowNs: bigint): DirectorStep {
    const t = this.times;
    if (this.cutNs !== null) return { kind: 'wait', recheckNs: null };
    const capNs = this.startNs + s2ns(t.warmupCapS);
    // Every worker must have said how many lanes it runs before the level's totals mean anything.
    const known = this.workers.every((w) => this.progress.has(w));
    const p = this.total();
    if (this.command === null) {
      if (this.warmEndNs === null) {
        if (known && allWarmed(p)) {
          this.warmEndNs = nowNs;
          this.warmupCompleted = true;
        } else if (nowNs >= capNs) this.warmEndNs = nowNs;
        else return { kind: 'wait', recheckNs: capNs };
      }
      if (!(known && (p.lanes === 0 || steadyReached(p))) && nowNs < capNs) return { kind: 'wait', recheckNs: capNs };
      const w = windowAfterSteady(t, nowNs);
      this.command = { ...w, warmupCompleted: this.warmupCompleted, lanesWithFullCycle: p.fullCall };
      return { kind: 'window', command: this.command };
    }
    const { closeNs } = this.command;
    if (nowNs < closeNs) return { kind: 'wait', recheckNs: closeNs };
    // Drain: every worker reported after the window closed, and none has a window call open (or the cap).
    const capEnd = closeNs + s2ns(t.drainCapS);
    if (!(p.draining && drainOver(t, p.windowCallsOpen, nowNs, closeNs)) && nowNs < capEnd) return { kind: 'wait', recheckNs: capEnd };
    this.cutNs = nowNs;
    return { kind: 'cut', atNs: nowNs };
  }
}
