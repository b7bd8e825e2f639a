/** sim fit: nnls, and a round trip (rows simulated from known coefficients -> fit -> same step times). */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadProfile, validateProfile, type SimProfile } from '../../src/sim/index.js';
import { fitStepTime, fittedProfileYaml, levelLoads, nnls, planLevel, type PlanRequestRow, type StepTimeFit } from '../../src/plan/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';

const ROOT = resolve(__dirname, '../..');
const trajectories = loadTrajectories([resolve(ROOT, 'trajectories/synthetic-v1.jsonl')]).map((l) => l.trajectory);
const small = loadProfile('small');
const LEVELS = [2, 4, 8, 16, 32];

function simulatedRows(profile: SimProfile): PlanRequestRow[] {
  const rows: PlanRequestRow[] = [];
  for (const n of LEVELS)
    rows.push(...planLevel(profile, trajectories, { concurrency: n, warmupS: 20, windowS: 60, drainCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 1, tiers: [{ sloTokPerS: 20, ttftCeilingMs: 10_000 }], keepRequests: true }).requests!);
  return rows;
}

/** Decode step time the model gives at a level's estimated load. */
const decodeStepAt = (k: { a: number; b: number; c: number; d: number }, l: StepTimeFit['levels'][number]) => k.a + k.b * l.batch + k.c * l.batch * l.ctxTokens + k.d * l.prefillTokPerMs * (l.meanDecodeStepMs ?? 0);

describe('nnls', () => {
  it('recovers exact non-negative coefficients of a consistent system', () => {
    const w = [2, 0.5, 3];
    const X = Array.from({ length: 12 }, (_, i) => [1, i, (i * i) % 7]);
    const y = X.map((r) => r.reduce((s, v, j) => s + v * w[j], 0));
    const out = nnls(X, y);
    out.w.forEach((v, j) => expect(v).toBeCloseTo(w[j], 9));
    expect(out.clamped).toEqual([]);
  });

  it('clamps a coefficient the unconstrained fit would make negative, and refits the rest', () => {
    // y = 1 + 2x exactly; the third column only adds noise-fitting freedom that wants a negative weight.
    const X = [
      [1, 0, 0],
      [1, 1, 1],
      [1, 2, 0],
      [1, 3, 1],
      [1, 4, 0],
    ];
    const y = [1, 2.6, 5, 6.6, 9]; // odd rows 0.4 low: the third coefficient would be -0.4
    const out = nnls(X, y);
    expect(out.clamped).toEqual([2]);
    expect(out.w[2]).toBe(0);
    expect(out.w[0]).toBeGreaterThan(0);
    expect(out.w[1]).toBeGreaterThan(1.7);
    expect(out.w[1]).toBeLessThan(2.1);
  });

  it('handles columns of very different scales (c is ~1e-6 of a)', () => {
    const w = [9, 0.2, 1e-5];
    const X = Array.from({ length: 20 }, (_, i) => [1, 1 + (i % 5), (1 + (i % 5)) * (20_000 + 3000 * i)]);
    const y = X.map((r) => r.reduce((s, v, j) => s + v * w[j], 0));
    const out = nnls(X, y);
    expect(out.w[0]).toBeCloseTo(9, 6);
    expect(out.w[1]).toBeCloseTo(0.2, 6);
    expect(out.w[2] / 1e-5).toBeCloseTo(1, 6);
  });
});

