import { describe, expect, it } from 'vitest';
import { agentsPerMW, combineWindows, compareRuns, comparabilityRefusal, type WindowPower } from '../../src/power/index.js';

function win(over: Partial<WindowPower>): WindowPower {
  return {
    source: 'x',
    boundary: 'b',
    comparabilityClass: 'gpu-board',
    simulated: false,
    startNs: '0',
    endNs: '60000000000',
    meanW: 1000,
    energyJ: 60_000,
    samples: 600,
    coverage: 1,
    largestGapMs: 100,
    method: 'trapezoid',
    flags: [],
    host: 'local',
    ...over,
  };
}

describe('combineWindows', () => {
  it('sums disjoint boundaries: GPU boards + CPU packages of one host, nodes of two hosts', () => {
    const s = combineWindows([
      win({ source: 'nvidia-smi', boundaryKind: 'gpu-board', devices: ['GPU-a'], meanW: 5600, energyJ: 336_000 }),
      win({ source: 'rapl', boundaryKind: 'cpu-package', comparabilityClass: 'cpu-package', devices: ['intel-rapl:0'], meanW: 400, energyJ: 24_000, method: 'counter' }),
    ]);
    expect(s.meanW).toBe(6000);
    expect(s.energyJ).toBe(360_000);
    expect(s.comparabilityClass).toBe('sum:cpu-package+gpu-board');
    const n = combineWindows([
      win({ source: 'ipmi', boundaryKind: 'node', comparabilityClass: 'node-dc', host: 'node07' }),
      win({ source: 'ipmi', boundaryKind: 'node', comparabilityClass: 'node-dc', host: 'node08' }),
    ]);
    expect(n.meanW).toBe(2000);
    expect(n.comparabilityClass).toBe('node-dc');
  });

  it('refuses RAPL package + the same node from IPMI (overlap)', () => {
    expect(() =>
      combineWindows([
        win({ source: 'rapl', boundaryKind: 'cpu-package', comparabilityClass: 'cpu-package', devices: ['intel-rapl:0'] }),
        win({ source: 'ipmi', boundaryKind: 'node', comparabilityClass: 'node-dc' }),
      ]),
    ).toThrow(/overlapping boundaries.*node boundary already contains the cpu-package/);
  });

  it('refuses the same GPU twice, nameplate + measured, simulated + measured, undeclared boundaries', () => {
    expect(() => combineWindows([win({ boundaryKind: 'gpu-board', devices: ['GPU-a', 'GPU-b'] }), win({ boundaryKind: 'gpu-board', devices: ['GPU-b'] })])).toThrow(/both include GPU-b/);
    expect(() => combineWindows([win({ boundaryKind: 'provisioned', comparabilityClass: 'provisioned', host: 'declared' }), win({ boundaryKind: 'gpu-board', devices: ['a'] })])).toThrow(/provisioned/);
    expect(() => combineWindows([win({ boundaryKind: 'simulated', simulated: true, comparabilityClass: 'simulated' }), win({ boundaryKind: 'gpu-board', devices: ['a'] })])).toThrow(/simulated/);
    expect(() => combineWindows([win({ boundaryKind: 'user' }), win({ boundaryKind: 'gpu-board', devices: ['a'] })])).toThrow(/undeclared/);
  });
});

describe('agentsPerMW', () => {
  it('returns the figure with full metadata, idle beside (not subtracted)', () => {
    const r = agentsPerMW(64, win({ meanW: 6400, boundary: '8x GPU board', field: 'power.draw.instant', statedAccuracy: '+/-5 W' }), { idle: win({ meanW: 900 }) });
    expect(r.value).toBeCloseTo(10_000, 9);
    expect(r.idleW).toBe(900);
    expect(r).toMatchObject({ label: 'measured', comparabilityClass: 'gpu-board', boundary: '8x GPU board', field: 'power.draw.instant', samples: 600, coverage: 1 });
  });

  it('null with a reason when the data are too sparse', () => {
    const r = agentsPerMW(64, win({ tooSparse: true, flags: ['too sparse: 3 reading(s) in the window, need >= 10'] }));
    expect(r.value).toBeNull();
    expect(r.reason).toMatch(/too sparse/);
  });

  it('labels simulated and provisioned figures', () => {
    expect(agentsPerMW(8, win({ simulated: true, comparabilityClass: 'simulated' })).label).toBe('simulated');
    expect(agentsPerMW(8, win({ comparabilityClass: 'provisioned' })).label).toBe('provisioned');
  });
});

