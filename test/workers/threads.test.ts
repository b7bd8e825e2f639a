/**
 * --workers K on worker threads against the simulator (fast profile, tiny trajectories): the merged
 * level agrees with a single-process level on the same seed, a worker of another version or
 * trajectory set is refused by name, and a worker killed mid-level makes the level invalid with
 * the reason (never a smaller N). Threads run the built dist/workers/thread.js (npm run build first);
 * without a build the links are in-process stand-ins and the same assertions hold.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentdynoError, monotonicClock, sleep } from '../../src/core/index.js';
import { evaluateLevel, openTarget, parseWorkers, runRealLevel, type SessionOptions, type Target } from '../../src/replay/index.js';
import { loadProfile, startSimServerInWorker, type SimServer } from '../../src/sim/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';
import { startLocalWorkers, trajectorySetHash, WorkerPool, type WorkerInit } from '../../src/workers/index.js';

const FIX = resolve(__dirname, '../fixtures/replay');
const FILES = [resolve(FIX, 'tiny.jsonl')];
const trajectories = loadTrajectories(FILES).map((l) => l.trajectory);
const tiers = [
  { sloTokPerS: 20, ttftCeilingMs: 10000 },
  { sloTokPerS: 60, ttftCeilingMs: 10000 },
];
let sim: SimServer;
let target: Target;

beforeAll(async () => {
  sim = await startSimServerInWorker({ profile: loadProfile(resolve(FIX, 'fast.yaml')), port: 0, seed: 3 });
  target = await openTarget({ target: sim.url, startEmbeddedSim: () => Promise.reject(new Error('not used')) });
}, 60_000);
afterAll(async () => {
  await target?.close();
  await sim?.close();
});

const options = (): SessionOptions => ({
  target,
  trajectories,
  tiers,
  slo: { callPassFraction: 0.9, agentPassFraction: 0.95 },
  validity: { ...DEFAULT_VALIDITY, minWindowS: 1 },
  level: { warmupS: 0.3, windowS: 3, drainCapS: 0.5, warmupCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 5, history: 'recorded', midStart: true },
  store: null,
  runId: 'test',
  sink: null,
  signal: new AbortController().signal,
});
const init = (over: Partial<WorkerInit> = {}): WorkerInit => ({
  version: 'test-version',
  url: target.url,
  model: target.model,
  requestTimeoutMs: 30_000,
  retries: 0,
  tokenModel: target.tokenModel,
  trajectoryFiles: FILES,
  trajectoryHash: trajectorySetHash(trajectories),
  canary: true,
  ...over,
});

describe('--workers K (threads)', () => {
  it('K = 2 merged equals K = 1 on the same seed: same verdict per tier, counts within the stated tolerance', async () => {
    const single = await runRealLevel(options(), 8);
    const pool = await WorkerPool.start(startLocalWorkers(2, 'test-version'), init());
    try {
      const o = { ...options(), levelRunner: pool.runLevel };
      const merged = await runRealLevel(o, 8);
      const r = merged.report;
      expect(r.workers?.map((w) => [w.id, w.lanes])).toEqual([
        ['w0', 4],
        ['w1', 4],
      ]);
      expect(merged.run.lanes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(new Set(merged.run.records.filter((x) => x.worker === 'w1').map((x) => x.lane))).toEqual(new Set([1, 3, 5, 7]));
      expect(r.agentsActive).toBe(single.report.agentsActive);
      // The verdict per tier agrees (this profile passes 20 tok/s and fails 60 tok/s by a wide margin).
      expect(r.tiers.map((t) => t.pass)).toEqual(single.report.tiers.map((t) => t.pass));
      expect(r.tiers.map((t) => t.pass)).toEqual([true, false]);
      // Calls in the window: the lanes' programs are the same (same seed), but which calls fall inside a
      // real-time 3 s window moves with the timer jitter and batching of a shared 2-core host: within 35%.
      const a = single.report.callsSentInWindow;
      const b = r.callsSentInWindow;
      expect(b).toBeGreaterThan(0);
      expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.35);
      // Each worker has its own canary; the merged one is the worst of them.
      const p99s = r.workers!.map((w) => w.canary!.p99Ms);
      expect(r.canary!.p99Ms).toBe(Math.max(...p99s));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('refuses a worker of another version, and one that loaded another trajectory set, naming it', async () => {
    const [other, hash] = await Promise.all([
      WorkerPool.start(startLocalWorkers(2, 'test-version'), init({ version: 'other-version' })).catch((e) => e),
      WorkerPool.start(startLocalWorkers(1, 'test-version'), init({ trajectoryHash: 'f'.repeat(64) })).catch((e) => e),
    ]);
    expect(other).toBeInstanceOf(AgentdynoError);
    expect((other as AgentdynoError).code).toBe('E_WORKER_MISMATCH');
    expect((other as AgentdynoError).message).toMatch(/worker w[01]/);
    expect((hash as AgentdynoError).code).toBe('E_WORKER_MISMATCH');
    expect((hash as AgentdynoError).message).toMatch(/trajectory set/);
  }, 30_000);

  it('a worker killed mid-level: the level is invalid with its id and a fatal reason, N stays the level\'s', async () => {
    const links = startLocalWorkers(2, 'test-version');
    const pool = await WorkerPool.start(links, init());
    try {
      const o = options();
      const run = await pool.runLevel(
        { concurrency: 6, warmupS: 0.3, windowS: 3, drainCapS: 0.5, warmupCapS: 20, lane: { seed: 5, trajectories, tokenModel: target.tokenModel, toolTimeScale: 1, maxIdleGapMs: 10_000, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 250 } },
        { clock: monotonicClock, sleep, send: () => Promise.reject(new Error('workers send')), onPhase: (p) => void (p === 'window' && links[1].kill()) },
      );
      const r = evaluateLevel(run, o.tiers, o.slo, o.validity);
      expect(r.valid).toBe(false);
      expect(r.concurrency).toBe(6);
      expect(r.fatal).toMatch(/worker w1 \(3 of 6 lanes\) was lost/);
      expect(r.reasons[0]).toMatch(/worker w1/);
      // Its lanes stay in the level (silent, not dropped): only w0's lanes have calls.
      expect(run.lanes).toEqual([0, 1, 2, 3, 4, 5]);
      expect(new Set(run.records.map((x) => x.lane))).toEqual(new Set([0, 2, 4]));
      // The pool refuses further levels.
      await expect(pool.runLevel({ concurrency: 2 } as never, {} as never)).rejects.toMatchObject({ code: 'E_WORKER_LOST' });
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('--workers: more workers than lanes is an error; the default leaves a core and is capped by the lanes', () => {
    expect(() => parseWorkers(9, 8, 16)).toThrow(expect.objectContaining({ code: 'E_USAGE_RANGE' }));
    expect(parseWorkers(undefined, 8, 16)).toEqual({ k: 8, defaulted: true });
    expect(parseWorkers(undefined, 100, 2)).toEqual({ k: 1, defaulted: true });
    expect(parseWorkers(undefined, 100, 1)).toEqual({ k: 1, defaulted: true });
    expect(parseWorkers(3, 100, 2)).toEqual({ k: 3, defaulted: false });
  });
});
