/**
 * `agentdyno worker --redis URL`: a load machine's process. It registers (hello + a heartbeat key
 * with a TTL), waits for a coordinator, answers its clock round trips, and relays the protocol
 * between Redis and its K local workers (threads; one in-process worker for K = 1), which run the
 * lanes exactly as --workers threads do. When the coordinator says bye or its heartbeat expires,
 * the process registers again and waits for the next one.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { AgentdynoError, errorMessage, sleep } from '../core/index.js';
import { connectRedis } from './redis-hub.js';
import { startLocalWorkers, startInProcessWorker, type WorkerLink } from './links.js';
import { decode, encode } from './codec.js';
import type { ToWorker } from './protocol.js';
import { HEARTBEAT_EVERY_MS, HEARTBEAT_TTL_MS, KEY, wallNowMs, type FromWorkerProcess, type ToWorkerProcess } from './redis-keys.js';

export interface RedisWorkerOptions {
  url: string;
  name: string;
  threads: number;
  version: string;
  signal: AbortSignal;
  say: (text: string) => void;
}

export async function runRedisWorker(o: RedisWorkerOptions): Promise<void> {
  const cmd = await connectRedis(o.url);
  let blk: Redis;
  try {
    blk = await connectRedis(o.url);
  } catch (e) {
    cmd.disconnect();
    throw e;
  }
  const lost = (e: unknown) => new AgentdynoError(`Redis at ${o.url} went away (${errorMessage(e)})`, { code: 'E_REDIS_LOST', where: o.url, hint: 'Restart Redis, then this worker.' });
  const push = (m: FromWorkerProcess) => cmd.rpush(KEY.fromWorkers, JSON.stringify(m)).catch(() => undefined);
  let heartbeatError: unknown = null;
  const beat = () => cmd.set(KEY.workerHeartbeat(o.name), '1', 'PX', HEARTBEAT_TTL_MS).catch((e) => (heartbeatError = e));
  await beat();
  const hb = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
  try {
    while (!o.signal.aborted) {
      // One coordinator session: fresh workers, so nothing of the previous one leaks in.
      await cmd.del(KEY.toWorker(o.name));
      const links: WorkerLink[] = o.threads > 1 ? startLocalWorkers(o.threads, o.version) : [startInProcessWorker('w0', o.version)];
      let session: string | null = null;
      // The level each thread runs, so a thread that dies is reported against it at once (not after the result deadline).
      const levelOf = new Map<number, number>();
      links.forEach((l, t) => {
        l.on((m) => session && void push({ kind: 'thread', name: o.name, session, t, m: encode(m) }));
        l.onLost((reason) => {
          o.say(`worker thread ${t} was lost: ${reason}`);
          const levelId = levelOf.get(t);
          if (session && levelId !== undefined) void push({ kind: 'thread', name: o.name, session, t, m: encode({ type: 'error', levelId, code: 'E_WORKER_LOST', message: `load thread ${t} of ${o.name} was lost: ${reason}` }) });
        });
      });
      await push({ kind: 'hello', name: o.name, version: process.env.AGENTDYNO_TEST_REPORT_VERSION ?? o.version, threads: links.length, host: hostname(), pid: process.pid });
      o.say(`registered as ${o.name} (${links.length} load thread${links.length > 1 ? 's' : ''}) at ${o.url}; waiting for a coordinator (agentdyno sweep --redis ${o.url} --expect-workers N)`);
      let lastCoordCheck = Date.now();
      for (;;) {
        if (o.signal.aborted) break;
        if (heartbeatError) throw lost(heartbeatError);
        let r: [string, string] | null;
        try {
          r = await blk.blpop(KEY.toWorker(o.name), 1);
        } catch (e) {
          if (o.signal.aborted) break;
          throw lost(e);
        }
        // The coordinator died without a bye: its heartbeat key expired; go back to waiting.
        if (session && Date.now() - lastCoordCheck > HEARTBEAT_EVERY_MS) {
          lastCoordCheck = Date.now();
          if (!(await cmd.exists(KEY.coordinatorHeartbeat(session)).catch(() => 1))) {
            o.say(`coordinator ${session} went silent (no heartbeat within ${HEARTBEAT_TTL_MS / 1000} s); registering again`);
            break;
          }
        }
        if (!r) continue;
        const m = JSON.parse(r[1]) as ToWorkerProcess;
        if (m.kind === 'welcome') {
          session = m.session;
          o.say(`coordinator ${session} took this worker; waiting for levels`);
        } else if (m.kind === 'ping' && session) {
          const monoNs = process.hrtime.bigint();
          await push({ kind: 'pong', name: o.name, session, id: m.id, wallMs: wallNowMs(), monoNs: monoNs.toString() });
        } else if (m.kind === 'thread') {
          const msg = decode<ToWorker>(m.m);
          if (msg.type === 'level') levelOf.set(m.t, msg.levelId);
          links[m.t]?.post(msg);
        }
        else if (m.kind === 'bye') {
          o.say('the coordinator is done with this worker');
          break;
        }
      }
      await Promise.all(links.map((l) => l.close().catch(() => undefined)));
      if (!o.signal.aborted) await sleep(100, o.signal);
    }
  } finally {
    clearInterval(hb);
    await cmd.del(KEY.workerHeartbeat(o.name)).catch(() => undefined);
    cmd.disconnect();
    blk.disconnect();
  }
}
