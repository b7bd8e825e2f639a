import { describe, expect, it } from 'vitest';
import {
  AgentdynoError, ManualClock, Rng, errorMessage, isAgentdynoError, mean, median, newRunId, percentile, percentileSorted, stddev, summarize,
} from '../../src/core/index.js';

// Expected values computed by hand with numpy's default (linear) rule: idx = p/100 * (n-1).
describe('stats', () => {
  const v = [7, 1, 3, 10, 4]; // sorted: 1 3 4 7 10
  it('percentile interpolates linearly between order statistics and ignores input order', () => {
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(10);
    expect(percentile(v, 50)).toBe(4);
    expect(percentile(v, 90)).toBeCloseTo(8.8, 12); // idx 3.6: 7 + 0.6 * 3
    expect(percentile(v, 10)).toBeCloseTo(1.8, 12); // idx 0.4: 1 + 0.4 * 2
    expect(percentileSorted([1, 3, 4, 7, 10], 75)).toBe(7);
    expect(v).toEqual([7, 1, 3, 10, 4]); // input not sorted in place
  });
  it('median of an even count is the midpoint; empty input gives NaN, not 0', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(mean([])).toBeNaN();
    expect(percentile([], 50)).toBeNaN();
  });
  it('mean and sample (n-1) standard deviation', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(stddev([3])).toBe(0);
  });
  it('summarize', () => {
    expect(summarize(v)).toEqual({ n: 5, mean: 5, p50: 4, p90: percentile(v, 90), p99: percentile(v, 99), min: 1, max: 10 });
    expect(summarize([]).n).toBe(0);
    expect(summarize([]).min).toBeNaN();
  });
});

describe('Rng', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(new Rng(43).next()).not.toBe(xs[0]);
    expect(new Set(xs).size).toBe(20);
  });
  it('next in [0,1); int covers [lo,hi] inclusive and nothing else', () => {
    const r = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      seen.add(r.int(3, 6));
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
  it('normal has mean ~0 and sd ~1; exponential has the given mean', () => {
    const r = new Rng(9);
    const n = Array.from({ length: 20_000 }, () => r.normal());
    expect(Math.abs(mean(n))).toBeLessThan(0.05);
    expect(Math.abs(stddev(n) - 1)).toBeLessThan(0.05);
    const e = Array.from({ length: 20_000 }, () => r.exponential(3));
    expect(Math.abs(mean(e) - 3)).toBeLessThan(0.15);
    const ln = Array.from({ length: 20_001 }, () => r.logNormal(50, 0.5));
    expect(Math.abs(median(ln) - 50)).toBeLessThan(2);
  });
  it('fork gives an independent, reproducible stream', () => {
    const f1 = new Rng(5).fork();
    const f2 = new Rng(5).fork();
    expect(f1.next()).toBe(f2.next());
    expect(new Rng(5).fork().next()).not.toBe(new Rng(5).next());
  });
});

describe('ManualClock', () => {
  it('moves only when told, in ns and ms', () => {
    const c = new ManualClock(1.5);
    expect(c.nowNs()).toBe(1_500_000n);
    c.advanceMs(2.25);
    expect(c.nowMs()).toBe(3.75);
    c.setMs(10);
    expect(c.nowNs()).toBe(10_000_000n);
  });
});

describe('AgentdynoError', () => {
  it('says what, where and what to do in one paragraph, exit code 2 by default', () => {
    const e = new AgentdynoError('bad value', { code: 'E_INPUT_INVALID', where: 'a.yaml:3', hint: 'Use a number.' });
    expect(e.message).toBe('a.yaml:3: bad value. Use a number.');
    expect(e.exitCode).toBe(2);
    expect(isAgentdynoError(e)).toBe(true);
    expect(isAgentdynoError(new Error('x'))).toBe(false);
    expect(new AgentdynoError('done?', { code: 'E_USAGE', hint: 'x' }).message).toBe('done? x');
    expect(new AgentdynoError('plain', { code: 'E_ENDPOINT_PROTOCOL' }).exitCode).toBe(3);
    expect(errorMessage('s')).toBe('s');
  });
  it('run ids sort by time', () => {
    const a = newRunId('loop', new Date(Date.UTC(2025, 0, 2, 3, 4, 5)));
    expect(a).toMatch(/^loop-20250102-030405-[0-9a-f]{4}$/);
    expect(newRunId('loop', new Date(Date.UTC(2025, 0, 2, 3, 4, 6))) > a).toBe(true);
  });
});
