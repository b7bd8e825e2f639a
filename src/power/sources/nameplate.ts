/** Declared (nameplate / provisioned) power: a constant, class `provisioned`, never summed with measured power. */
import { integrateDeclared } from '../integrate.js';
import type { PowerChannel, PowerSourceInfo, WindowPower } from '../types.js';

export function openNameplateChannel(o: { watts: number; boundary?: string; source?: string }): PowerChannel {
  const info: PowerSourceInfo = {
    source: 'nameplate',
    boundary: `provisioned (declared) power${o.boundary ? ` of the ${o.boundary}` : ''}: ${o.watts} W, not measured`,
    field: 'declared watts',
    tool: 'nameplate',
    statedAccuracy: o.source ? `declared; source: ${o.source}` : 'declared (no source given)',
    comparabilityClass: 'provisioned',
    simulated: false,
    boundaryKind: 'provisioned',
    host: 'declared',
    readingKind: 'constant',
    clockRule: 'constant over any window',
  };
  return {
    info: () => info,
    start: async () => {},
    stop: async () => {},
    window: async (startNs: bigint, endNs: bigint): Promise<WindowPower> => {
      const r = integrateDeclared(o.watts, { startMs: Number(startNs) / 1e6, endMs: Number(endNs) / 1e6 });
      return { ...info, startNs: startNs.toString(), endNs: endNs.toString(), meanW: r.meanW, energyJ: r.energyJ, samples: 0, coverage: 1, largestGapMs: 0, method: 'declared', flags: ['provisioned: declared power, not a measurement'], tooSparse: false, spanMs: r.spanMs, windowRule: 'declared constant' };
    },
  };
}
