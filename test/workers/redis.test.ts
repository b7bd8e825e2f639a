/**
 * Several load machines through Redis (workers/redis-*.ts) on the simulator: Debian's redis-server
 * on a free port, `agentdyno worker` processes where the test needs a process of its own (another
 * version, another trajectory file, a skewed clock, a SIGKILL), in-process workers elsewhere (same
 * code, less start-up). Needs `npm run build` (the worker command runs from dist/).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { AgentdynoError, monotonicClock, sleep } from '../../src/core/index.js';
import { evaluateLevel, openTarget, type LevelConfig, type Target } from '../../src/replay/index.js';
import { loadProfile, startSimServerInWorker, type SimServer } from '../../src/sim/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';
import { RedisHub, runRedisWorker, trajectorySetHash, WorkerPool, type WorkerInit } from '../../src/workers/index.js';
import { HAS_REDIS, ROOT, startRedis, startWorkerProcess, stopProc, type RedisProc } from './redis-helpers.js';

if (!HAS_REDIS && process.env.CI !== 'true') console.log('SKIPPED: --redis tests of test/workers/redis.test.ts: redis-server is not installed (apt-get install redis-server)');
const d = HAS_REDIS || process.env.CI === 'true' ? describe : describe.skip;

const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const REL = 'test/fixtures/replay/tiny.jsonl';
const trajectories = loadTrajectories([path.join(ROOT, REL)]).map((l) => l.trajectory);
const tiers = [
  { sloTokPerS: 20, ttftCeilingMs: 10000 },
  { sloTokPerS: 60, ttftCeilingMs: 10000 },
];
const slo = { callPassFraction: 0.9, agentPassFraction: 0.95 };
const validity = { ...DEFAULT_VALIDITY, minWindowS: 1 };
let sim: SimServer;
let target: Target;
let redis: RedisProc;

const init = (): WorkerInit => ({ version: VERSION, url: target.url, model: target.model, requestTimeoutMs: 30_000, retries: 0, tokenModel: target.tokenModel, trajectoryFiles: [REL], trajectoryHash: trajectorySetHash(trajectories), canary: true });
const level = (n: number): LevelConfig => ({ concurrency: n, warmupS: 0.3, windowS: 3, drainCapS: 0.5, warmupCapS: 20, lane: { seed: 5, trajectories, tokenModel: target.tokenModel, toolTimeScale: 1, maxIdleGapMs: 10_000, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 250 } });

/** An in-process worker (same code as the command) that stops when the test ends. */
function inProcessWorker(name: string) {
  const ac = new AbortController();
  const done = runRedisWorker({ url: redis.url, name, threads: 1, version: VERSION, signal: ac.signal, say: () => undefined }).catch(() => undefined);
  return { stop: async () => (ac.abort(), await done) };
}

