import { describe, expect, it } from 'vitest';
import { underSimulatedLoad } from '../../src/replay/session.js';
import type { WindowPower } from '../../src/power/index.js';

const measured: WindowPower = {
  source: 'replay', boundary: 'node', comparabilityClass: 'node-dc', simulated: false,
  startNs: '0', endNs: '1000000000', meanW: 5000, energyJ: 5000, samples: 10, coverage: 1, largestGapMs: 100,
  method: 'trapezoid', flags: [],
};

describe('power paired with the built-in simulator', () => {
  it('marks a measured trace simulated when the load ran against the simulator, and says why', () => {
    const w = underSimulatedLoad(measured);
    expect(w.simulated).toBe(true);
    expect(w.flags.some((f) => f.startsWith('simulated:') && f.includes('built-in simulator'))).toBe(true);
    expect(measured.simulated).toBe(false);
  });

  it('leaves an already simulated window alone', () => {
    const sim = { ...measured, simulated: true, flags: ['simulated: modelled'] };
    expect(underSimulatedLoad(sim)).toBe(sim);
  });
});
