/**
 * The coordinator's side of load workers on other machines (--redis URL --expect-workers N): wait
 * for N worker processes to register, check their version, measure each one's clock mapping by
 * round trips before every level, and give the WorkerPool one link per worker thread. Heartbeats
 * with a TTL tell a dead worker; a Redis that goes away loses every link and leaves E_REDIS_LOST.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AgentdynoError, errorMessage, sleep } from '../core/index.js';
import type { LevelConfig, LevelEnv, LevelRun } from '../replay/index.js';
import { decode, encode } from './codec.js';
import type { WorkerLink } from './links.js';
import { mergeWorkerRuns } from './merge.js';
import type { WorkerPool } from './pool.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { CLOCK_AGREEMENT_MS, CLOCK_UNCERTAINTY_MS, HEARTBEAT_EVERY_MS, HEARTBEAT_TTL_MS, KEY, wallNowMs, type FromWorkerProcess, type ToWorkerProcess } from './redis-keys.js';

export interface ClockReading {
  name: string;
  /** Worker wall clock minus coordinator wall clock, ms. */
  offsetMs: number;
  /** Half the best round trip, ms. */
  uncertaintyMs: number;
}

interface Proc {
  name: string;
  version: string;
  threads: number;
  host: string;
  pid: number;
  /** coordinator monotonic ns = worker monotonic ns + shiftNs. */
  shiftNs: bigint;
  clock: ClockReading | null;
  links: RemoteLink[];
}

const redisOptions = { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (times: number) => (times > 3 ? null : 200) };

export function redisUnreachable(url: string, e: unknown): AgentdynoError {
  return new AgentdynoError(`cannot reach Redis at ${url}: ${errorMessage(e)}`, { code: 'E_REDIS_UNREACHABLE', where: url, hint: 'Start it (e.g. redis-server --port 6379) and check --redis redis://HOST:PORT.' });
}

export async function connectRedis(url: string): Promise<Redis> {
  const r = new Redis(url, redisOptions);
  r.on('error', () => undefined); // reported through the commands that fail
  try {
    await r.connect();
    return r;
  } catch (e) {
    r.disconnect();
    throw redisUnreachable(url, e);
  }
}

class RemoteLink implements WorkerLink {
  readonly inThread = true;
  readonly handlers: ((m: FromWorker) => void)[] = [];
  readonly lostFns: ((reason: string) => void)[] = [];
  gone = false;
  constructor(
    readonly id: string,
    private readonly proc: Proc,
    private readonly t: number,
    private readonly hub: RedisHub,
  ) {}
  get clockOffsetMs() {
    return this.proc.clock?.offsetMs;
  }
  get clockUncertaintyMs() {
    return this.proc.clock?.uncertaintyMs;
  }
  post(m: ToWorker): void {
    if (!this.gone) this.hub.send(this.proc.name, { kind: 'thread', t: this.t, m: encode(m, -this.proc.shiftNs) });
  }
  deliver(text: string): void {
    const m = decode<FromWorker>(text, this.proc.shiftNs);
    for (const f of this.handlers) f(m);
  }
  on(fn: (m: FromWorker) => void): void {
    this.handlers.push(fn);
  }
  onLost(fn: (reason: string) => void): void {
    this.lostFns.push(fn);
  }
  lose(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    for (const f of this.lostFns) f(reason);
  }
  async kill(): Promise<void> {
    throw new Error('a remote worker cannot be killed from the coordinator');
  }
  async close(): Promise<void> {
    await this.hub.release(this.proc.name);
  }
}

export class RedisHub {
  readonly session = randomUUID();
  private readonly procs = new Map<string, Proc>();
  private readonly pings = new Map<number, (p: { wallMs: number; monoNs: bigint; at: bigint; atWall: number }) => void>();
  private pingSeq = 0;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private released = new Set<string>();
  /** Set when Redis went away mid-run: the command ends with it after storing what finished. */
  lostError: AgentdynoError | null = null;

  private constructor(
    readonly url: string,
    private readonly cmd: Redis,
    private readonly blk: Redis,
  ) {}

  static async connect(url: string): Promise<RedisHub> {
    const cmd = await connectRedis(url);
    const blk = await connectRedis(url).catch((e) => {
      cmd.disconnect();
      throw e;
    });
    return new RedisHub(url, cmd, blk);
  }

  send(name: string, m: ToWorkerProcess): void {
    this.cmd.rpush(KEY.toWorker(name), JSON.stringify(m)).catch((e) => this.redisLost(e));
  }

  private redisLost(e: unknown): void {
    if (this.closed || this.lostError) return;
    this.lostError = new AgentdynoError(`Redis at ${this.url} went away mid-run (${errorMessage(e)})`, { code: 'E_REDIS_LOST', where: this.url, hint: 'The levels finished before it are stored and the run is marked failed; restart Redis and the workers, then rerun.' });
    for (const p of this.procs.values()) for (const l of p.links) l.lose(`Redis went away (${errorMessage(e)})`);
  }

