/**
 * Pure energy integration over a window (research/power.md section 3). No I/O, no timers: samples
 * in, figures out. Times are monotonic milliseconds (floats); counters are in joules, power in watts.
 *
 * - counters: sum of deltas (wrap adds `rangeJ`, a drop that is not a wrap is a reset: the new value
 *   counts as energy since the reset, a lower bound), interpolated linearly at both window edges;
 * - instantaneous samples: trapezoid, interpolated at the edges;
 * - interval averages: left-open rectangles, each reading covers (t_prev, t_i] clipped to its
 *   averaging window;
 * gaps longer than `maxGapMs` are neither bridged nor counted as covered, and are flagged.
 */

export interface Sample {
  tMs: number;
  value: number;
}

export interface Window {
  startMs: number;
  endMs: number;
}

export interface IntegrateOptions {
  /** A gap longer than this is not bridged (samples) and is flagged. Default: max(2.5 × nominal period, 2000). */
  maxGapMs?: number;
  /** Minimum readings inside the window before a figure is printed (EEHPC: 10). Counters need 2 reads. */
  minSamples?: number;
  /** Minimum coverage before a figure is printed. Default 0.9. */
  minCoverage?: number;
  /** Counter range in J (RAPL max_energy_range_uj / 1e6): a drop is a wrap when it fits this range. */
  rangeJ?: number;
  /** Averaging window of an interval-average reading (ms). */
  averagingWindowMs?: number;
}

export interface IntegrationResult {
  energyJ: number | null;
  meanW: number | null;
  samples: number;
  coverage: number;
  largestGapMs: number;
  spanMs: number;
  wraps: number;
  resets: number;
  minW: number | null;
  maxW: number | null;
  flags: string[];
  tooSparse: boolean;
  method: 'counter' | 'trapezoid' | 'interval-average' | 'declared';
}

const DEFAULT_MIN_SAMPLES = 10;
const DEFAULT_MIN_COVERAGE = 0.9;
/** EEHPC L3: at most 5 s of the core phase uncovered at each end. */
const MAX_EDGE_UNCOVERED_MS = 5000;

function clean(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => Number.isFinite(s.tMs) && Number.isFinite(s.value) && s.value >= 0).sort((a, b) => a.tMs - b.tMs);
}

