import { describe, expect, it } from 'vitest';
import { renderRunDetail } from '../../src/ui/index.js';
import type { RunRecord } from '../../src/store/index.js';

function loopRun(curve: { iteration: number; tokensUsed: number; wallMs: number; bestNormalized: number }[]): RunRecord {
  return {
    id: 'loop-1', kind: 'loop', status: 'completed', startedAt: '2026-11-23T12:00:00.000Z', endedAt: null,
    config: {}, agentdynoVersion: '0.1.0', gitSha: null, host: null, target: null, clockAnchor: null,
    result: {
      task: 'kernel/x', agent: 'search:grid', sandbox: 'bwrap', success: true, normalizedScore: 0.5716, reward: 0.2858,
      baseline: { measured: { median: 59.41 } }, bestValue: 18.49, iterations: 3, stopReason: 'agent',
      stoppedEarly: false, noProgressBurn: false, curve,
    },
  };
}

describe('results show for a loop run', () => {
  it('prints the outcome and charts best score against wall time when no tokens were spent', () => {
    const out = renderRunDetail(loopRun([
      { iteration: 1, tokensUsed: 0, wallMs: 1000, bestNormalized: 0 },
      { iteration: 2, tokensUsed: 0, wallMs: 3000, bestNormalized: 0.57 },
    ]));
    expect(out).toContain('normalized score  0.572');
    expect(out).toContain('59.410 / 18.490');
    expect(out).toContain('best normalized score vs wall seconds');
  });

  it('charts against tokens when the agent spent tokens', () => {
    const out = renderRunDetail(loopRun([
      { iteration: 1, tokensUsed: 1200, wallMs: 1000, bestNormalized: 0.1 },
      { iteration: 2, tokensUsed: 5000, wallMs: 3000, bestNormalized: 0.4 },
    ]));
    expect(out).toContain('best normalized score vs tokens spent');
  });
});

describe('results show for a sweep run', () => {
  const point = (level: number, tier: number, passRate: number) => ({
    runId: 's-1', level, tierTokPerS: tier, ttftCeilingMs: 10_000, passRate, agentsPassing: Math.round(level * passRate), agentsActive: level,
    outputTokPerS: level * 20, meanPowerW: 100 + level, valid: true, reasons: [],
  });
  const run = (tiers: unknown[]): RunRecord => ({
    id: 's-1', kind: 'sweep', status: 'completed', startedAt: '2026-11-23T12:00:00.000Z', endedAt: null,
    config: {}, agentdynoVersion: '0.1.0', gitSha: null, host: null, target: null, clockAnchor: null,
    result: { tiers },
  });
  const pts = [point(6, 20, 1), point(12, 20, 0), point(6, 60, 0)] as never[];

  it('prints each tier\'s bracket and agents/MW with its power boundary, and says why agents/MW is missing', () => {
    const out = renderRunDetail(
      run([
        { sloTokPerS: 20, nMax: 6, minFailing: 12, bindingConstraint: 'decode', cliff: true, agentsPerMW: 56_603.8, power: { meanW: 106, idleW: 60, boundary: 'node at the wall', source: 'ipmi', comparabilityClass: 'node-ac', simulated: false } },
        { sloTokPerS: 60, nMax: null, minFailing: 6, bindingConstraint: 'ttft', agentsPerMW: null, agentsPerMWReason: 'no level passed' },
      ]),
      { sweepPoints: pts },
    );
    expect(out).toContain('bracket [max pass, min fail] [6, 12], binding decode, CLIFF');
    expect(out).toMatch(/56,604 agents\/MW at N=6: mean 106 W \(idle 60 W, not subtracted\); boundary node at the wall; source ipmi; class node-ac/);
    expect(out).not.toContain('SIMULATED');
    expect(out).toContain('bracket [max pass, min fail] [-, 6], binding ttft');
    expect(out).toContain('agents/MW: n/a (no level passed)');
  });
});