describe('fitStepTime round trip (rows from the virtual-time planner)', () => {
  const rows = simulatedRows(small);
  const fit = fitStepTime(rows, small.scheduler);

  it('estimates one load per level, rising with concurrency', () => {
    const loads = levelLoads(rows);
    expect(loads.map((l) => l.level)).toEqual(LEVELS);
    for (let i = 1; i < loads.length; i++) expect(loads[i].batch).toBeGreaterThan(loads[i - 1].batch);
    expect(loads[0].batch).toBeGreaterThan(0.5);
    expect(loads[0].ctxTokens).toBeGreaterThan(10_000);
  });

  it('reproduces the measured decode step time at every level within 10%, and the true model within 15%', () => {
    expect(fit.rows.decode).toBeGreaterThan(200);
    for (const l of fit.levels) {
      expect(Math.abs(decodeStepAt(fit.coefficients, l) / l.meanDecodeStepMs! - 1), `level ${l.level}`).toBeLessThan(0.1);
      // The loads are estimated from the rows (decoding sequences only), so the true model at the
      // estimated loads is itself a few % off the measured steps.
      expect(Math.abs(decodeStepAt(fit.coefficients, l) / decodeStepAt(small.stepTimeMs, l) - 1), `level ${l.level}`).toBeLessThan(0.15);
    }
    // The fixed cost a is identifiable on its own (batch -> 1): within 15%.
    expect(Math.abs(fit.coefficients.a / small.stepTimeMs.a - 1)).toBeLessThan(0.15);
    expect(fit.r2.decode!).toBeGreaterThan(0.8);
    expect(fit.residuals.decodeMedianAbs!).toBeLessThan(0.1);
    for (const k of ['a', 'b', 'c', 'd'] as const) expect(fit.coefficients[k]).toBeGreaterThanOrEqual(0);
  });

  it('round trip: the fitted profile, planned again, gives the original step times within 10%', () => {
    const fitted = validateProfile(fittedProfileYaml(small, fit, 'rt', new Date()));
    for (const n of [8, 32]) {
      const o = { concurrency: n, warmupS: 20, windowS: 60, drainCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 2, tiers: [{ sloTokPerS: 20, ttftCeilingMs: 10_000 }] };
      const orig = planLevel(small, trajectories, o);
      const again = planLevel(fitted, trajectories, o);
      expect(Math.abs(again.meanStepMs! / orig.meanStepMs! - 1), `level ${n}`).toBeLessThan(0.1);
    }
  });

  it('tells profiles apart: doubling the fixed cost a doubles the fitted a', () => {
    const slow = { ...small, name: 'slow', stepTimeMs: { ...small.stepTimeMs, a: 18 } };
    const f2 = fitStepTime(simulatedRows(slow), slow.scheduler);
    expect(Math.abs(f2.coefficients.a / 18 - 1)).toBeLessThan(0.15);
    expect(f2.coefficients.a - fit.coefficients.a).toBeGreaterThan(6);
  });

  it('writes a profile that validates, labelled fitted with run id, date, residual and clamps', () => {
    const doc = fittedProfileYaml(small, fit, 'sweep-test-1', new Date('2026-11-23T12:00:00Z'));
    const p = validateProfile(doc);
    expect(p.name).toBe('fitted-sweep-test-1');
    expect(p.illustrative).toBe(true);
    expect(p.source).toMatch(/fitted from run sweep-test-1 on 2026-11-23/);
    expect(p.source).toMatch(/R\^2 decode \d\.\d{3}, TTFT .*median \|relative residual\| decode \d+\.\d%.*clamped to 0: /);
    expect(p.source).toMatch(/Illustrative, not a measurement/);
    expect(p.scheduler).toEqual(small.scheduler);
    expect(p.stepTimeMs.a).toBeCloseTo(fit.coefficients.a, 2);
  });

  it('counts calls cut at the level end (no usage) and warm-ups for occupancy, not for context or targets', () => {
    const l8 = levelLoads(rows).find((l) => l.level === 8)!;
    const win = rows.filter((r) => r.level === 8 && r.inWindow);
    const t0 = win.reduce((m, r) => (r.tSendNs < m ? r.tSendNs : m), win[0].tSendNs);
    const t1 = win.reduce((m, r) => (r.tSendNs > m ? r.tSendNs : m), win[0].tSendNs);
    // Two calls decoding through the whole window, cut at the end without usage.
    const cut = [0, 1].map(() => ({ ...win[0], status: 'cut', errorClass: 'aborted', promptTokens: null, outputTokens: null, cachedTokens: null, decodeTokPerS: null, ttftMs: null, inWindow: false, tSendNs: t0 - 2_000_000_000n, tFirstNs: t0 - 1_000_000_000n, tLastNs: t1 + 1_000_000_000n }));
    const more = levelLoads([...rows, ...cut] as never).find((l) => l.level === 8)!;
    expect(more.batch - l8.batch).toBeCloseTo(2, 6);
    expect(more.ctxTokens).toBeCloseTo(l8.ctxTokens, 6);
    expect(more.meanDecodeStepMs).toBeCloseTo(l8.meanDecodeStepMs!, 6);
  });

  it('refuses rows it cannot fit', () => {
    expect(() => fitStepTime(rows.slice(0, 2), small.scheduler)).toThrow(RangeError);
    expect(() => fitStepTime(rows.map((r) => ({ ...r, status: 'error' })), small.scheduler)).toThrow(/usable request rows/);
  });
});
