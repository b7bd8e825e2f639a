/**
 * Power measurement (DESIGN 4, research/power.md): sources -> channels -> pure integrator ->
 * windows -> sums over disjoint boundaries -> agents/MW with full metadata.
 * The nvidia-smi, ipmi and redfish sources are unvalidated on hardware (fixtures and fakes only).
 */
export type * from './types.js';
export { openPowerChannel, measureIdle } from './open.js';
export { recordPower, parseDurationMs, type RecordResult } from './record.js';
export { parsePowerSpec, SOURCE_KINDS, type PowerSpec, type SourceKind } from './spec.js';
export { probeAll, type ProbeEntry, type ProbeOptions } from './probe.js';
export {
  integrate,
  integrateCounter,
  integrateTrapezoid,
  integrateIntervalAverage,
  integrateDeclared,
  type Sample,
  type Window,
  type IntegrateOptions,
  type IntegrationResult,
  type ReadingKind,
} from './integrate.js';
export { combineWindows, sumWindows, overlapReason, agentsPerMW, comparabilityRefusal, type AgentsPerMW } from './combine.js';
export { SampledChannel } from './channel.js';
export { compareRuns, type CompareRow, type CompareResult } from './compare.js';
export { parsePrometheusText, dcgmFromPage } from './parsers/prometheus.js';
export { parseNvsmiCsv } from './parsers/nvidiaSmi.js';
export { parsePowerLog } from './parsers/logs.js';
export { parseDcmiPowerReading } from './parsers/ipmi.js';
export { parseRedfishPower } from './parsers/redfish.js';
