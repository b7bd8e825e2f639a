/**
 * End to end with the built CLI (dist/; `npm test` builds first): one simulator in a worker thread,
 * two `replay --shard I/2` processes started together with --start-at, each with its own database,
 * then `results merge`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { loadProfile, startSimServerInWorker, type SimServer } from '../../src/sim/index.js';

const ROOT = resolve(__dirname, '../..');
const FIX = resolve(ROOT, 'test/fixtures/replay');
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-scale-cli-'));
const cli = (args: string[], timeout = 120_000) => execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env: { CI: '1' } });
const N = 6;
let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServerInWorker({ profile: loadProfile(join(FIX, 'fast.yaml')), port: 0, seed: 1 });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sharded replay + results merge (built CLI)', () => {
  it('two shards started together merge into one N-lane level with disjoint lanes 0..N-1', async () => {
    // Far enough ahead for both processes to start and calibrate on a busy 2-core machine (a late
    // shard starts at once, and the merge then refuses windows overlapping < 90%). Each shard opens its
    // window on its own lanes' progress (no coordinator: that is --redis), so windows can open up to
    // a call apart; 8 s keeps that inside the 10% the merge allows.
    // (12 s was not enough once on a loaded CI machine: a shard reached its --start-at check 17 s late.)
    const startAt = new Date(Date.now() + 30_000).toISOString();
    const common = ['--concurrency', String(N), '--target', sim.url, '--trajectories', join(FIX, 'tiny.jsonl'), '--start-at', startAt, '--window', '8', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1', '--json'];
    const dbs = [join(dir, 'a.db'), join(dir, 'b.db')];
    const [r0, r1] = await Promise.all([cli(['replay', ...common, '--shard', '0/2', '--db', dbs[0]]), cli(['replay', ...common, '--shard', '1/2', '--db', dbs[1]])]);
    expect(r0.exitCode, r0.stderr).toBe(0);
    expect(r1.exitCode, r1.stderr).toBe(0);
    const s0 = JSON.parse(r0.stdout);
    const s1 = JSON.parse(r1.stdout);
    expect(s0.shard).toMatchObject({ index: 0, count: 2, concurrencyTotal: N, lanes: [0, 2, 4] });
    expect(s1.shard.lanes).toEqual([1, 3, 5]);

    // Stored rows carry global lane indices and the level's N; the run has a clock anchor and its shard config.
    const lanesIn = (db: string, runId: string) => {
      const st = openStore(db, { mustExist: true });
      try {
        const run = st.requireRun(runId);
        expect(run.clockAnchor).not.toBeNull();
        expect((run.config as { shard: { startAt: string } }).shard.startAt).toBe(startAt);
        const rows = st.getRequests(runId);
        expect(new Set(rows.map((r) => r.level))).toEqual(new Set([N]));
        return [...new Set(rows.map((r) => r.lane))];
      } finally {
        st.close();
      }
    };
    const l0 = lanesIn(dbs[0], s0.runId);
    const l1 = lanesIn(dbs[1], s1.runId);
    expect(l0.every((l) => l !== null && l % 2 === 0)).toBe(true);
    expect(l1.every((l) => l !== null && l % 2 === 1)).toBe(true);
    expect([...l0, ...l1].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const out = join(dir, 'merged.db');
    const m = await cli(['results', 'merge', '--from', dbs[0], '--from', dbs[1], '--db', out, '--json']);
    expect(m.exitCode, m.stderr + m.stdout).toBe(0);
    const merged = JSON.parse(m.stdout);
    expect(merged.merged.concurrency).toBe(N);
    expect(merged.merged.agentsActive).toBe(N);
    for (const t of merged.merged.tiers) expect(t.agentsActive).toBe(N);
    expect(merged.merged.shards.map((s: { lanesSeen: number[] }) => s.lanesSeen)).toEqual([[0, 2, 4], [1, 3, 5]]);
    expect(merged.merged.window.overlapFraction).toBeGreaterThanOrEqual(0.9);
    // The load started at the synchronized time, not before (windows placed through each run's clock anchor).
    for (const s of merged.merged.shards) expect(s.windowStartWallMs).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(merged.merged.vllm.ttftMs.count).toBe(s0.level.vllm.completed + s1.level.vllm.completed);
    expect(merged.merged.vllm.itlMs.count).toBeGreaterThan(0);
    expect(merged.merged.outputTokPerS).toBeCloseTo(s0.level.outputTokPerS + s1.level.outputTokPerS, 6);
    const st = openStore(out, { mustExist: true });
    try {
      const run = st.requireRun(merged.runId);
      expect(run.kind).toBe('replay-merged');
      expect((run.config as { shards: { runId: string }[] }).shards.map((s) => s.runId)).toEqual([s0.runId, s1.runId]);
      expect(st.getSweepPoints(merged.runId)).toHaveLength(2);
    } finally {
      st.close();
    }

    // One shard alone is refused, naming what is missing.
    const lone = await cli(['results', 'merge', '--from', dbs[0], '--db', out]);
    expect(lone.exitCode).not.toBe(0);
    expect(lone.stderr).toMatch(/shard 1 of 2 missing/);
    expect(lone.stderr).not.toMatch(/\n\s+at /);
  }, 240_000);

  it('refuses a --start-at in the past before doing anything', async () => {
    const r = await cli(['replay', '-c', '2', '--shard', '0/2', '--start-at', '2020-01-01T00:00:00Z', '--target', sim.url, '--db', join(dir, 'c.db')], 30_000);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/--start-at 2020-01-01T00:00:00\.000Z is .* in the past/);
  });
});
