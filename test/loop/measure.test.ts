import { describe, expect, it } from 'vitest';
import { bootstrapMedianCi, fastP, isImprovement, parseMeasureLine, score, summarizeMeasurement } from '../../src/loop/index.js';

describe('measurement statistics', () => {
  it('bootstrap CI of the median is seeded and brackets the median', () => {
    const v = [10, 11, 9.5, 10.2, 10.8, 12, 9.9];
    expect(bootstrapMedianCi(v, 7)).toEqual(bootstrapMedianCi(v, 7));
    const s = summarizeMeasurement(v, 7);
    expect(s.ciLow).toBeLessThanOrEqual(s.median);
    expect(s.ciHigh).toBeGreaterThanOrEqual(s.median);
    expect(s.mean).toBeCloseTo(10.4857, 3);
    expect(s.median).toBe(10.2);
    // A real interval: not collapsed onto the median, and inside the data's range.
    expect(s.ciHigh - s.ciLow).toBeGreaterThan(0);
    expect(s.ciLow).toBeGreaterThanOrEqual(9.5);
    expect(s.ciHigh).toBeLessThanOrEqual(12);
  });

  it('counts an improvement only when the CIs do not overlap', () => {
    const base = { ciLow: 9, ciHigh: 11 };
    expect(isImprovement({ ciLow: 7, ciHigh: 8.9 }, base, 'lower')).toBe(true);
    expect(isImprovement({ ciLow: 7, ciHigh: 9.1 }, base, 'lower')).toBe(false);
    expect(isImprovement({ ciLow: 11.5, ciHigh: 12 }, base, 'higher')).toBe(true);
  });

  it('AutoLab anchored reward, RE-Bench normalized score, review flag', () => {
    const a = { direction: 'lower' as const, scoring: 'log-speedup' as const, baselineMeasured: 100, baselineToml: 80, referenceToml: 20 };
    const ref = score(25, a); // speedup 4 = the reference speedup
    expect(ref.speedup).toBe(4);
    expect(ref.reward).toBeCloseTo(0.5, 10);
    expect(ref.normalized).toBeCloseTo(1, 10);
    expect(score(100, a).reward).toBe(0); // must beat the baseline
    expect(score(120, a).normalized).toBeLessThan(0);
    expect(score(6.25, a).reward).toBe(1); // speedup 16 = ref^2
    expect(score(9, a).review).toBe(true);
    const lin = score(0.8, { direction: 'higher', scoring: 'linear', baselineMeasured: 0.5, baselineToml: 0.5, referenceToml: 0.9 });
    expect(lin.normalized).toBeCloseTo(0.75, 10);
    expect(lin.reward).toBeCloseTo(0.75, 10);
  });

  it('fast_p and the measure line', () => {
    expect(fastP([{ correct: true, speedup: 2 }, { correct: false, speedup: 3 }, { correct: true, speedup: 0.9 }, { correct: true, speedup: null }], 1)).toBe(0.25);
    expect(parseMeasureLine('noise\n{"value": 12.5}\n')).toBe(12.5);
    expect(parseMeasureLine('{"value": "x"}')).toBeNull();
    expect(parseMeasureLine('')).toBeNull();
  });
});
