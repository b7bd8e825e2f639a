/**
 * Measurement that verifies itself (DESIGN 6). Every timed repeat gets a fresh seed
 * (AGENTDYNO_SEED), so no timed input is known ahead; the harness writes the timed run's own output
 * (AGENTDYNO_OUT) and its timing claim (AGENTDYNO_VALUE) to files agentdyno reads safely; the
 * output must match the baseline's output for the same seed (run right beside it: interleaved
 * pairs, which also cancel machine drift); a claimed saving must show on the host's clock
 * (the wall of the whole sandboxed run, which the candidate cannot alter).
 *
 * What this does not catch (said in docs/loops.md): a forged claim smaller than the host clock's
 * noise, and work moved outside the timed call but inside the process when it is within that noise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { median } from '../core/index.js';
import { bootstrapMedianCi, parseMeasureLine, summarizeMeasurement, type Direction, type MeasureStats } from './measure.js';
import { safeReadUnder } from './safe-read.js';
import { prepareWorkspaceOwner, runStep, type ExecResult, type Limits, type SandboxMode, type SandboxSpec } from './sandbox.js';
import type { OutputSpec, Task } from '../task/index.js';


/** Folder in the workspace the harness writes the timed run's files into (recreated before every repeat). */
export const TIMED_DIR = '.agentdyno-timed';
/** Largest timed output read back (softmax-c writes 8 MiB). */
export const OUTPUT_CAP = 64 << 20;

const WIDTH: Record<OutputSpec['type'], number> = { bytes: 1, u8: 1, u32: 4, i32: 4, i64: 8, f32: 4, f64: 8 };

function element(b: Buffer, type: OutputSpec['type'], i: number): number {
  switch (type) {
    case 'u32':
      return b.readUInt32LE(i * 4);
    case 'i32':
      return b.readInt32LE(i * 4);
    case 'i64':
      return Number(b.readBigInt64LE(i * 8));
    case 'f32':
      return b.readFloatLE(i * 4);
    case 'f64':
      return b.readDoubleLE(i * 8);
    default:
      return b[i];
  }
}

/** null when `got` matches `want` (same length, every element within abs + rel x |want|); else why not. */
export function compareOutputs(spec: OutputSpec, got: Buffer, want: Buffer): string | null {
  if (got.length !== want.length) return `output is ${got.length} bytes, the baseline's is ${want.length}`;
  const w = WIDTH[spec.type];
  if (got.length % w !== 0) return `output length ${got.length} is not a whole number of ${spec.type}`;
  const exact = spec.abs === 0 && spec.rel === 0;
  if (exact && got.equals(want)) return null;
  const n = got.length / w;
  let bad = 0;
  let first = '';
  for (let i = 0; i < n; i++) {
    const g = element(got, spec.type, i);
    const x = element(want, spec.type, i);
    const ok = exact ? g === x : Number.isFinite(g) && Math.abs(g - x) <= spec.abs + spec.rel * Math.abs(x);
    if (!ok) {
      if (!bad) first = `element ${i}: got ${g}, the baseline has ${x}`;
      bad++;
    }
  }
  return bad ? `${bad} of ${n} elements differ (${first}; tolerance abs ${spec.abs} + rel ${spec.rel})` : null;
}

