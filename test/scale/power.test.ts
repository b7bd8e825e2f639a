/** Power of a merged level: one measurement per channel, never summed across shards; agents/MW only where the level passes. */
import { describe, expect, it } from 'vitest';
import { mergedPower } from '../../src/scale/index.js';
import type { WindowPower } from '../../src/power/index.js';

const window = (o: Partial<WindowPower> = {}): WindowPower => ({
  source: 'dcgm-exporter',
  field: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
  boundary: '8 GPU boards',
  comparabilityClass: 'gpu-board',
  simulated: false,
  startNs: '0',
  endNs: '60000000000',
  meanW: 5000,
  energyJ: 300_000,
  samples: 60,
  coverage: 1,
  largestGapMs: 1000,
  method: 'counter',
  flags: [],
  ...o,
});

describe('mergedPower', () => {
  const tiers = [
    { sloTokPerS: 20, pass: true },
    { sloTokPerS: 60, pass: false },
  ];

  it('takes the lowest shard of a channel that several shards report, and does not sum them', () => {
    const ch = mergedPower([{ index: 1, power: [window({ meanW: 5100 })] }, { index: 0, power: [window()] }, { index: 2, power: [] }], 400, tiers);
    expect(ch).toHaveLength(1);
    expect(ch[0]).toMatchObject({ shard: 0, alsoReportedBy: [1] });
    expect(ch[0].window.meanW).toBe(5000);
    // 400 agents / 0.005 MW
    expect(ch[0].tiers[0].agentsPerMW.value).toBeCloseTo(80_000, 6);
    expect(ch[0].tiers[0].agentsPerMW.label).toBe('measured');
    expect(ch[0].tiers[1].agentsPerMW.value).toBeNull();
    expect(ch[0].tiers[1].agentsPerMW.reason).toMatch(/fails this tier at 400 agents/);
  });

  it('lists different channels side by side, and gives no figure for too-sparse data', () => {
    const node = window({ source: 'ipmi', field: undefined, boundary: 'node at the wall', comparabilityClass: 'node-ac', meanW: 8000, tooSparse: true, flags: ['3 samples'] });
    const ch = mergedPower([{ index: 0, power: [window(), node] }], 400, tiers);
    expect(ch.map((c) => c.window.source)).toEqual(['dcgm-exporter', 'ipmi']);
    expect(ch[1].tiers[0].agentsPerMW.value).toBeNull();
    expect(ch[1].tiers[0].agentsPerMW.reason).toMatch(/too sparse/);
  });

  it('is empty when no shard measured power', () => {
    expect(mergedPower([{ index: 0, power: [] }, { index: 1, power: [] }], 10, tiers)).toEqual([]);
  });
});
