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
