/**
 * Real stored runs of every kind, made with the built CLI (dist/; `npm test` builds first): a
 * `sweep --quick` on the embedded simulator, a replay, two shards merged, a budget bench, a power
 * record, a suite, loop runs, an EFC fit over them and a `sim plan`. Made once per build (cached in the temp
 * folder under a key of dist's newest file time) because they take about two minutes on 2 cores;
 * test files share them through a lock folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadProfile, startSimServerInWorker } from '../../src/sim/index.js';

export const ROOT = path.resolve(__dirname, '../..');
const FIX = path.join(ROOT, 'test/fixtures/replay');

export interface FixtureRuns {
  db: string;
  dir: string;
  ids: { sweep: string; replay: string; merged: string; budget: string; power: string; suite: string; loops: string[]; efc: string; plan: string };
}

export const cli = (args: string[], timeout = 180_000) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env: { CI: '1' } });

function buildKey(): string {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'dist'));
  return String(Math.round(newest));
}

async function ok(args: string[]): Promise<Record<string, unknown>> {
  const r = await cli([...args, '--json']);
  if (r.exitCode !== 0) throw new Error(`agentdyno ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-2000)} ${r.stdout.slice(-1000)}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function make(dir: string): Promise<FixtureRuns> {
  const db = path.join(dir, 'runs.db');
  // Short trajectories on a fast profile: real runs of every phase, in seconds rather than minutes.
  const short = ['--trajectories', path.join(FIX, 'tiny.jsonl'), '--sim-profile', path.join(FIX, 'fast.yaml'), '--window', '3', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1'];
  const sweep = await ok(['sweep', '--quick', ...short, '--max-levels', '3', '--idle-window', '1', '--db', db]);
  const replay = await ok(['replay', '--concurrency', '4', '--quick', ...short, '--db', db]);
  const budget = await ok(['budget', 'bench', '--trials', '8', '--db', db]);
  const plan = await ok(['sim', 'plan', '--max-levels', '3', '--window', '20', '--warmup', '5', '--drain-cap', '5', '--start', '4', '--db', db]);
  const power = await ok(['power', 'record', '--source', 'nameplate:watts=500', '--duration', '1s', '--db', db]);
  // Shards need one target and one start time (as in test/scale/cli.test.ts).
  const sim = await startSimServerInWorker({ profile: loadProfile(path.join(FIX, 'fast.yaml')), port: 0, seed: 1 });
  let merged: Record<string, unknown>;
  try {
    const startAt = new Date(Date.now() + 12_000).toISOString();
    const common = ['replay', '--concurrency', '4', '--target', sim.url, '--trajectories', path.join(FIX, 'tiny.jsonl'), '--start-at', startAt, '--window', '3', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1'];
    const shards = [path.join(dir, 's0.db'), path.join(dir, 's1.db')];
    await Promise.all([ok([...common, '--shard', '0/2', '--db', shards[0]]), ok([...common, '--shard', '1/2', '--db', shards[1]])]);
    merged = await ok(['results', 'merge', '--from', shards[0], '--from', shards[1], '--db', db]);
  } finally {
    await sim.close();
  }
  const suite = await ok(['suite', 'run', 'tasks/system/compress-tune', '--iterations', '2', '--db', db]);
  const loops = [String((suite.results as { runId: string }[])[0].runId)];
  for (const [it, fb] of [['1', 'terse'], ['3', 'rich'], ['1', 'rich']]) loops.push(String((await ok(['loop', 'run', '--task', 'system/compress-tune', '--iterations', it, '--feedback', fb, '--db', db])).runId));
  const efc = await ok(['efc', 'fit', ...loops, '--reps', '100', '--db', db, '--out', path.join(dir, 'fit.svg')]);
  return {
    db,
    dir,
    ids: { sweep: String(sweep.runId), replay: String(replay.runId), merged: String(merged.runId), budget: String((budget as { runId: string }).runId), power: String(power.runId), suite: String(suite.runId), loops, efc: String(efc.runId), plan: String(plan.runId) },
  };
}

/** The fixture runs of the current build (made now if this build has none yet). */
export async function fixtureRuns(): Promise<FixtureRuns> {
  const base = path.join(os.tmpdir(), `agentdyno-report-fixtures-${buildKey()}`);
  const done = path.join(base, 'runs.json');
  const lock = `${base}.lock`;
  for (let waited = 0; ; waited += 1000) {
    if (fs.existsSync(done)) return JSON.parse(fs.readFileSync(done, 'utf8')) as FixtureRuns;
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is making them; a lock older than 10 minutes is a crashed maker.
      if (Date.now() - fs.statSync(lock).mtimeMs > 600_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true });
    const runs = await make(base);
    fs.writeFileSync(done, JSON.stringify(runs));
    return runs;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