describe('comparability', () => {
  it('refuses cross-class and simulated-vs-measured ratios', () => {
    expect(comparabilityRefusal({ comparabilityClass: 'gpu-board' }, { comparabilityClass: 'node-dc' })).toMatch(/different power boundaries/);
    expect(comparabilityRefusal({ comparabilityClass: 'simulated' }, { comparabilityClass: 'gpu-board' })).toMatch(/simulated/);
    expect(comparabilityRefusal({ comparabilityClass: 'node-dc' }, { comparabilityClass: 'node-dc' })).toBeNull();
  });

  it('compareRuns gives a ratio only within a class', () => {
    const run = (cls: string, v: number | null, sim = false) => ({
      tiers: [
        { name: '20 tok/s', agentsPerMW: v, power: { comparabilityClass: cls, simulated: sim } },
        { name: '60 tok/s', agentsPerMW: { value: v === null ? null : v / 2, reason: v === null ? 'no passing level' : undefined }, power: { comparabilityClass: cls, simulated: sim } },
      ],
    });
    const same = compareRuns({ id: 'A', result: run('node-dc', 3000) }, { id: 'B', result: run('node-dc', 1500) });
    expect(same.rows.map((r) => r.ratio)).toEqual([2, 2]);
    const cross = compareRuns({ id: 'A', result: run('gpu-board', 3000) }, { id: 'B', result: run('node-dc', 1500) });
    expect(cross.rows.every((r) => r.ratio === null && /different power boundaries/.test(r.refused ?? ''))).toBe(true);
    const sim = compareRuns({ id: 'A', result: run('simulated', 3000, true) }, { id: 'B', result: run('gpu-board', 1500) });
    expect(sim.rows[0].refused).toMatch(/simulated and the other measured/);
    const missing = compareRuns({ id: 'A', result: run('node-dc', null) }, { id: 'B', result: run('node-dc', 1500) });
    expect(missing.rows[1].refused).toMatch(/no agents\/MW figure in run A: no passing level/);
    // The sweep's own tier shape (src/replay/sweep.ts TierResult).
    const sweep = (v: number | null, cls: string) => ({ tiers: [{ sloTokPerS: 20, ttftCeilingMs: 10000, agentsPerMW: v, agentsPerMWReason: v === null ? 'power data too sparse' : null, power: { comparabilityClass: cls, simulated: cls === 'simulated' } }] });
    const sw = compareRuns({ id: 'A', result: sweep(null, 'gpu-board') }, { id: 'B', result: sweep(100, 'gpu-board') });
    expect(sw.rows[0].tier).toBe('20 tok/s, TTFT<=10000 ms');
    expect(sw.rows[0].refused).toMatch(/run A: power data too sparse/);
    expect(() => compareRuns({ id: 'A', result: {} }, { id: 'B', result: run('node-dc', 1) })).toThrow(/run A: result has no tiers/);
  });
});

describe('drift and spec typos', () => {
  it('flags a window whose power drifts more than 5 % between thirds', async () => {
    const { SampledChannel } = await import('../../src/power/index.js');
    const ch = new SampledChannel({ info: win({}), kind: 'power-instant' });
    for (let t = 0; t <= 60_000; t += 500) ch.push(300 + t / 1000, t); // 300 -> 360 W ramp
    const w = ch.windowMs(0, 60_000);
    expect(w.driftFirstVsLastThird as number).toBeGreaterThan(0.1);
    expect(w.flags.join(' ')).toMatch(/drifted/);
    const flat = new SampledChannel({ info: win({}), kind: 'power-instant' });
    for (let t = 0; t <= 60_000; t += 500) flat.push(300, t);
    expect(flat.windowMs(0, 60_000).flags).toEqual([]);
  });

  it('an unknown option is an error naming the accepted ones', async () => {
    const { parsePowerSpec } = await import('../../src/power/index.js');
    expect(() => parsePowerSpec('nvidia-smi:interval=100')).toThrow(/option "interval" is not known.*interval_ms/);
  });
});
