import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.js';
import { calibrateDemand, fitSuccess, hierarchicalResample, logisticRegression, powerLawFit, sigmoid, type FitPoint } from '../../src/efc/index.js';

/** Synthetic runs where success follows EFC and raw compute is unrelated noise. */
function synth(n: number, seed: number): FitPoint[] {
  const rng = new Rng(seed);
  const out: FitPoint[] = [];
  for (let i = 0; i < n; i++) {
    const efc = Math.exp(rng.next() * 4) - 1;
    const p = sigmoid(-4 + 2.5 * Math.log1p(efc));
    out.push({ runId: `r${i}`, task: `t${i % 5}`, success: rng.next() < p, efc, demand: 1, tokens: 0, toolCalls: rng.int(1, 8), wallSec: 1 + rng.next() * 10 });
  }
  return out;
}

describe('fits', () => {
  it('logistic regression recovers a known slope', () => {
    const rng = new Rng(3);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const x = rng.next() * 6 - 3;
      X.push([x]);
      y.push(rng.next() < sigmoid(0.5 + 1.5 * x) ? 1 : 0);
    }
    const [b0, b1] = logisticRegression(X, y, 0);
    expect(b0).toBeGreaterThan(0.3);
    expect(b0).toBeLessThan(0.7);
    expect(b1).toBeGreaterThan(1.3);
    expect(b1).toBeLessThan(1.7);
  });
  it('power-law fit recovers E = 0.1 + 0.8 z^-1', () => {
    const z = Array.from({ length: 40 }, (_, i) => 1 + i * 0.5);
    const p = powerLawFit(z, z.map((v) => 0.1 + 0.8 * Math.pow(v, -1)));
    expect(p.eInf).toBeCloseTo(0.1, 1);
    expect(p.a).toBeCloseTo(0.8, 1);
    expect(p.alpha).toBeCloseTo(1, 1);
  });
  it('finds EFC a better predictor than unrelated raw compute, with seeded, repeatable intervals', () => {
    const pts = synth(120, 7);
    const r = fitSuccess(pts, { reps: 200, seed: 5 });
    expect(r.n).toBe(120);
    expect(r.fits.efc.logistic.r2!).toBeGreaterThan(0.7);
    expect(r.fits.efc.logistic.r2!).toBeGreaterThan(r.fits.toolCalls.logistic.r2 ?? -Infinity);
    expect(r.fits.efc.ci![0]).toBeLessThanOrEqual(r.fits.efc.ci![1]);
    expect(r.deltaR2.ci![0]).toBeGreaterThan(0);
    const again = fitSuccess(pts, { reps: 200, seed: 5 });
    expect(again.fits.efc.ci).toEqual(r.fits.efc.ci);
  });
  it('resamples tasks first, then runs within the drawn tasks', () => {
    const pts = [...Array.from({ length: 10 }, (_, i) => ({ task: 'a', i })), { task: 'b', i: 99 }];
    const s = hierarchicalResample(pts, new Rng(2));
    // Two task draws: each contributes as many runs as that task has.
    expect([2, 11, 20]).toContain(s.length);
    expect(new Set(s.filter((x) => x.task === 'b').map((x) => x.i))).toEqual(s.some((x) => x.task === 'b') ? new Set([99]) : new Set());
  });
});

describe('demand calibration', () => {
  const f = (task: string, headroom: number) => ({ task, headroom, knobs: 1, baselineNoise: 0, localEvalVisible: true });
  it('recovers the sign and rough size of a headroom exponent from runs where harder tasks need more EFC', () => {
    const rng = new Rng(11);
    const pts = Array.from({ length: 600 }, (_, i) => {
      const feat = f(`t${i % 3}`, [0.5, 1, 2][i % 3]);
      const efc = Math.exp(rng.next() * 5) - 1;
      // True model: success depends on ln(1+EFC) - 1.0 * ln(headroom).
      const p = sigmoid(2 * (Math.log1p(efc) - 1 * Math.log(feat.headroom) - 2));
      return { runId: `r${i}`, success: rng.next() < p, efc, features: feat };
    });
    const c = calibrateDemand(pts);
    expect(c.exponents.headroom).toBeGreaterThan(0.6);
    expect(c.exponents.headroom).toBeLessThan(1.4);
    expect(c.note).toMatch(/knobs/); // did not vary: kept at 1
  });
  it('keeps the defaults, and says why, when success never varies', () => {
    const c = calibrateDemand(Array.from({ length: 6 }, (_, i) => ({ runId: `r${i}`, success: true, efc: i, features: f('t', 1) })));
    expect(c.exponents).toEqual({ headroom: 1, knobs: 1, noise: 1, oracle: 1 });
    expect(c.note).toMatch(/too little variation/);
  });
});
