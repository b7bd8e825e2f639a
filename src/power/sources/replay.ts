/**
 * Replays a recorded power log on a virtual clock. Rule: the log's first timestamp (t = 0) is
 * aligned with the moment the channel is started (`start()`), plus `offset_s` if given; a sweep
 * window [a, b] therefore reads the log from (a - start) to (b - start) seconds. Readings are
 * integrated exactly as live ones of the same kind. The boundary and class are what the user
 * declares (default: 'user-declared', i.e. comparable only with the same declaration).
 */
import { readFile } from 'node:fs/promises';
import { SampledChannel } from '../channel.js';
import { parsePowerLog, type LogSeries } from '../parsers/logs.js';
import type { ReadingKind } from '../integrate.js';
import type { BoundaryKind, ComparabilityClass, PowerSourceInfo } from '../types.js';
import type { Clock } from '../../core/index.js';

export interface ReplayOptions {
  file: string;
  kind?: ReadingKind;
  unit?: string;
  field?: string;
  gpus?: string[];
  offsetS?: number;
  boundary?: string;
  boundaryKind?: BoundaryKind;
  comparabilityClass?: ComparabilityClass;
  simulated?: boolean;
  clock?: Clock;
}

const CLASS_FOR_FORMAT: Record<LogSeries['format'], ComparabilityClass> = {
  'nvidia-smi-csv': 'gpu-board',
  'mlperf-spl': 'facility',
  jsonl: 'user-declared',
  csv: 'user-declared',
};

export async function openReplayChannel(o: ReplayOptions): Promise<SampledChannel> {
  let text: string;
  try {
    text = await readFile(o.file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read power log ${o.file}: ${(e as Error).message}`);
  }
  const log = parsePowerLog(text, o.file, { kind: o.kind, unit: o.unit, field: o.field, gpus: o.gpus });
  if (log.samples.length === 0) throw new Error(`${o.file}: no readings found (format detected: ${log.format})`);
  const simulated = o.simulated ?? log.meta.simulated === 'true';
  const cls = o.comparabilityClass ?? (log.meta.class as ComparabilityClass | undefined) ?? CLASS_FOR_FORMAT[log.format];
  const bk: BoundaryKind =
    o.boundaryKind ?? (log.meta.boundaryKind as BoundaryKind | undefined) ?? (log.format === 'nvidia-smi-csv' ? 'gpu-board' : log.format === 'mlperf-spl' ? 'facility' : 'user');
  const info: PowerSourceInfo = {
    source: 'replay',
    boundary:
      o.boundary ??
      log.meta.boundary ??
      (log.format === 'nvidia-smi-csv'
        ? `GPU board(s) from a recorded nvidia-smi log (${log.field})`
        : log.format === 'mlperf-spl'
          ? 'whatever the recorded analyzer was wired to (MLPerf-style log: AC at the wall, by that convention)'
          : 'as declared for the recorded log (undeclared)'),
    field: `${log.field} (${log.format})`,
    tool: 'replay',
    statedAccuracy: log.meta.accuracy ?? 'as recorded (unknown)',
    comparabilityClass: simulated ? 'simulated' : cls,
    simulated,
    boundaryKind: simulated ? 'simulated' : bk,
    host: 'replay',
    devices: [o.file],
    clockRule: `virtual clock: log t=0 aligned to channel start${o.offsetS ? ` + ${o.offsetS} s` : ''}`,
  };
  const ch: SampledChannel = new SampledChannel({
    info,
    kind: log.kind,
    clock: o.clock,
    integrate: log.kind === 'power-interval-avg' && log.format === 'nvidia-smi-csv' ? { averagingWindowMs: 1000 } : {},
    onStart: async (c) => {
      const t0 = c.clock.nowMs() + (o.offsetS ?? 0) * 1000;
      for (const s of log.samples) c.push(s.value, t0 + s.tS * 1000);
    },
  });
  return ch;
}
