/**
 * Measurement statistics and scores: pure functions (no processes), testable on their own.
 *
 * Protocol (applied by the executor): `warmup` discarded runs, then `repeats` timed runs; the
 * reported value is the median, with a seeded percentile-bootstrap 95% CI of the median; the
 * mean is kept too. A candidate counts as an improvement only when its CI lies entirely on the
 * better side of the best-so-far CI (non-overlap), so noise alone never makes progress.
 */
import { Rng, mean, median, percentile, stddev } from '../core/index.js';
import type { ScoringRule } from '../task/index.js';
import type { PairedStats } from './timed.js';

export interface MeasureStats {
  n: number;
  values: number[];
  median: number;
  mean: number;
  ciLow: number;
  ciHigh: number;
  /** Coefficient of variation (stddev / mean): the noise level shown to the agent. */
  cv: number;
  /** The seed of every timed repeat (warm-up included), so a stored run can be re-run input for input. */
  seeds?: number[];
  /** Host-timed wall of each counted repeat (whole sandboxed run). */
  hostMs?: number[];
  /** Against the baseline run beside each repeat (timed.ts). */
  paired?: PairedStats;
}

/** Percentile bootstrap CI of the median (seeded, so a stored run recomputes identically). */
export function bootstrapMedianCi(values: readonly number[], seed: number, iters = 2000, level = 0.95): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  if (values.length === 1) return [values[0], values[0]];
  const rng = new Rng(seed);
  const meds = new Array<number>(iters);
  const sample = new Array<number>(values.length);
  for (let i = 0; i < iters; i++) {
    for (let j = 0; j < values.length; j++) sample[j] = values[Math.floor(rng.next() * values.length)];
    meds[i] = median(sample);
  }
  const a = (1 - level) / 2;
  return [percentile(meds, 100 * a), percentile(meds, 100 * (1 - a))];
}

export function summarizeMeasurement(values: readonly number[], seed = 1): MeasureStats {
  const [ciLow, ciHigh] = bootstrapMedianCi(values, seed);
  const m = mean(values);
  return { n: values.length, values: [...values], median: median(values), mean: m, ciLow, ciHigh, cv: m !== 0 ? stddev(values) / Math.abs(m) : 0 };
}

export type Direction = 'lower' | 'higher';

/** True when `cand` beats `best` beyond noise: the two CIs do not overlap, on the better side. */
export function isImprovement(cand: Pick<MeasureStats, 'ciLow' | 'ciHigh'>, best: Pick<MeasureStats, 'ciLow' | 'ciHigh'>, direction: Direction): boolean {
  return direction === 'lower' ? cand.ciHigh < best.ciLow : cand.ciLow > best.ciHigh;
}

export interface Anchors {
  direction: Direction;
  scoring: ScoringRule;
  /** Baseline re-measured at the start of this run (the 0 anchor). */
  baselineMeasured: number;
  /** task.toml anchors: their ratio gives the reference speedup (machine-independent). */
  baselineToml: number;
  referenceToml: number;
}

export interface Scores {
  /** baseline/agent (lower-is-better) or agent/baseline; null for linear scoring. */
  speedup: number | null;
  refSpeedup: number | null;
  /** AutoLab anchored reward in [0,1]. */
  reward: number;
  /**
   * RE-Bench-style normalized score, baseline 0 and reference 1, unclipped. For log-speedup tasks
   * the scale is log of the metric (as RE-Bench scores timings in log time): ln(speedup)/ln(ref_speedup).
   * For linear tasks it is linear in the metric between measured baseline and task.toml reference.
   */
  normalized: number;
  /** Speedup over 10x: suspicious (KernelBench's excessive-speedup rule); flag for human review. */
  review: boolean;
}

export function score(value: number, a: Anchors): Scores {
  if (!Number.isFinite(value)) return { speedup: null, refSpeedup: null, reward: 0, normalized: 0, review: false };
  if (a.scoring === 'linear') {
    const span = a.referenceToml - a.baselineMeasured;
    const normalized = span !== 0 ? (value - a.baselineMeasured) / span : 0;
    return { speedup: null, refSpeedup: null, reward: clip01(normalized), normalized, review: false };
  }
  const speedup = a.direction === 'lower' ? a.baselineMeasured / value : value / a.baselineMeasured;
  const refSpeedup = a.direction === 'lower' ? a.baselineToml / a.referenceToml : a.referenceToml / a.baselineToml;
  const lnRef = Math.log(refSpeedup);
  const normalized = speedup > 0 && lnRef > 0 ? Math.log(speedup) / lnRef : 0;
  // AutoLab: must beat the baseline (speedup <= 1 scores 0); matching the reference scores 0.5.
  const reward = speedup <= 1 ? 0 : clip01((0.5 * Math.log(speedup)) / lnRef);
  return { speedup, refSpeedup, reward, normalized, review: speedup > 10 };
}

const clip01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** KernelBench fast_p: fraction of samples that are correct and faster than p × baseline. */
export function fastP(samples: readonly { correct: boolean; speedup: number | null }[], p = 1): number {
  if (samples.length === 0) return 0;
  return samples.filter((s) => s.correct && s.speedup !== null && s.speedup > p).length / samples.length;
}

/** Parses the measure script's last stdout line `{"value": <number>}`; null when absent or malformed. */
export function parseMeasureLine(stdout: string): number | null {
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1]?.trim();
  if (!last) return null;
  try {
    const v = (JSON.parse(last) as { value?: unknown }).value;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
