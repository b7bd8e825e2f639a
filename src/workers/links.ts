/**
 * How a coordinator reaches its workers on this machine: worker threads (the built dist/ script,
 * as the simulator's worker host does), or, with no build (TypeScript sources under vitest),
 * in-process workers on this event loop that say so (`inThread: false`: they prove the protocol
 * and the merge, not the parallelism).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { serveWorker } from './agent.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** The coordinator's handle on one worker, whatever carries the messages. */
export interface WorkerLink {
  readonly id: string;
  /** A worker thread (own event loop) rather than an in-process stand-in. */
  readonly inThread: boolean;
  post(m: ToWorker): void;
  on(fn: (m: FromWorker) => void): void;
  /** Called once when the worker is gone (exited, threw, missed its heartbeats). */
  onLost(fn: (reason: string) => void): void;
  /** Tests: end the worker abruptly, as a crash would. */
  kill(): Promise<void>;
  close(): Promise<void>;
  /** Remote workers: the clock offset measured at registration (worker minus coordinator, ms). */
  readonly clockOffsetMs?: number;
  readonly clockUncertaintyMs?: number;
}

export function workerThreadScript(): string | null {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return self.replace(/links\.js$/, 'thread.js');
  const built = self.replace(/([\\/])src([\\/]workers[\\/])links\.ts$/, '$1dist$2thread.js');
  return built !== self && existsSync(built) ? built : null;
}

class ThreadLink implements WorkerLink {
  readonly inThread = true;
  private lost: ((reason: string) => void)[] = [];
  private closing = false;
  private gone = false;
  constructor(
    readonly id: string,
    private readonly worker: Worker,
  ) {
    const lose = (reason: string) => {
      if (this.gone) return;
      this.gone = true;
      if (!this.closing) for (const f of this.lost) f(reason);
    };
    worker.on('error', (e) => lose(`its thread threw: ${e.message}`));
    worker.on('exit', (code) => lose(`its thread exited with code ${code}`));
  }
  post(m: ToWorker): void {
    if (!this.gone) this.worker.postMessage(m);
  }
  on(fn: (m: FromWorker) => void): void {
    this.worker.on('message', fn);
  }
  onLost(fn: (reason: string) => void): void {
    this.lost.push(fn);
  }
  async kill(): Promise<void> {
    await this.worker.terminate();
  }
  async close(): Promise<void> {
    if (this.gone) return;
    this.closing = true;
    const exited = new Promise<void>((r) => {
      this.worker.once('exit', () => r());
      setTimeout(r, 3000).unref();
    });
    this.worker.postMessage({ type: 'exit' } satisfies ToWorker);
    await exited;
    await this.worker.terminate();
  }
}

/** A worker on this thread's event loop (no build to start threads from); messages are cloned like postMessage. */
class InProcessLink implements WorkerLink {
  readonly inThread = false;
  private fromWorker: ((m: FromWorker) => void)[] = [];
  private toWorker: ((m: ToWorker) => void) | null = null;
  private lost: ((reason: string) => void)[] = [];
  private gone = false;
  constructor(
    readonly id: string,
    version: string,
  ) {
    serveWorker(
      { post: (m) => !this.gone && setImmediate(() => !this.gone && this.fromWorker.forEach((f) => f(structuredClone(m)))), onMessage: (fn) => (this.toWorker = fn) },
      { version },
    );
  }
  post(m: ToWorker): void {
    if (!this.gone) setImmediate(() => !this.gone && this.toWorker?.(structuredClone(m)));
  }
  on(fn: (m: FromWorker) => void): void {
    this.fromWorker.push(fn);
  }
  onLost(fn: (reason: string) => void): void {
    this.lost.push(fn);
  }
  async kill(): Promise<void> {
    // Its lanes keep running on this loop until their level is cut; the coordinator only stops hearing it.
    this.toWorker?.({ type: 'exit' });
    this.gone = true;
    for (const f of this.lost) f('it was killed (in-process stand-in)');
  }
  async close(): Promise<void> {
    if (this.gone) return;
    this.toWorker?.({ type: 'exit' });
    this.gone = true;
  }
}

/** K workers on this machine: threads when a built script exists, else in-process stand-ins. */
export function startLocalWorkers(k: number, version: string): WorkerLink[] {
  const script = workerThreadScript();
  return Array.from({ length: k }, (_, i) => (script ? new ThreadLink(`w${i}`, new Worker(script, { workerData: { version } })) : new InProcessLink(`w${i}`, version)));
}

/** One worker on this event loop (a remote worker process with --workers 1). */
export function startInProcessWorker(id: string, version: string): WorkerLink {
  return new InProcessLink(id, version);
}
