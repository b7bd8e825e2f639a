/** planSweep: the replay sweep search over virtual-time levels lands near the analytic capacity. */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/sim/index.js';
import { analyticCapacity, formatPlan, formatPlanLevel, planSweep } from '../../src/plan/index.js';
import { bundledTrajectories, DEFAULT_TIERS } from '../sim/helpers.js';

const trajectories = bundledTrajectories();
const profile = loadProfile('small');
const tiers = DEFAULT_TIERS;
const search = { startConcurrency: 4, growth: 2, maxConcurrency: 512, resolution: 0.1, replicates: 0, maxLevels: 16 };

describe('planSweep (SIMULATED, virtual time)', () => {
  const seen: number[] = [];
  const r = planSweep(profile, trajectories, { warmupS: 20, windowS: 60, drainCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 1, tiers, search, onLevel: (l) => seen.push(l.concurrency) });

  it('finds per tier a resolved bracket inside the analytically predicted range', () => {
    expect(r.label).toMatch(/SIMULATED/);
    expect(seen).toEqual(r.levels.map((l) => l.concurrency));
    expect(r.levels.slice(0, 4).map((l) => l.concurrency)).toEqual([4, 8, 16, 32]); // geometric growth first
    for (const t of r.tiers) {
      const predicted = analyticCapacity(profile, trajectories, t.sloTokPerS, { maxIdleGapMs: 10_000 }).agents;
      expect(t.resolved, JSON.stringify(t)).toBe(true);
      expect(t.maxPassing).not.toBeNull();
      expect(t.minFailing).not.toBeNull();
      expect(t.minFailing!).toBeGreaterThan(t.maxPassing!);
      expect(t.minFailing! - t.maxPassing!).toBeLessThanOrEqual(Math.max(1, Math.ceil(search.resolution * t.maxPassing!)));
      // Same tolerance as the real-sweep integration test: fluctuating batches and prefill put the
      // boundary below the mean-batch estimate.
      expect(t.maxPassing!).toBeGreaterThanOrEqual(Math.floor(predicted * 0.3));
      expect(t.maxPassing!).toBeLessThanOrEqual(Math.ceil(predicted * 1.3));
      expect(t.bindingConstraint).toBe('decode');
      expect(t.agentsPerMW).toBeCloseTo(t.maxPassing! / (t.meanW! / 1e6), 6);
    }
    expect(r.tiers[1].maxPassing!).toBeLessThan(r.tiers[0].maxPassing!); // the faster tier fails first
    // Levels at or below max passing pass, levels at or above min failing fail (monotone here).
    for (const [i, t] of r.tiers.entries())
      for (const l of r.levels) {
        if (l.concurrency <= t.maxPassing!) expect(l.tiers[i].pass).toBe(true);
        if (l.concurrency >= t.minFailing!) expect(l.tiers[i].pass).toBe(false);
      }
  });

  it('formats a report with every figure labelled simulated', () => {
    const text = formatPlan(r);
    expect(text).toMatch(/VIRTUAL TIME, SIMULATED/);
    expect(text).toMatch(/agents\/MW \(SIMULATED power/);
    expect(text).toMatch(new RegExp(`\\[${r.tiers[0].maxPassing}, ${r.tiers[0].minFailing}\\]`));
    expect(text).toMatch(/not a measurement/);
    expect(formatPlanLevel(r.levels[0], 0)).toMatch(/level 1: 4 agents .*SIMULATED/);
    expect(r.settings).toMatchObject({ warmupS: 20, windowS: 60, trajectories: trajectories.length, kvBlockTokens: 32 });
  });
});
