import { describe, expect, it } from 'vitest';
import { compareOutputs, pairedStats, seedFor, summarizeMeasurement, unconfirmedReasons } from '../../src/loop/index.js';

const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
const u32 = (xs: number[]) => Buffer.from(new Uint32Array(xs).buffer);
const task = { metric: 'runtime_ms', direction: 'lower' as const, plausibleSpeedup: 10, plausibleLimit: null, scoring: 'log-speedup' as const };

describe('timed-output comparison', () => {
  it('exact types must match bit for bit; the first differing element is named', () => {
    expect(compareOutputs({ type: 'u32', abs: 0, rel: 0 }, u32([1, 2, 3]), u32([1, 2, 3]))).toBeNull();
    expect(compareOutputs({ type: 'u32', abs: 0, rel: 0 }, u32([1, 0, 3]), u32([1, 2, 3]))).toMatch(/1 of 3 elements differ \(element 1: got 0, the baseline has 2/);
    expect(compareOutputs({ type: 'u32', abs: 0, rel: 0 }, u32([1, 2]), u32([1, 2, 3]))).toMatch(/8 bytes, the baseline's is 12/);
  });
  it('floats within abs + rel x |baseline| pass; NaN never does', () => {
    const spec = { type: 'f32' as const, abs: 1e-6, rel: 1e-4 };
    expect(compareOutputs(spec, f32([1.00005, 0]), f32([1, 0]))).toBeNull();
    expect(compareOutputs(spec, f32([1.001, 0]), f32([1, 0]))).toMatch(/element 0/);
    expect(compareOutputs(spec, f32([Number.NaN, 0]), f32([1, 0]))).toMatch(/element 0/);
  });
  it('seeds differ per repeat and are reproducible', () => {
    const s = [0, 1, 2, 3, 4].map((i) => seedFor(7, i));
    expect(new Set(s).size).toBe(5);
    expect(s).toEqual([0, 1, 2, 3, 4].map((i) => seedFor(7, i)));
    expect(seedFor(8, 0)).not.toBe(s[0]);
  });
});

describe('paired measurement and plausibility', () => {
  it('a slow drift of the machine cancels in the per-pair ratio', () => {
    const drift = [1, 1.3, 1.6, 1.9, 2.2];
    const base = drift.map((d) => 10 * d);
    const cand = drift.map((d) => 5 * d);
    const p = pairedStats(cand, base, cand.map((c) => c + 20), base.map((b) => b + 20), 'lower', 1);
    expect(p.speedup.median).toBeCloseTo(2, 10);
    expect([p.speedup.ciLow, p.speedup.ciHigh]).toEqual([2, 2]);
    // Unpaired, the same numbers overlap: CIs of 5..11 and 10..22 are not apart.
    const c = summarizeMeasurement(cand);
    const b = summarizeMeasurement(base);
    expect(c.ciHigh).toBeGreaterThanOrEqual(b.ciLow);
  });
  it('an honest 2x is plausible; over the bound, past the hardware limit, or unseen by the host clock is not', () => {
    const base = [10, 10.2, 9.9, 10.1, 10];
    const honest = base.map((b) => b / 2);
    const hostB = base.map((b) => b + 30);
    const hostH = honest.map((c) => c + 30);
    const ok = pairedStats(honest, base, hostH, hostB, 'lower', 1);
    expect(unconfirmedReasons(task, summarizeMeasurement(honest), ok)).toEqual([]);
    const fast = base.map((b) => b / 50);
    expect(unconfirmedReasons(task, summarizeMeasurement(fast), pairedStats(fast, base, fast.map((c) => c + 30), hostB, 'lower', 1))[0]).toMatch(/beyond the 10x plausibility bound/);
    expect(unconfirmedReasons({ ...task, plausibleLimit: 6 }, summarizeMeasurement(honest), ok)[0]).toMatch(/plausible_limit 6/);
    // Claims 2x, but the host saw the run take as long as the baseline's: the saving is forged.
    const forged = pairedStats(honest, base, hostB.map((h) => h + 0.1), hostB, 'lower', 1);
    expect(unconfirmedReasons(task, summarizeMeasurement(honest), forged)[0]).toMatch(/not seen on the host clock/);
  });
});

describe('which metrics the host clock can check', () => {
  it('wall times yes, derived costs no', async () => {
    const { isTimeMetric } = await import('../../src/loop/index.js');
    expect(['runtime_ms', 'latency_ms', 'wall_ms'].map(isTimeMetric)).toEqual([true, true, true]);
    expect(['cost_ms', 'val_mse', 'requests_per_s'].map(isTimeMetric)).toEqual([false, false, false]);
  });
});

describe('paired figures in feedback', () => {
  it('rich feedback shows the paired ratio and its CI; noisy feedback leaves it out (it would give the true value away)', async () => {
    const { eventsFor, FeedbackShaper } = await import('../../src/loop/index.js');
    const m = summarizeMeasurement([5, 5.1, 4.9]);
    m.paired = pairedStats([5, 5.1, 4.9], [10, 10.2, 9.8], [35, 35, 35], [40, 40, 40], 'lower', 1);
    const ev = eventsFor({ iteration: 1, status: 'ok', evaluation: { status: 'ok', steps: [], measurement: m, harnessModified: [], sandbox: 'bwrap', wallMs: 1 }, scores: null, improved: true, best: { median: 10, ciLow: 9, ciHigh: 11, iteration: 0 }, metric: 'runtime_ms', direction: 'lower', errors: [] });
    const rich = new FeedbackShaper('rich', 1).shape(ev).find((e) => e.kind === 'measurement')!;
    expect(rich.text).toMatch(/2\.00x the baseline run beside it \(95% CI 2\.00-2\.00, 3 interleaved pairs\)/);
    const noisy = new FeedbackShaper('noisy', 1).shape(ev).find((e) => e.kind === 'measurement')!;
    expect(noisy.text).not.toMatch(/baseline run beside it/);
    expect(noisy.detail.corrupted).toBe(true);
  });
});
