/**
 * HDR histograms (hdr-histogram-js) for merging latency distributions across shards: each shard's
 * window calls go into one histogram per metric, histograms are added, percentiles read from the
 * sum. Percentiles are never averaged. Values are recorded in integer microseconds with 3
 * significant digits: a percentile read back is within 0.1% of a recorded value at that rank.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { requestMetrics } from '../endpoint/index.js';
import type { LevelRun } from '../replay/index.js';

export const HDR_SIGNIFICANT_DIGITS = 3;
export const HDR_PRECISION_TEXT = `HDR histograms, ${HDR_SIGNIFICANT_DIGITS} significant digits (percentiles within 0.1%), microsecond resolution`;

export function newHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS, lowestDiscernibleValue: 1, autoResize: true, useWebAssembly: false, bitBucketSize: 64 });
}

/** Record a value in ms (negative or non-finite values are skipped: clock glitches, not latencies). */
export function recordMs(h: Histogram, ms: number): void {
  if (Number.isFinite(ms) && ms >= 0) h.recordValue(Math.round(ms * 1000));
}

export function histogramOfMs(values: Iterable<number>): Histogram {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return h;
}

/** The sum of several histograms (a new one; the inputs are untouched). */
export function mergeHistograms(hs: readonly Histogram[]): Histogram {
  const out = newHistogram();
  for (const h of hs) out.add(h);
  return out;
}

export interface HdrStat {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** Percentiles in ms. */
export function hdrStat(h: Histogram): HdrStat {
  if (h.totalCount === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, max: null };
  const ms = (us: number) => us / 1000;
  // A percentile reads its bucket's highest equivalent value; never report it above the recorded max.
  const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
  return { count: h.totalCount, mean: ms(h.mean), p50: at(50), p90: at(90), p99: at(99), max: ms(h.maxValue) };
}

export const encodeHistogram = (h: Histogram): string => encodeIntoCompressedBase64(h);
export const decodeHistogram = (s: string): Histogram => decodeFromCompressedBase64(s, 64, false);

/**
 * Inter-token latencies of a shard's completed calls sent in the window (vLLM's pooled ITL), as an
 * encoded histogram: the request rows keep only per-call ITL p50/p99/max, so the shard stores this
 * with its result for `results merge`.
 */
export function itlHistogramOfRun(run: LevelRun): string {
  const h = newHistogram();
  for (const rec of run.records) {
    if (rec.warmup || !rec.result.ok || rec.tSchedNs < run.windowStartNs || rec.tSchedNs >= run.windowEndNs) continue;
    const m = requestMetrics(rec.result, rec.tSchedNs);
    if (m.ttftMs === null) continue;
    for (const v of m.itlMs) recordMs(h, v);
  }
  return encodeHistogram(h);
}
