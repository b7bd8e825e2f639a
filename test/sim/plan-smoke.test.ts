import { test } from 'vitest';
import { planLevel } from '../../src/sim/plan/index.js';
import { loadProfile } from '../../src/sim/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';
test('smoke', () => {
  const trajs = loadTrajectories(['/work/main/trajectories/synthetic-v1.jsonl']).map((l) => l.trajectory);
  const tiers = [{ sloTokPerS: 20, ttftCeilingMs: 10000 }, { sloTokPerS: 60, ttftCeilingMs: 10000 }];
  for (const [prof, n, w] of [['small', 8, 60], ['small', 32, 60], ['small', 64, 60], ['h100-illustrative', 200, 120], ['h100-illustrative', 10000, 180]] as const) {
    const r = planLevel(loadProfile(prof), trajs, { concurrency: n, warmupS: 30, windowS: w, drainCapS: 30, toolTimeScale: 1, maxIdleGapMs: 10000, seed: 1, tiers });
    console.log(prof, n, JSON.stringify({ ...r, tiers: r.tiers.map((t) => [t.sloTokPerS, t.passRate, t.bindingConstraint, t.callFailures]) }));
  }
}, 300000);
