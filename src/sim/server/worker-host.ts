/**
 * startSimServerInWorker: the same server in a worker_thread, so a load generator in this process
 * does not share its event loop with the engine. Worker threads need JavaScript, so when running
 * from TypeScript sources (vitest) the built dist/ worker is used; with no build, the server runs
 * in-process and says so (`inWorker: false`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AgentdynoError, type ErrorCode } from '../../core/index.js';
import type { SimProfile } from '../profile.js';
import { startSimServer } from './http.js';
import { validateServerOptions, type SimServer, type SimServerOptions } from './options.js';

export function simWorkerScript(): string | null {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.js')) return self.replace(/worker-host\.js$/, 'worker.js');
  const built = self.replace(/([\\/])src([\\/]sim[\\/]server[\\/])worker-host\.ts$/, '$1dist$2worker.js');
  return built !== self && existsSync(built) ? built : null;
}

export async function startSimServerInWorker(opts: SimServerOptions = {}): Promise<SimServer> {
  validateServerOptions(opts);
  const script = simWorkerScript();
  if (!script) {
    const s = await startSimServer(opts);
    return { url: s.url, port: s.port, profile: s.profile, inWorker: false, close: s.close };
  }
  const worker = new Worker(script, { workerData: opts });
  const ready = await new Promise<{ url: string; port: number; profile: SimProfile }>((resolveReady, reject) => {
    const onMsg = (m: { type: string; url: string; port: number; profile: SimProfile; message: string; code?: ErrorCode; where?: string; hint?: string; agentdyno?: boolean }) => {
      if (m.type === 'ready') resolveReady(m);
      else if (m.type === 'error') reject(m.agentdyno ? new AgentdynoError(m.message, { code: m.code ?? 'E_LISTEN', where: m.where, hint: m.hint }) : new Error(m.message));
    };
    worker.once('message', onMsg);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`simulator worker exited with code ${code} before it was ready`)));
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });
  // A crash after start-up must not take the caller down: report it; clients see refused connections.
  worker.on('error', (e) => process.stderr.write(`agentdyno sim worker failed: ${e.message}\n`));
  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    // Let the server close its sockets first (clients see a clean close), then end the thread.
    const closed = new Promise<void>((r) => {
      worker.on('message', (m: { type?: string }) => m?.type === 'closed' && r());
      setTimeout(r, 2000).unref();
    });
    worker.postMessage('close');
    await closed;
    await worker.terminate();
  };
  return { ...ready, inWorker: true, close: () => (closing ??= close().catch(() => undefined)) };
}
