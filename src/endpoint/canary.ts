/**
 * Timing canary (DESIGN 4, "The client's own timing"): a paced SSE stream written by another
 * thread, read over loopback by this thread's event loop beside the real load, through the same
 * HTTP stack as the load (the `net` transport by default, undici when the load uses undici: a
 * canary read through another stack measures that stack's delays, not the load's). Each event
 * carries its writer's send stamp; arrival stamp - send stamp is
 * the lag this event loop adds to every read at that moment (waiting behind other sockets' reads,
 * timers, GC). The load's own tokens suffer the same wait, so the canary's p99 bounds how finely
 * the client can resolve inter-token gaps while the load runs.
 */
import { Worker } from 'node:worker_threads';
import { Client, type Dispatcher } from 'undici';
import { percentile } from '../core/index.js';
import { CANARY_WRITER_SOURCE } from './canary-writer.js';
import { NetPool, type NetHandler } from './net-pool.js';
import { nativeReaderPath } from './native/mux.js';
import { currentReadTurn } from './read-turn.js';

/** The canary's read lag over the span measured (OWNERS: level result `canary`). */
export interface CanaryStats {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface TimingCanaryOptions {
  /** Mean gap between canary events (each gap uniform in [0.5, 1.5] x this); default 5 ms. */
  intervalMs?: number;
  /** The load's transport (EndpointClient.transport); default 'net', the client's default. */
  transport?: 'net' | 'undici' | 'native';
}

export interface TimingCanary {
  /** Forget the samples so far (e.g. at the start of the steady window). */
  reset(): void;
  /** Figures since the start or the last reset, without stopping. */
  stats(): CanaryStats;
  /** Stop reading and writing; returns the figures since the start or the last reset. */
  stop(): CanaryStats;
  /** Settles when the writer thread has exited (stop() does not wait for it). */
  readonly closed: Promise<void>;
}

const DATA = 'data: ';

export function canaryStats(lagsMs: readonly number[]): CanaryStats {
  if (lagsMs.length === 0) return { samples: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  let max = 0;
  for (const v of lagsMs) if (v > max) max = v;
  return { samples: lagsMs.length, p50Ms: percentile(lagsMs, 50), p99Ms: percentile(lagsMs, 99), maxMs: max };
}

/**
 * Reads the endless stream: stamps each socket read first, then takes the lag of every event in it.
 * On the net transport the read's stamp comes with the bytes (taken before any parsing, as for the
 * load's tokens); on undici, the first onResponseData of a socket read stamps it.
 */
class CanaryReader implements Dispatcher.DispatchHandler, NetHandler {
  lags: number[] = [];
  private tail = '';
  private readTurn = -1;
  private readT = 0n;
  private readonly text = new TextDecoder();
  failed: Error | null = null;

  onRequestStart(): void {}
  onResponseStart(): void {}
  onResponseData(_c: unknown, chunk: Buffer, tNs?: bigint): void {
    if (tNs !== undefined) this.readT = tNs;
    else {
      const t = process.hrtime.bigint();
      const turn = currentReadTurn();
      if (turn !== this.readTurn) {
        this.readTurn = turn;
        this.readT = t;
      }
    }
    const s = this.tail + this.text.decode(chunk, { stream: true });
    let from = 0;
    for (;;) {
      const end = s.indexOf('\n\n', from);
      if (end < 0) break;
      const ev = s.slice(from, end);
      from = end + 2;
      if (!ev.startsWith(DATA)) continue;
      const sent = BigInt(ev.slice(DATA.length));
      this.lags.push(Number(this.readT - sent) / 1e6);
    }
    this.tail = s.slice(from);
  }
  onResponseEnd(): void {}
  onResponseError(_c: unknown, err: Error): void {
    this.failed = err;
  }
}

/**
 * Start the canary: spawns the writer thread, connects, and resolves once the stream is open.
 * Rejects when the writer cannot start (the caller reports the level without a canary).
 */
export async function startTimingCanary(opts: TimingCanaryOptions = {}): Promise<TimingCanary> {
  const intervalMs = opts.intervalMs ?? 5;
  if (!(intervalMs > 0)) throw new RangeError(`canary intervalMs must be > 0 (got ${intervalMs})`);
  const transport = opts.transport ?? 'net';
  const nativeReader = transport === 'native' ? (nativeReaderPath() ?? undefined) : undefined;
  if (transport === 'native' && nativeReader === undefined) throw new Error('timing canary: the native reader is not built');
  const worker = new Worker(CANARY_WRITER_SOURCE, { eval: true, workerData: { intervalMs } });
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { port: number }) => resolve(m.port));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`timing canary writer exited with code ${code} before it was ready`)));
    });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  worker.on('error', () => undefined); // a late crash just ends the samples
  const origin = `http://127.0.0.1:${port}`;
  const reader = new CanaryReader();
  let closeReader: () => Promise<void>;
  if (transport === 'net' || transport === 'native') {
    // An endless stream: no body deadline (a canary event every few ms keeps it alive anyway).
    // native: read (and stamped) by the same helper as the load's sockets, so its lag is theirs.
    const pool = new NetPool(origin, { connections: 1, keepAliveTimeoutMs: 1000, connectTimeoutMs: 10_000, headersTimeoutMs: 10_000, bodyTimeoutMs: 24 * 3_600_000, nativeReader });
    pool.dispatch({ path: '/canary', method: 'GET', headers: { accept: 'text/event-stream' }, body: [] }, reader);
    closeReader = () => pool.close(true);
  } else {
    const client = new Client(origin, { pipelining: 1, bodyTimeout: 0, headersTimeout: 10_000 });
    client.dispatch({ path: '/canary', method: 'GET', headers: { accept: 'text/event-stream' } }, reader);
    closeReader = () => client.destroy();
  }
  let stopped: CanaryStats | null = null;
  const closed = exited.then(() => undefined);
  return {
    reset() {
      reader.lags = [];
    },
    stats() {
      return stopped ?? canaryStats(reader.lags);
    },
    stop() {
      if (stopped) return stopped;
      stopped = canaryStats(reader.lags);
      reader.lags = [];
      void closeReader().catch(() => undefined);
      worker.postMessage('close');
      // The writer closes its server and exits; terminate if it has not within a second.
      const t = setTimeout(() => void worker.terminate(), 1000);
      t.unref();
      void exited.then(() => clearTimeout(t));
      return stopped;
    },
    closed,
  };
}