function medianGap(s: readonly Sample[]): number {
  if (s.length < 2) return Number.NaN;
  const gaps = [];
  for (let i = 1; i < s.length; i++) gaps.push(s[i].tMs - s[i - 1].tMs);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

function gapLimit(s: readonly Sample[], opts: IntegrateOptions): number {
  if (opts.maxGapMs !== undefined) return opts.maxGapMs;
  const g = medianGap(s);
  return Number.isFinite(g) ? Math.max(2.5 * g, 2000) : 2000;
}

function lerp(a: Sample, b: Sample, t: number): number {
  if (b.tMs === a.tMs) return b.value;
  return a.value + ((b.value - a.value) * (t - a.tMs)) / (b.tMs - a.tMs);
}

/** Largest interval inside the window not touched by a reading (including both edges). */
function largestGapIn(times: readonly number[], w: Window): number {
  let prev = w.startMs;
  let largest = 0;
  for (const t of times) {
    if (t < w.startMs || t > w.endMs) continue;
    largest = Math.max(largest, t - prev);
    prev = t;
  }
  return Math.max(largest, w.endMs - prev);
}

function finish(
  base: Omit<IntegrationResult, 'meanW' | 'tooSparse' | 'flags'> & { flags: string[] },
  w: Window,
  opts: IntegrateOptions,
  coveredMs: number,
  minSamples: number,
): IntegrationResult {
  const flags = base.flags;
  const durMs = w.endMs - w.startMs;
  let tooSparse = false;
  if (base.samples < minSamples) {
    flags.push(`too sparse: ${base.samples} reading(s) in the window, need >= ${minSamples}`);
    tooSparse = true;
  }
  const minCov = opts.minCoverage ?? DEFAULT_MIN_COVERAGE;
  if (base.coverage < minCov) {
    flags.push(`coverage ${(base.coverage * 100).toFixed(1)} % < ${(minCov * 100).toFixed(0)} % of the window`);
    tooSparse = true;
  }
  if (durMs > 0 && base.largestGapMs > 0.1 * durMs && base.method !== 'counter') {
    flags.push(`largest gap ${(base.largestGapMs / 1000).toFixed(1)} s > 10 % of the ${(durMs / 1000).toFixed(1)} s window`);
  }
  const meanW = base.energyJ !== null && coveredMs > 0 ? base.energyJ / (coveredMs / 1000) : null;
  if (meanW === null) tooSparse = true;
  return { ...base, meanW, flags, tooSparse };
}

/** Energy from a cumulative counter (J). */
export function integrateCounter(raw: readonly Sample[], w: Window, opts: IntegrateOptions = {}): IntegrationResult {
  const s = clean(raw);
  const flags: string[] = [];
  // Unwrap into a monotone cumulative series.
  const u: Sample[] = [];
  let wraps = 0;
  let resets = 0;
  let offset = 0;
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && s[i].value < s[i - 1].value) {
      const drop = s[i - 1].value - s[i].value;
      // A wrap: the counter went past its range; plausible only if it was in the upper part of the
      // range or the drop is most of the range. Otherwise the counter restarted (driver reload).
      if (opts.rangeJ && drop > 0.5 * opts.rangeJ) {
        offset += opts.rangeJ;
        if (s[i].tMs > w.startMs && s[i - 1].tMs < w.endMs) wraps++;
      } else {
        // Energy since the reset is s[i].value: keep the series continuous from the previous value.
        offset += s[i - 1].value;
        if (s[i].tMs > w.startMs && s[i - 1].tMs < w.endMs) resets++;
      }
    }
    u.push({ tMs: s[i].tMs, value: s[i].value + offset });
  }
  if (resets > 0) flags.push(`counter reset ${resets}x in the window: energy since each reset counted (lower bound)`);
  const at = (t: number): number | null => {
    // Value at t by interpolation between bracketing reads; null when t is outside the reads.
    if (u.length === 0 || t < u[0].tMs || t > u[u.length - 1].tMs) return null;
    let i = 1;
    while (i < u.length && u[i].tMs < t) i++;
    if (i >= u.length) return u[u.length - 1].value;
    return lerp(u[i - 1], u[i], t);
  };
  const a = Math.max(w.startMs, u[0]?.tMs ?? Number.POSITIVE_INFINITY);
  const b = Math.min(w.endMs, u[u.length - 1]?.tMs ?? Number.NEGATIVE_INFINITY);
  const inside = s.filter((x) => x.tMs >= w.startMs && x.tMs <= w.endMs).length;
  const durMs = w.endMs - w.startMs;
  let energyJ: number | null = null;
  let spanMs = 0;
  if (b > a) {
    energyJ = (at(b) as number) - (at(a) as number);
    spanMs = b - a;
    const edgeStart = a - w.startMs;
    const edgeEnd = w.endMs - b;
    if (edgeStart > MAX_EDGE_UNCOVERED_MS || edgeEnd > MAX_EDGE_UNCOVERED_MS) {
      flags.push(`counter reads leave ${(edgeStart / 1000).toFixed(1)} s / ${(edgeEnd / 1000).toFixed(1)} s of the window uncovered at start/end (> 5 s)`);
    }
    if (energyJ === 0) flags.push('counter did not change in the window (window shorter than the counter update period?)');
  }
  // Reads bracketing the window count toward the minimum (they define the edges).
  const bracketing = inside + (u.some((x) => x.tMs < w.startMs) ? 1 : 0) + (u.some((x) => x.tMs > w.endMs) ? 1 : 0);
  const times = s.map((x) => x.tMs);
  const largestGapMs = largestGapIn(times, w);
  if (opts.rangeJ && energyJ !== null) {
    // Two wraps between reads are indistinguishable from one: flag if a gap could hide one.
    const maxGapAll = s.reduce((m, x, i) => (i ? Math.max(m, x.tMs - s[i - 1].tMs) : m), 0);
    const meanWEst = spanMs > 0 ? energyJ / (spanMs / 1000) : 0;
    if (meanWEst > 0 && (maxGapAll / 1000) * meanWEst > opts.rangeJ) flags.push('reads are further apart than one counter wrap period: wraps may be missed');
  }
  return finish(
    {
      energyJ,
      samples: bracketing,
      coverage: durMs > 0 ? spanMs / durMs : 0,
      largestGapMs,
      spanMs,
      wraps,
      resets,
      minW: null,
      maxW: null,
      flags,
      method: 'counter',
    },
    w,
    opts,
    spanMs,
    opts.minSamples ?? 2,
  );
}