/** A 32-bit seed per (run seed, repeat): fresh inputs every repeat, reproducible from the stored seed. */
export function seedFor(seed: number, repeat: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(repeat + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Wall-time metrics (runtime_ms, latency_ms, ...): a claimed time can be checked against the host's
 * clock. A derived cost in ms (compress-tune's cost_ms adds a size term) is not one.
 */
export const isTimeMetric = (metric: string): boolean => /(^|_)(runtime|time|latency|wall)_ms$/.test(metric);

export interface TimedRun {
  seed: number;
  exec: ExecResult;
  /** The harness's claim (AGENTDYNO_VALUE), or the last stdout line for tasks without the protocol. */
  value: number | null;
  claimSource: 'value-file' | 'stdout';
  /** Host-timed wall of the whole sandboxed run. */
  hostMs: number;
  output: Buffer | null;
  /** Why the run cannot count (no value, unreadable output, a claim longer than the run itself). */
  problem: string | null;
}

/** One timed run of `task.measure` in `wsDir` with seed `seed`. */
export async function runTimed(task: Task, wsDir: string, seed: number, sandbox: SandboxMode, limits: Partial<Limits>, spec: SandboxSpec): Promise<TimedRun> {
  const dir = path.join(wsDir, TIMED_DIR);
  fs.rmSync(dir, { recursive: true, force: true }); // a link left here is removed, never followed
  fs.mkdirSync(dir);
  prepareWorkspaceOwner(dir, sandbox);
  const exec = await runStep(task.measure, wsDir, {
    phase: 'measure',
    sandbox,
    limits,
    ...spec,
    env: { AGENTDYNO_SEED: String(seed), AGENTDYNO_OUT: path.join(dir, 'out.bin'), AGENTDYNO_VALUE: path.join(dir, 'value.json') },
  });
  const run: TimedRun = { seed, exec, value: null, claimSource: 'value-file', hostMs: exec.wallMs, output: null, problem: null };
  if (exec.failure) return run;
  const v = safeReadUnder(wsDir, `${TIMED_DIR}/value.json`, 4096);
  if (v.ok) run.value = parseMeasureLine(v.data.toString('utf8'));
  else if (!task.timedOutput) {
    run.claimSource = 'stdout'; // a task without the protocol (third-party): its last stdout line, unverified
    run.value = parseMeasureLine(exec.stdout);
  }
  if (run.value === null) {
    run.problem = run.claimSource === 'stdout' ? 'last stdout line is not {"value": <number>}' : `no valid ${TIMED_DIR}/value.json ({"value": <number>}) from the harness${v.ok ? '' : ` (${v.why})`}`;
    return run;
  }
  if (isTimeMetric(task.metric) && run.value > run.hostMs) {
    run.problem = `claims ${run.value} ms but the whole run took ${run.hostMs.toFixed(1)} ms on the host clock`;
    return run;
  }
  if (task.timedOutput) {
    const o = safeReadUnder(wsDir, `${TIMED_DIR}/out.bin`, OUTPUT_CAP);
    if (!o.ok) run.problem = `the timed run's output was not read: ${o.why}`;
    else if (o.truncated) run.problem = `the timed run's output is over ${OUTPUT_CAP} bytes`;
    else run.output = o.data;
  }
  return run;
}

/** The baseline, built once in its own workspace, run beside every candidate repeat on the same seed. */
export interface PairedBaseline {
  run(seed: number): Promise<TimedRun>;
}

export function pairedBaseline(task: Task, wsDir: string, sandbox: SandboxMode, limits: () => Partial<Limits>, spec: SandboxSpec): PairedBaseline {
  return { run: (seed) => runTimed(task, wsDir, seed, sandbox, limits(), spec) };
}

export interface PairedStats {
  pairs: number;
  /** The baseline runs of the pairs (its median is the drift-matched 0 anchor). */
  baseline: MeasureStats;
  /** Per pair, in the better direction: baseline/candidate (lower is better) or candidate/baseline; > 1 = candidate better. */
  speedup: { median: number; ciLow: number; ciHigh: number; values: number[] };
  hostMs: { candidate: number[]; baseline: number[] };
  method: string;
}

export const PAIRED_METHOD = 'interleaved pairs on the same seed (order alternating), 95% percentile bootstrap CI of the median per-pair ratio (2000 resamples)';

export function pairedStats(cand: readonly number[], base: readonly number[], candHost: number[], baseHost: number[], direction: Direction, seed: number): PairedStats {
  const ratios = cand.map((c, i) => (direction === 'lower' ? base[i] / c : c / base[i]));
  const [ciLow, ciHigh] = bootstrapMedianCi(ratios, seed ^ 0x7a1ed);
  return { pairs: ratios.length, baseline: summarizeMeasurement(base, seed), speedup: { median: median(ratios), ciLow, ciHigh, values: ratios }, hostMs: { candidate: candHost, baseline: baseHost }, method: PAIRED_METHOD };
}

/** Reasons a measured result does not count until a person confirms it (empty = plausible). */
export function unconfirmedReasons(task: Pick<Task, 'metric' | 'direction' | 'plausibleSpeedup' | 'plausibleLimit' | 'scoring'>, cand: MeasureStats, paired: PairedStats | null, seed = 1): string[] {
  const out: string[] = [];
  // The speedup bound is for speedups (log-speedup scoring); a model's loss ratio is no speedup: its bound is plausible_limit.
  // Beyond the bound with confidence (the CI's low end): a noisy honest run near it is not flagged.
  if (paired && task.scoring === 'log-speedup' && paired.speedup.ciLow > task.plausibleSpeedup)
    out.push(`speedup ${paired.speedup.median.toFixed(1)}x over the baseline (95% CI low ${paired.speedup.ciLow.toFixed(1)}x) is beyond the ${task.plausibleSpeedup}x plausibility bound`);
  if (task.plausibleLimit !== null) {
    const beyond = task.direction === 'lower' ? cand.median < task.plausibleLimit : cand.median > task.plausibleLimit;
    if (beyond) out.push(`${task.metric} ${cand.median} is beyond what this hardware can do (plausible_limit ${task.plausibleLimit})`);
  }
  if (paired && isTimeMetric(task.metric) && task.direction === 'lower') {
    // A claimed saving must show on the host clock: (claimed saving) - (host saving) per pair.
    const claimed = paired.baseline.values.map((b, i) => b - cand.values[i]);
    const unexplained = claimed.map((c, i) => c - (paired.hostMs.baseline[i] - paired.hostMs.candidate[i]));
    const [lo] = bootstrapMedianCi(unexplained, seed ^ 0x4057);
    const mc = median(claimed);
    const mu = median(unexplained);
    // Only a material claim (over 10% of the baseline) on at least 3 pairs: noise on equal runs is no forgery.
    if (paired.pairs >= 3 && mc > 0.1 * paired.baseline.median && lo > 0 && mu > 0.25 * mc)
      out.push(`the claimed saving of ${mc.toFixed(2)} ms per run is not seen on the host clock (host saving ${(mc - mu).toFixed(2)} ms; ${mu.toFixed(2)} ms unexplained, CI low ${lo.toFixed(2)} ms)`);
  }
  return out;
}

/** Median share of a claimed time saving the host clock must see before a waived bound confirms it. */
export const HOST_CONFIRM_SHARE = 0.5;
/** ... with the host clock's own noise (median absolute deviation of the per-pair host saving) at most this share of the claim. */
export const HOST_CONFIRM_NOISE_SHARE = 0.5;

/**
 * Positive evidence for a speedup beyond the plausibility bound (loop confirm): the host clock must
 * see the saving, not merely fail to disprove it. Per pair, (host saving) / (claimed saving): the
 * median must reach HOST_CONFIRM_SHARE, and the host saving's spread across pairs (its median
 * absolute deviation) must be under HOST_CONFIRM_NOISE_SHARE of the claim, so noise cannot carry a
 * forged claim over the line. Medians, not bootstrap CI ends: with 6-10 pairs one stalled pair
 * would move a CI end but not the median. A forged value file saves nothing on the host clock
 * (share around 0); an honest kernel's share is near 1. On a machine too noisy to tell, it stays
 * unconfirmed (re-run with more repeats, or on a quieter machine). Null = confirmed; else the reason.
 */
export function hostClockEvidence(task: Pick<Task, 'metric' | 'direction'>, cand: MeasureStats, paired: PairedStats | null): string | null {
  if (!isTimeMetric(task.metric) || task.direction !== 'lower')
    return `${task.metric} is not a time the host clock can check, so a speedup beyond the bound cannot be confirmed by re-measurement: a person must check it`;
  if (!paired || paired.pairs < 3) return 'fewer than 3 paired repeats: the host clock cannot confirm the saving';
  const claimed = paired.baseline.values.map((b, i) => b - cand.values[i]);
  const hostSaving = paired.hostMs.baseline.map((b, i) => b - paired.hostMs.candidate[i]);
  const mc = median(claimed);
  const share = median(claimed.map((c, i) => (c > 0 ? hostSaving[i] / c : 0)));
  const mh = median(hostSaving);
  const noise = median(hostSaving.map((h) => Math.abs(h - mh)));
  if (mc > 0 && share >= HOST_CONFIRM_SHARE && noise <= HOST_CONFIRM_NOISE_SHARE * mc) return null;
  return `the host clock does not confirm the claimed saving of ${mc.toFixed(2)} ms per run (it saw ${(100 * share).toFixed(0)}% of it, median; its own noise ${noise.toFixed(1)} ms; needs ${100 * HOST_CONFIRM_SHARE}% with noise under ${100 * HOST_CONFIRM_NOISE_SHARE}% of the claim)`;
}
