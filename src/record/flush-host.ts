/**
 * The periodic rewrite of the output file, off the proxy's event loop: rebuilding trajectories
 * from every call so far grows with the recording (100+ ms past a thousand calls) and would stall
 * every stream. A worker thread (flush-worker.ts) keeps its own copy of the calls; the proxy sends
 * the new ones in one message per flush (a message per call cost ~0.2 ms of the proxy's CPU each).
 * The final file is always written by the proxy itself on close, from its own complete list.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ConversationCall } from '../trajectory/index.js';
import { callsToTrajectories, writeTrajectoriesAsync } from './recorder.js';

/** What both ends of the channel need (a Worker / parentPort, or a MessageChannel's ports in tests). */
export interface PortLike {
  postMessage(m: unknown): void;
  on(ev: 'message', f: (m: unknown) => void): unknown;
}

export type FlushRequest = { type: 'flush'; calls: ConversationCall[]; estimated: boolean };
export type FlushAnswer = { type: 'flushed'; calls: number; error?: string };

/** Worker side: keep the calls, rewrite `file` on every flush (one write at a time, in order), answer each. */
export function serveFlushes(port: PortLike, file: string, idPrefix: string): void {
  const calls: ConversationCall[] = [];
  let estimated = false;
  let written = -1;
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg) => {
    const m = msg as FlushRequest;
    if (m?.type !== 'flush') return;
    calls.push(...m.calls);
    estimated ||= m.estimated;
    chain = chain.then(async () => {
      const a: FlushAnswer = { type: 'flushed', calls: calls.length };
      try {
        if (calls.length !== written) {
          written = calls.length;
          await writeTrajectoriesAsync(file, callsToTrajectories(calls, idPrefix, estimated));
        }
      } catch (e) {
        a.error = (e as Error).message;
      }
      port.postMessage(a);
    });
  });
}

/** Proxy side. */
export class FlushHost {
  private asked = 0;
  private answered = 0;
  private idle: (() => void) | undefined;
  lastError?: string;

  constructor(
    private readonly port: PortLike,
    private readonly stop: () => Promise<unknown>,
  ) {
    port.on('message', (msg) => {
      const m = msg as FlushAnswer;
      if (m?.error) this.lastError = m.error;
      this.answered++;
      if (this.answered >= this.asked) this.idle?.();
    });
  }

  /** Send the calls recorded since the last flush, and ask for a rewrite. */
  flush(newCalls: ConversationCall[], estimated: boolean): void {
    this.asked++;
    const m: FlushRequest = { type: 'flush', calls: newCalls, estimated };
    this.port.postMessage(m);
  }

  /** The worker is gone: nothing more will be answered. */
  gone(): void {
    this.answered = this.asked;
    this.idle?.();
  }

  /** Wait for writes in flight (so none lands after the proxy's final one), then stop. */
  async close(): Promise<void> {
    if (this.answered < this.asked) await new Promise<void>((r) => (this.idle = r));
    await this.stop();
  }
}

/** Start the worker (built code only: a worker thread needs JavaScript; from sources, undefined). */
export function startFlushWorker(file: string, idPrefix = 'proxy'): FlushHost | undefined {
  const script = new URL('./flush-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.js') || !existsSync(script)) return undefined;
  const w = new Worker(script, { workerData: { file, idPrefix } });
  w.unref();
  const host = new FlushHost(w, () => w.terminate());
  w.on('error', (e) => process.stderr.write(`agentdyno record: flush worker failed: ${e.message} (the file is still written on exit)\n`));
  w.on('exit', () => host.gone());
  return host;
}