/** Energy from instantaneous power samples (W): trapezoid, edges interpolated, long gaps excluded. */
export function integrateTrapezoid(raw: readonly Sample[], w: Window, opts: IntegrateOptions = {}): IntegrationResult {
  const s = clean(raw);
  const gMax = gapLimit(s, opts);
  let energy = 0;
  let covered = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < s.length; i++) {
    const p = s[i - 1];
    const q = s[i];
    if (q.tMs <= w.startMs || p.tMs >= w.endMs) continue;
    if (q.tMs - p.tMs > gMax) continue;
    const a = Math.max(p.tMs, w.startMs);
    const b = Math.min(q.tMs, w.endMs);
    if (b <= a) continue;
    energy += ((lerp(p, q, a) + lerp(p, q, b)) / 2) * ((b - a) / 1000);
    covered += b - a;
    first = Math.min(first, a);
    last = Math.max(last, b);
  }
  return finishSampled(s, w, opts, { energy, covered, first, last, method: 'trapezoid' });
}

/**
 * Energy from interval-averaged readings (W): each reading is the mean over the interval before it,
 * so reading i covers (max(t_{i-1}, t_i - averagingWindow), t_i] (left-open rectangle, MLPerf
 * Training's rule). The first reading covers one averaging window (or one median period).
 */
export function integrateIntervalAverage(raw: readonly Sample[], w: Window, opts: IntegrateOptions = {}): IntegrationResult {
  const s = clean(raw);
  const gMax = gapLimit(s, opts);
  const period = opts.averagingWindowMs ?? (Number.isFinite(medianGap(s)) ? medianGap(s) : 1000);
  let energy = 0;
  let covered = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < s.length; i++) {
    const t = s[i].tMs;
    let from = i === 0 ? t - period : s[i - 1].tMs;
    if (opts.averagingWindowMs !== undefined) from = Math.max(from, t - opts.averagingWindowMs);
    if (t - from > gMax) continue;
    const a = Math.max(from, w.startMs);
    const b = Math.min(t, w.endMs);
    if (b <= a) continue;
    energy += s[i].value * ((b - a) / 1000);
    covered += b - a;
    first = Math.min(first, a);
    last = Math.max(last, b);
  }
  return finishSampled(s, w, opts, { energy, covered, first, last, method: 'interval-average' });
}

/** A declared constant (nameplate): exact by definition, never "measured". */
export function integrateDeclared(watts: number, w: Window): IntegrationResult {
  const durMs = Math.max(0, w.endMs - w.startMs);
  return {
    energyJ: (watts * durMs) / 1000,
    meanW: watts,
    samples: 0,
    coverage: 1,
    largestGapMs: 0,
    spanMs: durMs,
    wraps: 0,
    resets: 0,
    minW: watts,
    maxW: watts,
    flags: [],
    tooSparse: false,
    method: 'declared',
  };
}

export type ReadingKind = 'energy-counter' | 'power-instant' | 'power-interval-avg' | 'constant';

/** Dispatch by reading kind. */
export function integrate(kind: ReadingKind, samples: readonly Sample[], w: Window, opts: IntegrateOptions = {}): IntegrationResult {
  if (kind === 'energy-counter') return integrateCounter(samples, w, opts);
  if (kind === 'power-instant') return integrateTrapezoid(samples, w, opts);
  if (kind === 'power-interval-avg') return integrateIntervalAverage(samples, w, opts);
  return integrateDeclared(samples[0]?.value ?? Number.NaN, w);
}

/** Shared tail of the sample-based integrators: coverage, gaps, range and flags over the window. */
function finishSampled(
  s: readonly Sample[],
  w: Window,
  opts: IntegrateOptions,
  acc: { energy: number; covered: number; first: number; last: number; method: 'trapezoid' | 'interval-average' },
): IntegrationResult {
  let samples = 0;
  let minW = Number.POSITIVE_INFINITY;
  let maxW = Number.NEGATIVE_INFINITY;
  for (const x of s) {
    if (x.tMs < w.startMs || x.tMs > w.endMs) continue;
    samples++;
    if (x.value < minW) minW = x.value;
    if (x.value > maxW) maxW = x.value;
  }
  const durMs = w.endMs - w.startMs;
  return finish(
    {
      energyJ: acc.covered > 0 ? acc.energy : null,
      samples,
      coverage: durMs > 0 ? Math.min(1, acc.covered / durMs) : 0,
      largestGapMs: largestGapIn(s.map((x) => x.tMs), w),
      spanMs: acc.covered > 0 ? acc.last - acc.first : 0,
      wraps: 0,
      resets: 0,
      minW: samples ? minW : null,
      maxW: samples ? maxW : null,
      flags: [],
      method: acc.method,
    },
    w,
    opts,
    acc.covered,
    opts.minSamples ?? DEFAULT_MIN_SAMPLES,
  );
}
