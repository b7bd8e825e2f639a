/**
 * Task demand D_task: how much feedback a task needs. Our proxies, from the task folder and its runs:
 *   headroom  h = |ln(baseline / reference)| of the task.toml anchors (at least 0.05),
 *   knobs     L = editable files present in environment/ + declared params (at least 1),
 *   noise     N = mean coefficient of variation of the re-measured baseline over the task's runs,
 *   oracle    V = 1 when [agentdyno.efc] local_eval_visible = true (the agent can evaluate locally).
 * ln D = a_h ln h + a_L ln L + a_N ln(1 + N) + a_V ln(2 - V); exponents default to 1 and are
 * calibrated on one split of runs (logistic of success on ln(1+EFC) and the four log features, with
 * a_k = -gamma_k / beta_EFC) and then frozen before the other split is evaluated.
 */
import { createHash } from 'node:crypto';
import { isEditable, listFiles, type Task } from '../loop/index.js';
import { logisticRegression } from './regress.js';

export interface DemandFeatures {
  task: string;
  headroom: number;
  knobs: number;
  baselineNoise: number;
  localEvalVisible: boolean;
}

export interface DemandExponents {
  headroom: number;
  knobs: number;
  noise: number;
  oracle: number;
}

export const DEFAULT_EXPONENTS: DemandExponents = { headroom: 1, knobs: 1, noise: 1, oracle: 1 };

/** Demand features of a loaded task; baselineNoise comes from its runs (0 when none were stored). */
export function demandFeatures(task: Task, baselineNoise = 0): DemandFeatures {
  const b = Math.abs(task.baseline.score);
  const r = Math.abs(task.reference.score);
  const headroom = Math.max(0.05, b > 0 && r > 0 ? Math.abs(Math.log(b / r)) : 0.05);
  const editableFiles = listFiles(task.environmentDir).filter((f) => isEditable(f, task.editable)).length;
  return {
    task: task.id,
    headroom,
    knobs: Math.max(1, editableFiles + Object.keys(task.params).length),
    baselineNoise: Math.max(0, baselineNoise),
    localEvalVisible: task.efc.local_eval_visible === true,
  };
}

export function logFeatures(f: DemandFeatures): number[] {
  return [Math.log(f.headroom), Math.log(f.knobs), Math.log1p(f.baselineNoise), Math.log(2 - (f.localEvalVisible ? 1 : 0))];
}

export function demand(f: DemandFeatures, e: DemandExponents = DEFAULT_EXPONENTS): number {
  const [h, l, n, v] = logFeatures(f);
  return Math.exp(e.headroom * h + e.knobs * l + e.noise * n + e.oracle * v);
}

/** Deterministic split by run id: about half the runs calibrate, the rest evaluate. */
export function splitOf(runId: string): 'calibration' | 'evaluation' {
  return createHash('sha1').update(runId).digest()[0] % 2 === 0 ? 'calibration' : 'evaluation';
}

export interface CalibrationPoint {
  runId: string;
  success: boolean;
  efc: number;
  features: DemandFeatures;
}

export interface Calibration {
  exponents: DemandExponents;
  /** Why the defaults were kept, when they were. */
  note: string | null;
  calibratedOn: string[];
  coefficients: number[] | null;
}

/**
 * Fits the exponents on calibration runs. Exponents are only meaningful when success rises with EFC
 * (beta_EFC > 0) and the features vary across tasks; otherwise the defaults are kept, with a note.
 * A feature that does not vary over the calibration runs keeps its default exponent.
 */
export function calibrateDemand(points: readonly CalibrationPoint[]): Calibration {
  const ids = points.map((p) => p.runId);
  const ys: number[] = points.map((p) => (p.success ? 1 : 0));
  const rate = ys.reduce((a, v) => a + v, 0) / Math.max(1, ys.length);
  if (points.length < 4 || rate === 0 || rate === 1)
    return { exponents: { ...DEFAULT_EXPONENTS }, note: `too little variation to calibrate (${points.length} runs, success rate ${rate.toFixed(2)}); default exponents kept`, calibratedOn: ids, coefficients: null };
  const feats = points.map((p) => logFeatures(p.features));
  const varies = [0, 1, 2, 3].filter((k) => new Set(feats.map((f) => f[k].toFixed(9))).size > 1);
  const X = points.map((p, i) => [Math.log1p(p.efc), ...varies.map((k) => feats[i][k])]);
  const beta = logisticRegression(X, ys);
  const bEfc = beta[1];
  if (!(bEfc > 1e-6)) return { exponents: { ...DEFAULT_EXPONENTS }, note: `success did not rise with EFC on the calibration split (coefficient ${bEfc.toFixed(3)}); default exponents kept`, calibratedOn: ids, coefficients: beta };
  const keys: (keyof DemandExponents)[] = ['headroom', 'knobs', 'noise', 'oracle'];
  const exponents = { ...DEFAULT_EXPONENTS };
  varies.forEach((k, j) => (exponents[keys[k]] = -beta[2 + j] / bEfc));
  const fixed = keys.filter((_, k) => !varies.includes(k));
  return { exponents, note: fixed.length ? `did not vary on the calibration split, kept at 1: ${fixed.join(', ')}` : null, calibratedOn: ids, coefficients: beta };
}
