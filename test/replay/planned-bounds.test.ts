/** Plan-then-verify: how the planner's bracket closes an HTTP bracket (src/replay/sweep.ts withPlannedBounds). */
import { describe, expect, it } from 'vitest';
import { withPlannedBounds, type SweepResult, type TierResult } from '../../src/replay/index.js';

const tier = (o: Partial<TierResult>): TierResult =>
  ({ sloTokPerS: 60, ttftCeilingMs: 10_000, nMax: 16, minFailing: null, resolved: false, bindingConstraint: 'decode', cliff: false, nonMonotone: false, passRateAtNMax: 1, passRateAtMinFailing: null, notes: [], agentsPerMW: null, agentsPerMWReason: null, power: null, powerChannels: [], ...o }) as TierResult;
const sweep = (t: TierResult): SweepResult =>
  ({ status: 'completed', valid: false, reasons: ['tier 60 tok/s: bracket not resolved'], thresholds: { callPassFraction: 0.9, agentPassFraction: 0.95 }, search: { resolution: 0.15 }, tiers: [t], levels: [] }) as unknown as SweepResult;
const plan = [{ sloTokPerS: 60, maxPassing: 16, minFailing: 18, source: 'virtual-time plan (SIMULATED)' }];

describe('withPlannedBounds', () => {
  it('no HTTP failure above N_max: the planned min failing closes the bracket, labelled', () => {
    const r = withPlannedBounds(sweep(tier({})), plan);
    expect(r.tiers[0]).toMatchObject({ nMax: 16, minFailing: 18, minFailingSource: 'virtual-time plan (SIMULATED)', resolved: true });
    expect(r.valid).toBe(true);
  });

  it('an HTTP failure far above: the tighter planned min failing closes it, and the HTTP failure is noted', () => {
    const r = withPlannedBounds(sweep(tier({ minFailing: 84 })), plan);
    expect(r.tiers[0]).toMatchObject({ minFailing: 18, resolved: true });
    expect(r.tiers[0].notes.join('\n')).toMatch(/the lowest level that failed over HTTP is 84/);
  });

  it('an HTTP failure below the planned one wins', () => {
    const r = withPlannedBounds(sweep(tier({ minFailing: 17, resolved: true })), plan);
    expect(r.tiers[0].minFailing).toBe(17);
    expect(r.tiers[0].minFailingSource).toBeUndefined();
  });
});