  /** Read what workers say until closed. */
  private async pump(): Promise<void> {
    while (!this.closed) {
      let r: [string, string] | null;
      try {
        r = await this.blk.blpop(KEY.fromWorkers, 1);
      } catch (e) {
        if (!this.closed) this.redisLost(e);
        return;
      }
      if (!r) continue;
      let m: FromWorkerProcess;
      try {
        m = JSON.parse(r[1]) as FromWorkerProcess;
      } catch {
        continue;
      }
      this.onMessage(m);
    }
  }

  private pendingHellos: FromWorkerProcess[] = [];
  private onMessage(m: FromWorkerProcess): void {
    if (m.kind === 'hello') return void this.pendingHellos.push(m);
    if (m.session !== this.session) return; // another coordinator's, or an old session's
    if (m.kind === 'pong') return this.pings.get(m.id)?.({ wallMs: m.wallMs, monoNs: BigInt(m.monoNs), at: process.hrtime.bigint(), atWall: wallNowMs() });
    const p = this.procs.get(m.name);
    p?.links[m.t]?.deliver(m.m);
  }

  /** Wait until `n` worker processes registered (alive: heartbeat present), saying so; then check versions. */
  async waitForWorkers(n: number, opts: { version: string; timeoutMs: number; signal?: AbortSignal; onWait?: (text: string) => void }): Promise<void> {
    void this.pump();
    const t0 = Date.now();
    let lastSay = 0;
    while (this.procs.size < n) {
      if (this.lostError) throw this.lostError;
      if (opts.signal?.aborted) throw new AgentdynoError('interrupted while waiting for workers; nothing was measured', { code: 'E_INTERRUPTED' });
      for (const h of this.pendingHellos.splice(0)) {
        if (h.kind !== 'hello' || this.procs.has(h.name)) continue;
        const alive = await this.cmd.exists(KEY.workerHeartbeat(h.name)).catch((e) => (this.redisLost(e), 0));
        if (!alive) continue; // a stale hello of a worker that is gone
        if (h.version !== opts.version)
          throw new AgentdynoError(`worker ${h.name} (${h.host} pid ${h.pid}) runs agentdyno ${h.version}, the coordinator ${opts.version}`, { code: 'E_WORKER_MISMATCH', where: `worker ${h.name}`, hint: 'Run the same agentdyno release on every worker and the coordinator.' });
        const p: Proc = { name: h.name, version: h.version, threads: Math.max(1, h.threads), host: h.host, pid: h.pid, shiftNs: 0n, clock: null, links: [] };
        p.links = Array.from({ length: p.threads }, (_, t) => new RemoteLink(p.threads > 1 ? `${h.name}/${t}` : h.name, p, t, this));
        this.procs.set(h.name, p);
        this.send(h.name, { kind: 'welcome', session: this.session });
        opts.onWait?.(`worker ${h.name} registered (${h.host}, ${p.threads} thread${p.threads > 1 ? 's' : ''}); ${this.procs.size} of ${n}`);
      }
      if (this.procs.size >= n) break;
      const waited = Date.now() - t0;
      if (waited > opts.timeoutMs)
        throw new AgentdynoError(`only ${this.procs.size} of ${n} workers registered at ${this.url} within ${(opts.timeoutMs / 1000).toFixed(0)} s${this.procs.size ? ` (${[...this.procs.keys()].join(', ')})` : ''}`, { code: 'E_WORKERS_TIMEOUT', where: this.url,
          hint: 'Start `agentdyno worker --redis URL` on each load machine (same URL), or lower --expect-workers, or raise --workers-timeout.',
        });
      if (Date.now() - lastSay > 5000) {
        lastSay = Date.now();
        opts.onWait?.(`waiting for ${n - this.procs.size} more worker${n - this.procs.size > 1 ? 's' : ''} to register at ${this.url} (agentdyno worker --redis ${this.url}); ${(waited / 1000).toFixed(0)} s of ${(opts.timeoutMs / 1000).toFixed(0)} s`);
      }
      await sleep(100, opts.signal);
    }
    this.startHeartbeats();
  }

  private startHeartbeats(): void {
    const beat = () => this.cmd.set(KEY.coordinatorHeartbeat(this.session), '1', 'PX', HEARTBEAT_TTL_MS).catch((e) => this.redisLost(e));
    void beat();
    const check = async () => {
      void beat();
      for (const p of this.procs.values()) {
        if (this.released.has(p.name) || p.links.every((l) => l.gone)) continue;
        const alive = await this.cmd.exists(KEY.workerHeartbeat(p.name)).catch((e) => (this.redisLost(e), 1));
        if (!alive) for (const l of p.links) l.lose(`no heartbeat from ${p.name} (${p.host} pid ${p.pid}) within ${HEARTBEAT_TTL_MS / 1000} s`);
      }
    };
    const t = setInterval(() => void check(), HEARTBEAT_EVERY_MS);
    t.unref();
    this.timers.push(t);
  }

  links(): WorkerLink[] {
    return [...this.procs.values()].flatMap((p) => p.links);
  }

