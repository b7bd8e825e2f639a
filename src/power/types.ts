/**
 * Power-source contract (DESIGN 4, research/power.md section 4). The sweep opens one channel per
 * `--power SPEC`, starts them before the first level, asks each for the window of every level's
 * steady window, and stops them at the end. Channels never know about tokens.
 */
export type ComparabilityClass =
  | 'simulated'          // the built-in simulator's model: never comparable with hardware
  | 'gpu-board'          // NVML / DCGM board power of the accelerators only
  | 'cpu-package'        // RAPL package/dram
  | 'node-dc'            // BMC/IPMI/Redfish whole node
  | 'facility'           // PDU / rack / wall
  | 'provisioned'        // nameplate / declared: not measured
  | 'user-declared';     // a command source whose boundary the user declared

export interface PowerSourceInfo {
  /** Source kind: 'nvidia-smi', 'dcgm-exporter', 'rapl', 'ipmi', 'redfish', 'command', 'nameplate', 'replay', 'sim'. */
  source: string;
  /** What is inside the boundary, in words: e.g. "8x GPU board (NVML power.draw)". */
  boundary: string;
  includes?: string[];
  excludes?: string[];
  /** Field or metric used, e.g. "power.draw.instant", "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION". */
  field?: string;
  tool?: string;
  toolVersion?: string;
  statedAccuracy?: string;
  comparabilityClass: ComparabilityClass;
  simulated: boolean;
}

/** Energy and mean power over one window of the monotonic clock. */
export interface WindowPower extends PowerSourceInfo {
  startNs: string;
  endNs: string;
  meanW: number | null;
  energyJ: number | null;
  samples: number;
  /** Fraction of the window covered by samples (or by the counter's two edge reads). */
  coverage: number;
  largestGapMs: number;
  method: 'counter' | 'trapezoid' | 'interval-average' | 'declared';
  wraps?: number;
  resets?: number;
  /** Reasons the figure must not be trusted as printed (too sparse, stale, gaps...). Empty = fine. */
  flags: string[];
}

export interface PowerChannel {
  info(): PowerSourceInfo;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Integrate power over [startNs, endNs] (process.hrtime.bigint() readings). */
  window(startNs: bigint, endNs: bigint): Promise<WindowPower>;
}

/** Context a spec may need, e.g. the embedded simulator's /metrics URL for `--power sim`. */
export interface PowerContext {
  simMetricsUrl?: string;
}