d('--redis workers', () => {
  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimServerInWorker({ profile: loadProfile(path.join(ROOT, 'test/fixtures/replay/fast.yaml')), port: 0, seed: 3 });
    target = await openTarget({ target: sim.url, startEmbeddedSim: () => Promise.reject(new Error('not used')) });
  }, 60_000);
  afterAll(async () => {
    await target?.close();
    await sim?.close();
    await redis?.stop();
  });

  it('no Redis at the URL: E_REDIS_UNREACHABLE; fewer workers than expected by the deadline: E_WORKERS_TIMEOUT', async () => {
    const port = Number(new URL(redis.url).port);
    await expect(RedisHub.connect(`redis://127.0.0.1:${port === 1 ? 2 : 1}`)).rejects.toMatchObject({ code: 'E_REDIS_UNREACHABLE' });
    const hub = await RedisHub.connect(redis.url);
    const said: string[] = [];
    try {
      await expect(hub.waitForWorkers(1, { version: VERSION, timeoutMs: 400, onWait: (t) => said.push(t) })).rejects.toMatchObject({ code: 'E_WORKERS_TIMEOUT' });
      expect(said[0]).toMatch(/waiting for 1 more worker to register/);
    } finally {
      await hub.close();
    }
  }, 20_000);

  it('two workers run one level together: merged, judged once, each with its clock offset', async () => {
    const a = inProcessWorker('a');
    const b = await startWorkerProcess(redis.url, 'b');
    const hub = await RedisHub.connect(redis.url);
    try {
      await hub.waitForWorkers(2, { version: VERSION, timeoutMs: 20_000 });
      const pool = await WorkerPool.start(hub.links(), init());
      const run = await hub.levelRunner(pool)(level(6), { clock: monotonicClock, sleep, send: () => Promise.reject(new Error('unused')) });
      const r = evaluateLevel(run, tiers, slo, validity);
      expect(r.fatal).toBeUndefined();
      expect(r.workers!.map((w) => [w.id, w.lanes])).toEqual([
        ['a', 3],
        ['b', 3],
      ]);
      // Same machine, so the measured wall offsets are small and their uncertainty is half a Redis round trip.
      for (const w of r.workers!) expect(Math.abs(w.clockOffsetMs!)).toBeLessThan(50);
      expect(new Set(run.records.filter((x) => x.worker === 'b').map((x) => x.lane))).toEqual(new Set([1, 3, 5]));
      // b's stamps were moved onto this process's clock: its window calls fall inside the commanded window.
      const bCalls = run.records.filter((x) => x.worker === 'b' && !x.warmup && x.tSchedNs >= run.windowStartNs && x.tSchedNs < run.windowEndNs);
      expect(bCalls.length).toBeGreaterThan(0);
      for (const c of bCalls) expect(c.result.tEndNs > run.startNs && c.result.tEndNs <= run.cutNs + 1_000_000_000n).toBe(true);
      expect(r.tiers.map((t) => t.pass)).toEqual([true, false]);
      await pool.close();
    } finally {
      await hub.close();
      await a.stop();
      await stopProc(b.proc);
    }
  }, 90_000);

  it('a worker whose wall clock is 10 s off: the level is refused with the reason, no load sent', async () => {
    const a = inProcessWorker('a2');
    const b = await startWorkerProcess(redis.url, 'skewed', { env: { AGENTDYNO_TEST_CLOCK_SKEW_MS: '10000' } });
    const hub = await RedisHub.connect(redis.url);
    try {
      await hub.waitForWorkers(2, { version: VERSION, timeoutMs: 20_000 });
      const pool = await WorkerPool.start(hub.links(), init());
      const run = await hub.levelRunner(pool)(level(4), { clock: monotonicClock, sleep, send: () => Promise.reject(new Error('unused')) });
      const r = evaluateLevel(run, tiers, slo, validity);
      expect(r.valid).toBe(false);
      const m = /clocks disagree by ([\d.]+) ms .*skewed/.exec(r.fatal ?? '');
      expect(m).not.toBeNull();
      // The 10 s push, measured through Redis round trips on one machine (within 100 ms of it).
      expect(Math.abs(Number(m![1]) - 10_000)).toBeLessThan(100);
      expect(run.records).toHaveLength(0);
      await pool.close();
    } finally {
      await hub.close();
      await a.stop();
      await stopProc(b.proc);
    }
  }, 60_000);

  it('another agentdyno version, or another trajectory set at the same path: refused, naming the worker', async () => {
    const old = await startWorkerProcess(redis.url, 'old', { env: { AGENTDYNO_TEST_REPORT_VERSION: '0.0.1' } });
    const hub = await RedisHub.connect(redis.url);
    try {
      const e = await hub.waitForWorkers(1, { version: VERSION, timeoutMs: 20_000 }).catch((x) => x);
      expect((e as AgentdynoError).code).toBe('E_WORKER_MISMATCH');
      expect((e as AgentdynoError).message).toMatch(/worker old .* runs agentdyno 0\.0\.1/);
    } finally {
      await hub.close();
      await stopProc(old.proc);
    }
    // Same relative path, other content (another mount): the hash differs.
    const dir = mkdtempSync(path.join(tmpdir(), 'agentdyno-other-'));
    mkdirSync(path.join(dir, path.dirname(REL)), { recursive: true });
    const lines = readFileSync(path.join(ROOT, REL), 'utf8').trim().split('\n');
    writeFileSync(path.join(dir, REL), `${lines.slice(0, -1).join('\n')}\n`);
    const other = await startWorkerProcess(redis.url, 'other', { cwd: dir });
    const hub2 = await RedisHub.connect(redis.url);
    try {
      await hub2.waitForWorkers(1, { version: VERSION, timeoutMs: 20_000 });
      const e = await WorkerPool.start(hub2.links(), init()).catch((x) => x);
      expect((e as AgentdynoError).code).toBe('E_WORKER_MISMATCH');
      expect((e as AgentdynoError).message).toMatch(/worker other .*another trajectory set/);
    } finally {
      await hub2.close();
      await stopProc(other.proc);
    }
  }, 60_000);

  it('a worker killed mid-level: the level is invalid with its name once its heartbeat expires', async () => {
    const a = inProcessWorker('a3');
    const b = await startWorkerProcess(redis.url, 'doomed');
    const hub = await RedisHub.connect(redis.url);
    try {
      await hub.waitForWorkers(2, { version: VERSION, timeoutMs: 20_000 });
      const pool = await WorkerPool.start(hub.links(), init());
      const run = await hub.levelRunner(pool)(level(4), { clock: monotonicClock, sleep, send: () => Promise.reject(new Error('unused')), onPhase: (p) => void (p === 'window' && b.proc.kill('SIGKILL')) });
      const r = evaluateLevel(run, tiers, slo, validity);
      expect(r.valid).toBe(false);
      expect(r.fatal).toMatch(/worker doomed \(2 of 4 lanes\) was lost .*no heartbeat from doomed/);
      expect(run.lanes).toEqual([0, 1, 2, 3]);
      await pool.close();
    } finally {
      await hub.close();
      await a.stop();
      await stopProc(b.proc);
    }
  }, 60_000);

  it('Redis killed mid-sweep: the sweep ends with E_REDIS_LOST, the finished level stored, the run marked failed', async () => {
    const own = await startRedis();
    const w = await startWorkerProcess(own.url, 'solo');
    const db = path.join(mkdtempSync(path.join(tmpdir(), 'agentdyno-redis-db-')), 'r.db');
    const args = ['sweep', '--quick', '--redis', own.url, '--expect-workers', '1', '--trajectories', REL, '--sim-profile', 'test/fixtures/replay/fast.yaml', '--window', '3', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1', '--max-levels', '4', '--idle-window', '0', '--no-plan', '--db', db, '--json'];
    const coord = spawn('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    coord.stdout!.on('data', (x) => (out += String(x)));
    const exited = new Promise<number | null>((resolve) => coord.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      coord.stderr!.on('data', (x) => {
        err += String(x);
        if (/level done/.test(err)) resolve();
      });
      void exited.then(() => resolve());
    });
    await stopProc(own.proc, 'SIGKILL');
    const code = await exited;
    await stopProc(w.proc, 'SIGKILL');
    expect(code).toBe(8);
    expect(JSON.parse(out).error.code).toBe('E_REDIS_LOST');
    const sql = new Database(db, { readonly: true });
    const runRow = sql.prepare('select status from runs').get() as { status: string };
    const levels = sql.prepare('select distinct level from sweep_points').all() as { level: number }[];
    sql.close();
    expect(runRow.status).toBe('failed');
    expect(levels.length).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
