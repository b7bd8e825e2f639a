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
  | 'user-declared'      // a command source whose boundary the user declared
  | `sum:${string}`;     // combineWindows over disjoint boundaries: 'sum:' + sorted member classes joined by '+'

/**
 * Structured boundary, used to refuse overlapping sums (e.g. RAPL package + the same node's IPMI):
 * 'node' contains every gpu-board/cpu-package/dram of the same host; 'facility' contains everything.
 */
export type BoundaryKind = 'gpu-board' | 'cpu-package' | 'dram' | 'node' | 'facility' | 'provisioned' | 'simulated' | 'user';

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
  /** Structured boundary for overlap checks (optional for older producers; absent = unknown, never summed). */
  boundaryKind?: BoundaryKind;
  /** Host the boundary sits on ('local' for this machine). */
  host?: string;
  /** Devices inside the boundary (GPU indices/UUIDs, RAPL zone paths); overlap = same host, kind and a shared device. */
  devices?: string[];
  /** Reading kind the integrator used. */
  readingKind?: 'energy-counter' | 'power-instant' | 'power-interval-avg' | 'constant';
  /** For interval averages: the averaging window of one reading (nvidia-smi power.draw on Ampere+: 1000). */
  averagingWindowMs?: number;
  /** How the source's clock was mapped onto the sweep's monotonic clock (replay: log t0 = channel start). */
  clockRule?: string;
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
  /** True when the data are too sparse to print a figure (agentsPerMW returns null). */
  tooSparse?: boolean;
  /** Span of the window actually covered by readings, ms (energyJ is over this span; meanW = energyJ / covered time). */
  spanMs?: number;
  /** Readings dropped as invalid ([N/A], non-finite, negative). */
  invalidSamples?: number;
  minW?: number | null;
  maxW?: number | null;
  /** (mean of last third - mean of first third) / first third; flagged above 5 %. Null for windows < 30 s. */
  driftFirstVsLastThird?: number | null;
  /** Window rule in words: e.g. "steady window of the level, counter interpolated at both edges". */
  windowRule?: string;
}

export interface PowerChannel {
  info(): PowerSourceInfo;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Integrate power over [startNs, endNs] (process.hrtime.bigint() readings). */
  window(startNs: bigint, endNs: bigint): Promise<WindowPower>;
  /** Power over time inside [startNs, endNs] for plotting (optional: sources that keep readings). */
  trace?(startNs: bigint, endNs: bigint): { tNs: bigint; watts: number }[];
}

/** Context a spec may need, e.g. the embedded simulator's /metrics URL for `--power sim`. */
export interface PowerContext {
  simMetricsUrl?: string;
}
