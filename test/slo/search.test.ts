import { describe, expect, it } from 'vitest';
import { foldLevels, nextLevel, tierBracket, type LevelOutcome, type SearchOptions } from '../../src/slo/index.js';

const opts: SearchOptions = { startConcurrency: 1, growth: 2, maxConcurrency: 1024, resolution: 0.1, replicates: 1, maxLevels: 40 };

/** A fake endpoint: tier t passes at N iff N <= caps[t]; pass rate falls off linearly past the cap. */
function fakeLevel(n: number, caps: number[], valid = true): LevelOutcome {
  return { concurrency: n, valid, pass: caps.map((c) => n <= c), passRates: caps.map((c) => (n <= c ? 1 : Math.max(0, 1 - (n - c) / c))) };
}

function search(caps: number[], o: SearchOptions = opts, level = fakeLevel): LevelOutcome[] {
  const out: LevelOutcome[] = [];
  for (let c = nextLevel(out, caps.length, o); c !== null; c = nextLevel(out, caps.length, o)) out.push(level(c, caps));
  return out;
}

describe('sweep search', () => {
  it.each([
    [[12, 50]],
    [[3, 200]],
    [[1, 7]],
    [[700, 701]],
    [[37, 37]],
  ])('finds every tier N_max %j within the resolution in few levels, from the same levels', (caps) => {
    const runs = search(caps);
    const folded = foldLevels(runs, caps.length);
    caps.forEach((cap, t) => {
      const b = tierBracket(folded, t, opts);
      expect(b.resolved).toBe(true);
      expect(b.maxPassing!).toBeLessThanOrEqual(cap);
      expect(b.minFailing!).toBeGreaterThan(cap);
      expect(b.minFailing! - b.maxPassing!).toBeLessThanOrEqual(Math.max(1, Math.ceil(0.1 * b.maxPassing!)));
      expect(b.nonMonotone).toBe(false);
    });
    expect(runs.length).toBeLessThanOrEqual(24);
    // The boundary level of each tier was replicated.
    for (const t of caps.keys()) {
      const b = tierBracket(folded, t, opts);
      if (b.maxPassing) expect(runs.filter((r) => r.concurrency === b.maxPassing).length).toBe(2);
    }
  });

  it('goes below the start level and reports 0 when a tier fails at 1', () => {
    const o = { ...opts, startConcurrency: 8, replicates: 0 };
    const runs = search([0, 3], o);
    const folded = foldLevels(runs, 2);
    expect(tierBracket(folded, 0, o)).toMatchObject({ maxPassing: 0, minFailing: 1, resolved: true });
    expect(tierBracket(folded, 1, o)).toMatchObject({ maxPassing: 3, minFailing: 4 });
  });

  it('stops at the cap when a tier never fails, and says so', () => {
    const o = { ...opts, maxConcurrency: 16, replicates: 0 };
    const runs = search([5, 1000], o);
    const b = tierBracket(foldLevels(runs, 2), 1, o);
    expect(b.minFailing).toBeNull();
    expect(b.maxPassing).toBe(16);
    expect(b.resolved).toBe(true);
    expect(b.notes.join()).toMatch(/cap/);
  });

  it('flags a cliff (>=95% to far below in one step) and a non-monotone level', () => {
    const cliff = (n: number): LevelOutcome => ({ concurrency: n, valid: true, pass: [n <= 10], passRates: [n <= 10 ? 1 : 0.1] });
    const o = { ...opts, replicates: 0 };
    const b = tierBracket(foldLevels(search([10], o, cliff), 1), 0, o);
    expect(b.cliff).toBe(true);
    const gentle = tierBracket(foldLevels(search([10], o), 1), 0, o);
    expect(gentle.cliff).toBe(false);
    const nm = foldLevels([fakeLevel(4, [100]), { concurrency: 8, valid: true, pass: [false], passRates: [0.5] }, fakeLevel(16, [100])], 1);
    const bn = tierBracket(nm, 0, o);
    expect(bn.nonMonotone).toBe(true);
    expect(bn.maxPassing).toBe(4);
    expect(bn.minFailing).toBe(8);
  });

  it('an invalid level never counts as passing, and a failed replicate moves the bracket down', () => {
    const runs = [fakeLevel(4, [100]), fakeLevel(8, [100], false)];
    const f = foldLevels(runs, 1);
    expect(f[1].pass[0]).toBe(false);
    const b = tierBracket(f, 0, opts);
    expect(b.minFailing).toBe(8);
    expect(b.notes.join()).toMatch(/invalid/);
    const rep = foldLevels([fakeLevel(10, [20]), { ...fakeLevel(10, [20]), pass: [false], passRates: [0.9] }], 1);
    expect(rep[0].pass[0]).toBe(false);
    expect(rep[0].unstable).toBe(true);
  });

  it('respects maxLevels', () => {
    expect(search([500, 900], { ...opts, maxLevels: 5 })).toHaveLength(5);
  });
});
