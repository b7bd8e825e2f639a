// One timing-canary check: the paced server in its own process, `agentdyno replay --target` at N
// lanes in another (the built CLI, dist/), then the replay's own canary lag against the true lag
// from the server's write log (compare.mjs). Used by run.mjs (the 500-stream bench) and by
// test/replay/timing-canary.test.ts (100 streams).
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compareTiming } from './compare.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'bin', 'run.js');
const run = promisify(execFile);

async function startPacedServer(env) {
  const child = spawn(process.execPath, [join(here, 'paced-server.mjs')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`paced server exited with ${c}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { port, stop };
}

/**
 * @param {{ streams: number, windowS?: number, warmupS?: number, tickMs?: number, outCap?: number, toolTimeScale?: number, extraArgs?: string[] }} o
 */
export async function timingCheck(o) {
  const dir = mkdtempSync(join(tmpdir(), 'agentdyno-canary-'));
  const log = join(dir, 'server-log.jsonl');
  const db = join(dir, 'run.db');
  const server = await startPacedServer({ LOG: log, TICK_MS: String(o.tickMs ?? 20), ...(o.outCap ? { OUT_CAP: String(o.outCap) } : {}) });
  try {
    const args = [cli, 'replay', '--target', `http://127.0.0.1:${server.port}`, '--concurrency', String(o.streams), '--window', String(o.windowS ?? 8), '--warmup', String(o.warmupS ?? 2),
      '--tool-time-scale', String(o.toolTimeScale ?? 0.1), '--db', db, '--json', ...(o.extraArgs ?? [])];
    const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
    const out = JSON.parse(stdout);
    await server.stop();
    const exp = JSON.parse((await run(process.execPath, [cli, 'results', 'export', out.runId, '--db', db, '--format', 'json'], { maxBuffer: 512 * 1024 * 1024 })).stdout);
    const serverLog = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const level = out.level;
    const cmp = compareTiming(serverLog, exp.requests, { startNs: level.windowStartNs, endNs: level.windowEndNs });
    return { streams: o.streams, simulated: out.simulated, canary: level.canary, coalescedCalls: level.coalescedCalls, callsInWindow: level.callsInWindow, saturation: level.saturation, valid: level.valid, tiers: level.tiers, ...cmp };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