  /** Each worker's clock mapping from the best of `rounds` round trips; a worker that does not answer in 5 s is lost. */
  async measureClocks(rounds = 5): Promise<ClockReading[]> {
    const out: ClockReading[] = [];
    for (const p of this.procs.values()) {
      let best: { rttNs: bigint; shiftNs: bigint; offsetMs: number } | null = null;
      for (let i = 0; i < rounds; i++) {
        const id = ++this.pingSeq;
        const sentMono = process.hrtime.bigint();
        const sentWall = wallNowMs();
        const pong = await new Promise<{ wallMs: number; monoNs: bigint; at: bigint; atWall: number } | null>((resolve) => {
          const t = setTimeout(() => resolve(null), 5000);
          this.pings.set(id, (x) => (clearTimeout(t), resolve(x)));
          this.send(p.name, { kind: 'ping', id });
        });
        this.pings.delete(id);
        if (!pong) break;
        const rttNs = pong.at - sentMono;
        if (!best || rttNs < best.rttNs) best = { rttNs, shiftNs: (sentMono + pong.at) / 2n - pong.monoNs, offsetMs: pong.wallMs - (sentWall + pong.atWall) / 2 };
      }
      if (!best) {
        for (const l of p.links) l.lose(`${p.name} did not answer a clock round trip within 5 s`);
        continue;
      }
      p.shiftNs = best.shiftNs;
      p.clock = { name: p.name, offsetMs: best.offsetMs, uncertaintyMs: Number(best.rttNs) / 2e6 };
      out.push(p.clock);
    }
    return out;
  }

  /** Why a level cannot be timed across these workers (null: it can); see CLOCK_AGREEMENT_MS. */
  static clockProblem(rs: readonly ClockReading[]): string | null {
    const unsure = rs.filter((r) => r.uncertaintyMs > CLOCK_UNCERTAINTY_MS);
    if (unsure.length) return `clock mapping too uncertain for ${unsure.map((r) => `${r.name} (± ${r.uncertaintyMs.toFixed(1)} ms)`).join(', ')}: over ${CLOCK_UNCERTAINTY_MS} ms (half a Redis round trip); refused`;
    if (rs.length < 2) return null;
    const lo = rs.reduce((a, b) => (b.offsetMs < a.offsetMs ? b : a));
    const hi = rs.reduce((a, b) => (b.offsetMs > a.offsetMs ? b : a));
    if (hi.offsetMs - lo.offsetMs > CLOCK_AGREEMENT_MS)
      return `workers' clocks disagree by ${(hi.offsetMs - lo.offsetMs).toFixed(1)} ms (${hi.name} ${hi.offsetMs.toFixed(1)} ms, ${lo.name} ${lo.offsetMs.toFixed(1)} ms from the coordinator), over the ${CLOCK_AGREEMENT_MS} ms bound: sync their clocks (NTP/chrony); level refused`;
    return null;
  }

  /** The session's level runner: measure the clocks, refuse the level if they disagree, else run it on the pool. */
  levelRunner(pool: WorkerPool): (cfg: LevelConfig, env: LevelEnv) => Promise<LevelRun> {
    return async (cfg, env) => {
      const startNs = process.hrtime.bigint();
      const readings = await this.measureClocks();
      const problem = this.lostError ? this.lostError.message : RedisHub.clockProblem(readings);
      if (!problem) return pool.runLevel(cfg, env);
      const laneIds = cfg.lanes ? [...cfg.lanes] : Array.from({ length: cfg.concurrency }, (_, i) => i);
      return mergeWorkerRuns({ cfg, laneIds, runs: [], command: null, shares: new Map(this.links().map((l) => [l.id, 0])), faults: [problem], interrupted: false, startNs });
    };
  }

  describe(): string {
    const ps = [...this.procs.values()];
    return `load workers: ${ps.length} processes through Redis ${this.url} (${ps.map((p) => `${p.name} on ${p.host}, ${p.threads} thread${p.threads > 1 ? 's' : ''}${p.clock ? `, clock offset ${p.clock.offsetMs.toFixed(1)} ± ${p.clock.uncertaintyMs.toFixed(1)} ms` : ''}`).join('; ')}); lane i on worker thread i % ${ps.reduce((s, p) => s + p.threads, 0)}; stamps moved onto the coordinator's clock by a mapping measured before every level; levels refused past ${CLOCK_AGREEMENT_MS} ms of wall-clock disagreement or ${CLOCK_UNCERTAINTY_MS} ms of mapping uncertainty`;
  }

  /** Let one worker process go back to waiting for a coordinator (once, whatever its thread count). */
  async release(name: string): Promise<void> {
    if (this.released.has(name)) return;
    this.released.add(name);
    if (!this.lostError) await this.cmd.rpush(KEY.toWorker(name), JSON.stringify({ kind: 'bye' } satisfies ToWorkerProcess)).catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const p of this.procs.keys()) await this.release(p);
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.cmd.del(KEY.coordinatorHeartbeat(this.session)).catch(() => undefined);
    this.cmd.disconnect();
    this.blk.disconnect();
  }
}
