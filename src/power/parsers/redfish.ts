/**
 * Redfish power payloads: `Chassis/{id}/EnvironmentMetrics` (PowerWatts.Reading, EnergyJoules.Reading,
 * EnergykWh.Reading) and legacy `Chassis/{id}/Power` (PowerControl[].PowerConsumedWatts).
 */
export interface RedfishReading {
  kind: 'environment-metrics' | 'power' | 'unknown';
  powerW: number | null;
  energyJ: number | null;
  /** Energy from EnergykWh (coarse resolution: flagged). */
  energyFromKWh: boolean;
  accuracyPct: number | null;
  field: string;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function parseRedfishPower(json: unknown): RedfishReading {
  const o = (json ?? {}) as Obj;
  const odataType = String(o['@odata.type'] ?? '');
  if (odataType.includes('EnvironmentMetrics') || 'PowerWatts' in o || 'EnergyJoules' in o || 'EnergykWh' in o) {
    const pw = (o.PowerWatts ?? {}) as Obj;
    const ej = (o.EnergyJoules ?? {}) as Obj;
    const ek = (o.EnergykWh ?? {}) as Obj;
    const joules = num(ej.Reading);
    const kwh = num(ek.Reading);
    const energyJ = joules ?? (kwh !== null ? kwh * 3.6e6 : null);
    return {
      kind: 'environment-metrics',
      powerW: num(pw.Reading),
      energyJ,
      energyFromKWh: joules === null && kwh !== null,
      accuracyPct: num(pw.Accuracy) ?? num(ej.Accuracy),
      field: joules !== null ? 'EnvironmentMetrics.EnergyJoules' : kwh !== null ? 'EnvironmentMetrics.EnergykWh' : 'EnvironmentMetrics.PowerWatts',
    };
  }
  if (Array.isArray(o.PowerControl)) {
    const pc = (o.PowerControl as Obj[])[0] ?? {};
    return { kind: 'power', powerW: num(pc.PowerConsumedWatts), energyJ: null, energyFromKWh: false, accuracyPct: null, field: 'Power.PowerControl[0].PowerConsumedWatts' };
  }
  return { kind: 'unknown', powerW: null, energyJ: null, energyFromKWh: false, accuracyPct: null, field: 'unknown' };
}
