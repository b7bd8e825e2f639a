/**
 * `power record`: a standalone trace of one source into the store (run kind 'power-record',
 * samples in `power_samples`, the whole-duration window as the run's result).
 */
import { AgentdynoError, clockAnchor, newRunId, sleep } from '../core/index.js';
import { SampledChannel } from './channel.js';
import { openPowerChannel } from './open.js';
import { parsePowerSpec } from './spec.js';
import type { PowerContext, WindowPower } from './types.js';

/** The store methods this needs (src/store's Store satisfies it). */
export interface PowerRecordStore {
  createRun(run: { id: string; kind: string; config: unknown; clockAnchor?: { monotonicNs: string; wallClockMs: number } }): unknown;
  insertPowerSamples(runId: string, rows: readonly { channel: string; tNs: bigint; value: number; kind: string }[]): number;
  finishRun(id: string, status: 'running' | 'completed' | 'interrupted' | 'failed', result?: unknown): void;
}

/** "30s", "2m", "1h", "500ms", or a bare number of seconds. */
export function parseDurationMs(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(s);
  if (!m) throw new AgentdynoError(`duration "${s}" is not understood.`, { code: 'E_USAGE', where: '--duration', hint: 'Use e.g. 30s, 5m, 1h, 500ms or a number of seconds.' });
  const f = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'min' | 'h'];
  return Number(m[1]) * f;
}

export interface RecordResult {
  runId: string;
  spec: string;
  durationS: number;
  samplesStored: number;
  window: WindowPower;
  interrupted: boolean;
}

export async function recordPower(o: {
  spec: string;
  durationMs: number;
  store: PowerRecordStore;
  ctx?: PowerContext;
  /** Resolves early to stop (Ctrl-C). */
  abort?: AbortSignal;
}): Promise<RecordResult> {
  const spec = parsePowerSpec(o.spec);
  const ch = await openPowerChannel(spec, o.ctx);
  const runId = newRunId('power');
  const channelName = `${spec.source}:${(ch.info().devices ?? []).join(',') || '0'}`;
  o.store.createRun({ id: runId, kind: 'power-record', config: { spec: spec.raw, durationMs: o.durationMs }, clockAnchor: clockAnchor() });
  const kind = ch.info().readingKind === 'energy-counter' ? 'energy_j' : 'power_w';
  let pending: { channel: string; tNs: bigint; value: number; kind: string }[] = [];
  let stored = 0;
  const flush = () => {
    if (pending.length) stored += o.store.insertPowerSamples(runId, pending);
    pending = [];
  };
  if (ch instanceof SampledChannel) {
    ch.onSample = (s) => pending.push({ channel: channelName, tNs: BigInt(Math.round(s.tMs * 1e6)), value: s.value, kind });
  }
  const start = process.hrtime.bigint();
  try {
    await ch.start();
    const until = Date.now() + o.durationMs;
    while (Date.now() < until && !o.abort?.aborted) {
      await sleep(Math.min(1000, Math.max(0, until - Date.now())));
      flush();
    }
    const end = process.hrtime.bigint();
    const window = await ch.window(start, end);
    await ch.stop();
    flush();
    const interrupted = Boolean(o.abort?.aborted);
    const result: RecordResult = { runId, spec: spec.raw, durationS: Number(end - start) / 1e9, samplesStored: stored, window, interrupted };
    o.store.finishRun(runId, interrupted ? 'interrupted' : 'completed', result);
    return result;
  } catch (e) {
    await ch.stop().catch(() => {});
    flush();
    o.store.finishRun(runId, 'failed', { error: (e as Error).message });
    throw e;
  }
}
