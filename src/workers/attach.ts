/**
 * Wiring a prepared replay session to K load workers (the commands call this, then run as usual):
 * the workers get the session's endpoint, token model and trajectory set (path + content hash),
 * the session's level runner becomes the pool's, and the pool closes before the target does.
 */
import type { PreparedSession } from '../replay/index.js';
import type { WorkerLink } from './links.js';
import { WorkerPool } from './pool.js';
import { RedisHub } from './redis-hub.js';
import { trajectorySetHash, type WorkerInit } from './protocol.js';

export function workerInitOf(s: PreparedSession, version: string): WorkerInit {
  const t = s.target;
  return {
    version,
    url: t.url,
    model: t.model,
    ...(s.apiKeyEnv ? { apiKeyEnv: s.apiKeyEnv } : {}),
    requestTimeoutMs: s.requestTimeoutMs,
    retries: s.options.level.retries ?? 0,
    tokenModel: t.tokenModel,
    trajectoryFiles: s.trajectoryFiles,
    trajectoryHash: trajectorySetHash(s.trajectories),
    canary: true,
  };
}

/** Start the pool over `links` and make it the session's level runner; `what` goes into the settings text. */
export async function attachWorkers(s: PreparedSession, links: WorkerLink[], version: string, what: string): Promise<WorkerPool> {
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start(links, workerInitOf(s, version), { clock: s.options.clock });
  } catch (e) {
    await s.dispose('failed', { error: (e as Error).message });
    throw e;
  }
  s.options.levelRunner = pool.runLevel;
  s.options.workersNote = what;
  s.settingsText += `\n${what}`;
  const dispose = s.dispose.bind(s);
  s.dispose = async (status, result) => {
    await pool.close();
    await dispose(status, result);
  };
  return pool;
}

export function describeThreads(links: readonly WorkerLink[]): string {
  const k = links.length;
  return links.every((l) => l.inThread)
    ? `load workers: ${k} threads on this machine (lane i on worker i % ${k}), each with its own event loop, connection pool and timing canary; each level's calls are merged and judged once (canary and saturation: the worst worker's)`
    : `load workers: ${k} IN-PROCESS stand-ins (no dist/ build to start threads from): the lanes share this event loop, so this proves the merge, not the parallelism`;
}

export interface RedisAttachOptions {
  url: string;
  expectWorkers: number;
  timeoutMs: number;
  version: string;
}

/**
 * --redis: wait for the workers, measure their clocks, run every level on them. The hub's
 * lostError (Redis gone mid-run) is for the command to raise once the finished levels are stored.
 */
export async function attachRedis(s: PreparedSession, o: RedisAttachOptions): Promise<RedisHub> {
  let hub: RedisHub | null = null;
  try {
    hub = await RedisHub.connect(o.url);
    s.sink.emit({ type: 'message', level: 'info', text: `waiting for ${o.expectWorkers} worker${o.expectWorkers > 1 ? 's' : ''} at ${o.url} (start \`agentdyno worker --redis ${o.url}\` on each load machine; deadline ${(o.timeoutMs / 1000).toFixed(0)} s)` });
    await hub.waitForWorkers(o.expectWorkers, { version: o.version, timeoutMs: o.timeoutMs, signal: s.controller.signal, onWait: (text) => s.sink.emit({ type: 'message', level: 'info', text }) });
    await hub.measureClocks();
  } catch (e) {
    await hub?.close();
    await s.dispose('failed', { error: (e as Error).message });
    throw e;
  }
  const h = hub;
  const pool = await attachWorkers(s, h.links(), o.version, h.describe()).catch(async (e) => {
    await h.close();
    throw e;
  });
  s.options.levelRunner = h.levelRunner(pool);
  const dispose = s.dispose.bind(s);
  s.dispose = async (status, result) => {
    try {
      await dispose(status, result);
    } finally {
      await h.close();
    }
  };
  return h;
}
