/** loop confirm's positive host-clock evidence for a speedup beyond the bound (pure; synthetic pairs). */
import { describe, expect, it } from 'vitest';
import { hostClockEvidence, pairedStats, summarizeMeasurement } from '../../src/loop/index.js';

const task = { metric: 'runtime_ms', direction: 'lower' as const };
function pairs(claimedCand: number[], base: number[], candHost: number[], baseHost: number[]) {
  const cand = summarizeMeasurement(claimedCand, 1);
  return { cand, paired: pairedStats(claimedCand, base, candHost, baseHost, 'lower', 1) };
}

describe('hostClockEvidence', () => {
  it('an honest 20x kernel: the host clock sees the saving (null)', () => {
    const { cand, paired } = pairs([10, 11, 9, 10, 10, 12], [200, 210, 190, 205, 198, 202], [40, 45, 38, 60, 41, 42], [232, 240, 221, 236, 229, 230]);
    expect(hostClockEvidence(task, cand, paired)).toBeNull();
  });

  it('an honest kernel with one stalled pair (the machine was busy once): still confirmed', () => {
    const { cand, paired } = pairs([10, 11, 9, 80, 10, 12], [200, 210, 190, 205, 198, 202], [40, 45, 38, 250, 41, 42], [232, 240, 221, 236, 229, 230]);
    expect(hostClockEvidence(task, cand, paired)).toBeNull();
  });

  it('a forged value file on a noisy machine: the saving is not seen, whatever the noise lets through', () => {
    // Claimed 0.001 ms against ~120 ms; the host runs the same work (+- 150 ms of load noise): no
    // disproof at this noise, and no proof either.
    const { cand, paired } = pairs([0.001, 0.001, 0.001, 0.001, 0.001, 0.001], [120, 118, 125, 119, 121, 122], [300, 150, 420, 160, 280, 190], [310, 330, 170, 400, 160, 290]);
    expect(hostClockEvidence(task, cand, paired)).toMatch(/host clock does not confirm/);
  });

  it('a metric the host clock cannot check, or too few pairs: never confirmed by re-measurement', () => {
    const { cand, paired } = pairs([10, 11, 9], [200, 210, 190], [40, 45, 38], [232, 240, 221]);
    expect(hostClockEvidence({ metric: 'rows_per_s', direction: 'higher' }, cand, paired)).toMatch(/person must check/);
    const two = pairs([10, 11], [200, 210], [40, 45], [232, 240]);
    expect(hostClockEvidence(task, two.cand, two.paired)).toMatch(/fewer than 3/);
  });
});
