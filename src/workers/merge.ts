/**
 * One level's runs from several workers as the one run a single process would have made: the
 * lanes are disjoint and the stamps share one timebase (threads: one process clock; remote
 * workers: translated by their transport), so the call records are concatenated and judged once
 * by replay's evaluate. Timing evidence is never averaged: the merged canary is the worst worker's
 * (null if any worker's could not start), saturation is the worst worker's on every figure.
 */
import type { CanaryStats } from '../endpoint/index.js';
import type { LevelConfig, LevelRun, SaturationStats, WindowCommand, WorkerShare } from '../replay/index.js';

export interface WorkerRun {
  id: string;
  run: LevelRun;
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
}

function worstSaturation(xs: (SaturationStats | null)[]): SaturationStats | null {
  const s = xs.filter((x): x is SaturationStats => x !== null);
  if (!s.length) return null;
  const max = (f: (x: SaturationStats) => number) => Math.max(...s.map(f));
  return { eventLoopUtilization: max((x) => x.eventLoopUtilization), eventLoopDelayP99Ms: max((x) => x.eventLoopDelayP99Ms), eventLoopDelayMaxMs: max((x) => x.eventLoopDelayMaxMs), processCpuCores: max((x) => x.processCpuCores), cores: max((x) => x.cores) };
}

/** undefined: no worker ran a canary; null: one could not start (the level is then unproven); else the worst p99. */
export function worstCanary(xs: (CanaryStats | null | undefined)[]): CanaryStats | null | undefined {
  if (xs.every((x) => x === undefined)) return undefined;
  if (xs.some((x) => x === null || x === undefined || x.samples === 0)) return null;
  return (xs as CanaryStats[]).reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a));
}

export interface MergeInput {
  cfg: LevelConfig;
  /** Every lane of the level (lost workers' lanes included: they count as silent, never dropped from N). */
  laneIds: number[];
  runs: WorkerRun[];
  /** The window the coordinator commanded (null: cut before any window). */
  command: WindowCommand | null;
  /** Lanes per worker id, lost workers included. */
  shares: Map<string, number>;
  faults: string[];
  interrupted: boolean;
  startNs: bigint;
}

export function mergeWorkerRuns(m: MergeInput): LevelRun {
  const runs = m.runs.map((r) => r.run);
  const first = runs[0];
  const workers: WorkerShare[] = [...m.shares].map(([id, lanes]) => {
    const w = m.runs.find((r) => r.id === id);
    return {
      id,
      lanes,
      canary: w ? (w.run.canary ?? null) : null,
      saturation: w?.run.saturation ?? null,
      peakInFlight: w?.run.peakInFlight ?? 0,
      calls: w?.run.records.length ?? 0,
      ...(w?.clockOffsetMs !== undefined ? { clockOffsetMs: w.clockOffsetMs, clockUncertaintyMs: w.clockUncertaintyMs } : {}),
    };
  });
  // A lost worker proved nothing about its timing: null, when canaries ran at all.
  const ran = runs.some((r) => r.canary !== undefined);
  const canary = worstCanary([...m.shares.keys()].map((id) => {
    const r = m.runs.find((x) => x.id === id);
    return r ? r.run.canary : ran ? null : undefined;
  }));
  const ws = m.command?.openNs ?? first?.windowStartNs ?? m.startNs;
  const we = m.command?.closeNs ?? first?.windowEndNs ?? ws;
  return {
    concurrency: m.laneIds.length,
    lanes: m.laneIds,
    ...(m.cfg.lanes ? { concurrencyTotal: m.cfg.concurrency } : {}),
    records: m.runs.flatMap((w) => {
      for (const r of w.run.records) r.worker = w.id;
      return w.run.records;
    }),
    idle: runs.flatMap((r) => r.idle ?? []),
    lanesWithFullCycle: m.command?.lanesWithFullCycle ?? runs.reduce((s, r) => s + (r.lanesWithFullCycle ?? 0), 0),
    startNs: runs.reduce((a, r) => (r.startNs < a ? r.startNs : a), m.startNs),
    windowStartNs: ws,
    windowEndNs: we,
    cutNs: runs.reduce((a, r) => (r.cutNs > a ? r.cutNs : a), we),
    warmupCompleted: m.command?.warmupCompleted ?? false,
    interrupted: m.interrupted || runs.some((r) => r.interrupted),
    // An upper bound: each worker's own peak, summed (they need not coincide).
    peakInFlight: runs.reduce((s, r) => s + r.peakInFlight, 0),
    saturation: worstSaturation(runs.map((r) => r.saturation)),
    ...(canary !== undefined ? { canary } : {}),
    treesCompleted: runs.reduce((s, r) => s + r.treesCompleted, 0),
    contentMode: m.cfg.lane.content ?? 'synthetic',
    api: m.cfg.lane.api ?? 'chat',
    tokenModel: m.cfg.lane.tokenModel,
    workers,
    ...(m.faults.length ? { workerFaults: m.faults } : {}),
  };
}
