// Scaling of `agentdyno replay --workers K` against a paced server in another process: token
// events per wall second and per CPU-second (whole process, /usr/bin/time) with workers 1, 2, K,
// measured in the same run, each worker's timing canary p99 beside the validity gate, and the
// merged verdict. Events are counted from the server's own log (bench/timing-canary/paced-server.mjs).
//   npx tsc -p tsconfig.build.json && node bench/worker-scaling/run.mjs [--streams 500] [--workers 1,2,K] [--window 10]
//   node bench/worker-scaling/run.mjs --streams 10000 --workers 1,K --window 10   (the 10,000-lane row)
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, d) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : d);
const cores = os.availableParallelism();
const K = Math.max(2, cores - 1);
const streamsList = opt('--streams', '500').split(',').map(Number);
const workersList = opt('--workers', `1,2,${K}`).split(',').map((x) => (x === 'K' ? K : Number(x))).filter((x, i, a) => a.indexOf(x) === i);
const windowS = Number(opt('--window', '10'));
const warmupS = 2;
const outCap = 300;
const TTFT_CEILING_MS = 10000;
const GATE_MS = 0.1 * TTFT_CEILING_MS; // slo DEFAULT_VALIDITY.maxCanaryLagShare x the TTFT ceiling

async function pacedServer(log) {
  const child = spawn(process.execPath, [join(root, 'bench', 'timing-canary', 'paced-server.mjs')], { env: { ...process.env, LOG: log, OUT_CAP: String(outCap), TICK_MS: '20' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`paced server exited ${c}`)));
  });
  const stop = () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))));
  return { port, stop };
}

function timed(args) {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', ['-f', 'TIME %U %S %e', process.execPath, ...args], { maxBuffer: 1024 * 1024 * 1024, timeout: 20 * 60_000 }, (err, stdout, stderr) => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (!m) return reject(new Error(`replay failed: ${err?.message}\n${stderr.slice(-2000)}`));
      resolve({ cpuS: Number(m[1]) + Number(m[2]), wallS: Number(m[3]), stdout, failed: err ? stderr.slice(-300) : null });
    });
  });
}

async function one(n, k) {
  const dir = mkdtempSync(join(os.tmpdir(), 'agentdyno-worker-scaling-'));
  const log = join(dir, 'server.jsonl');
  const server = await pacedServer(log);
  try {
    const r = await timed([join(root, 'bin', 'run.js'), 'replay', '--target', `http://127.0.0.1:${server.port}`, '--concurrency', String(n), '--workers', String(k), '--window', String(windowS), '--warmup', String(warmupS), '--tool-time-scale', '0.1', '--db', join(dir, 'run.db'), '--json']);
    await server.stop();
    const lines = (existsSync(log) ? readFileSync(log, 'utf8') : '').trim().split('\n').filter(Boolean);
    const events = lines.reduce((s, l) => s + JSON.parse(l).tokens, 0);
    let lv = null;
    try {
      lv = JSON.parse(r.stdout).level;
    } catch {}
    return { n, k, events, ...r, lv };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(d));
console.log(`worker-scaling bench: ${cores} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; paced server (another process, sharing these CPUs): one token to every stream each 20 ms, ${outCap} tokens/call; replay --window ${windowS} --warmup ${warmupS} --tool-time-scale 0.1; canary gate ${GATE_MS} ms (10% of the ${TTFT_CEILING_MS} ms TTFT ceiling)`);
if (cores < 8) console.log(`NOTE: ${cores} CPUs cannot show 8-worker scaling: the paced server, the coordinator and the workers share ${cores} cores, so at most ~${cores - 1}x is possible in principle and less in practice; this shows what ${cores} cores can (the overhead and the merged verdict).`);
const load0 = os.loadavg()[0];
const rows = [];
for (const n of streamsList) for (const k of workersList) {
  rows.push(await one(n, k));
  process.stderr.write(`  done: ${n} streams x ${k} workers\n`);
}
console.log('\n| streams | workers | token events | wall s | CPU s | events / wall s | events / CPU s | vs 1 worker (events/s, events/CPU s) | canary p99 per worker vs gate | merged level |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const base = rows.find((x) => x.n === r.n && x.k === 1);
  const eps = r.events / r.wallS;
  const epc = r.events / r.cpuS;
  const ratio = base && base !== r ? `${f(eps / (base.events / base.wallS))}x, ${f(epc / (base.events / base.cpuS))}x` : '1.00x, 1.00x';
  const ws = r.lv?.workers ?? (r.lv?.canary ? [{ id: 'main', canary: r.lv.canary }] : []);
  const canary = ws.map((w) => `${w.id} ${f(w.canary?.p99Ms, 1)} ms${w.canary && w.canary.p99Ms > GATE_MS ? ' OVER' : ''}`).join(', ') || '-';
  const level = r.lv ? `${r.lv.valid ? 'valid' : `INVALID (${r.lv.reasons.join('; ').slice(0, 160)})`}; 20 tok/s ${r.lv.tiers[0].pass ? 'PASS' : 'FAIL'} ${f(r.lv.tiers[0].passRate * 100, 0)}%${r.lv.tiers[0].valid === false ? ` (tier invalid: ${r.lv.tiers[0].reasons.join('; ').slice(0, 160)})` : ''}` : `no JSON${r.failed ? `: ${r.failed.replace(/\n/g, ' ')}` : ''}`;
  console.log(`| ${r.n} | ${r.k} | ${r.events} | ${f(r.wallS, 1)} | ${f(r.cpuS)} | ${f(eps, 0)} | ${f(epc, 0)} | ${ratio} | ${canary} | ${level} |`);
}
console.log(`\nload average (1 min) before ${load0.toFixed(2)}, after ${os.loadavg()[0].toFixed(2)} on ${cores} CPUs (other processes share them: figures from a busy machine are noisy; ratios are within one run). Events per wall second are bounded by the paced server (one token per stream per 20 ms = ${'50 x streams'} events/s at most): a client that keeps up shows ~1.0x, scaling shows in events per CPU-second and in the canary.`);
