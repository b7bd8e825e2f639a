import { describe, expect, it } from 'vitest';
import { integrateCounter, integrateIntervalAverage, integrateTrapezoid, type Sample } from '../../src/power/index.js';

// P(t) = 400 + 200 sin(2 pi t / 7) W; E(t) = 400 t + 200 * 7/(2 pi) * (1 - cos(2 pi t / 7)) J.
const P = (t: number) => 400 + 200 * Math.sin((2 * Math.PI * t) / 7);
const E = (t: number) => 400 * t + ((200 * 7) / (2 * Math.PI)) * (1 - Math.cos((2 * Math.PI * t) / 7));
const win = { startMs: 2_300, endMs: 62_300 }; // 60 s, off the sample grid
const exactJ = E(62.3) - E(2.3);
/** Stated tolerance: the three estimators agree with the exact integral within 1 %. */
const TOL = 0.01;

function series(periodS: number, f: (t: number) => number, from = 0, to = 65): Sample[] {
  const out: Sample[] = [];
  const n = Math.round((to - from) / periodS);
  for (let k = 0; k <= n; k++) {
    const t = from + k * periodS;
    out.push({ tMs: t * 1000, value: f(t) });
  }
  return out;
}

describe('integrators on a synthetic waveform with known energy', () => {
  it('counter, trapezoid and interval-average agree with the exact energy within 1 %', () => {
    const c = integrateCounter(series(1, E), win);
    const tr = integrateTrapezoid(series(0.1, P), win);
    const ia = integrateIntervalAverage(series(1, (t) => E(t) - E(t - 1)), win, { averagingWindowMs: 1000 });
    for (const r of [c, tr, ia]) {
      expect(r.energyJ).not.toBeNull();
      expect(Math.abs((r.energyJ as number) - exactJ) / exactJ).toBeLessThan(TOL);
      expect(Math.abs((r.meanW as number) - exactJ / 60) / (exactJ / 60)).toBeLessThan(TOL);
      expect(r.tooSparse).toBe(false);
      expect(r.coverage).toBeGreaterThan(0.99);
    }
    expect(c.method).toBe('counter');
    expect(tr.method).toBe('trapezoid');
    expect(ia.method).toBe('interval-average');
  });

  it('a constant 500 W gives exactly 500 W by every method', () => {
    const w = { startMs: 0, endMs: 30_000 };
    expect(integrateTrapezoid(series(0.5, () => 500, -1, 31), w).meanW).toBeCloseTo(500, 9);
    expect(integrateIntervalAverage(series(1, () => 500, -1, 31), w).meanW).toBeCloseTo(500, 9);
    expect(integrateCounter(series(1, (t) => 500 * t, -1, 31), w).energyJ).toBeCloseTo(15_000, 6);
  });
});

describe('counters', () => {
  it('handles a RAPL wrap mid-window (AMD EPYC range 65 532 610 987 uJ)', () => {
    const R = 65_532.610987;
    const s = series(1, (t) => (R - 1000 + 225 * t) % R, 0, 61);
    const r = integrateCounter(s, { startMs: 0, endMs: 60_000 }, { rangeJ: R });
    expect(r.wraps).toBe(1);
    expect(r.energyJ).toBeCloseTo(225 * 60, 6);
    expect(r.meanW).toBeCloseTo(225, 6);
    expect(r.flags).toEqual([]);
  });

  it('without the range a drop is a reset: lower bound, flagged', () => {
    // 300 W; driver reload at t = 30.5 s resets the counter to 0.
    const s = series(1, (t) => (t < 30.5 ? 1e6 + 300 * t : 300 * (t - 30.5)), 0, 61);
    const r = integrateCounter(s, { startMs: 0, endMs: 60_000 });
    expect(r.resets).toBe(1);
    expect(r.flags.join(' ')).toMatch(/reset/);
    // Energy between the last read before the reset and the reset itself (0.5 s) is lost.
    expect(r.energyJ).toBeCloseTo(300 * 60 - 300 * 0.5, 6);
  });

  it('a counter that never changes is flagged', () => {
    const r = integrateCounter(series(1, () => 42, 0, 20), { startMs: 0, endMs: 20_000 });
    expect(r.energyJ).toBe(0);
    expect(r.flags.join(' ')).toMatch(/did not change/);
  });

  it('edges left uncovered by more than 5 s are flagged', () => {
    const r = integrateCounter(series(1, (t) => 100 * t, 10, 50), { startMs: 0, endMs: 60_000 });
    expect(r.coverage).toBeCloseTo(40 / 60, 6);
    expect(r.tooSparse).toBe(true);
    expect(r.flags.join(' ')).toMatch(/uncovered/);
  });
});

describe('sparse and gappy samples', () => {
  it('three samples in a minute are too sparse: no figure', () => {
    const r = integrateTrapezoid([{ tMs: 0, value: 100 }, { tMs: 30_000, value: 100 }, { tMs: 60_000, value: 100 }], { startMs: 0, endMs: 60_000 });
    expect(r.tooSparse).toBe(true);
    expect(r.flags.join(' ')).toMatch(/too sparse/);
  });

  it('a 20 s hole is not bridged: coverage drops and the gap is flagged', () => {
    const s = series(1, () => 250, 0, 60).filter((x) => x.tMs < 19_500 || x.tMs > 40_500);
    const r = integrateTrapezoid(s, { startMs: 0, endMs: 60_000 });
    expect(r.coverage).toBeLessThan(0.7);
    expect(r.largestGapMs).toBeCloseTo(22_000, 6); // 19 s -> 41 s
    expect(r.tooSparse).toBe(true);
    expect(r.meanW).toBeCloseTo(250, 9); // mean over the covered part only
    expect(r.flags.join(' ')).toMatch(/largest gap/);
  });

  it('drops non-finite and negative values', () => {
    const s = series(0.5, () => 300, 0, 30);
    s[5] = { tMs: s[5].tMs, value: Number.NaN };
    s[9] = { tMs: s[9].tMs, value: -1 };
    const r = integrateTrapezoid(s, { startMs: 0, endMs: 30_000 });
    expect(r.meanW).toBeCloseTo(300, 9);
    expect(r.samples).toBe(59);
  });
});
