// Whole-process CPU per token event of `agentdyno replay` against a paced server in another process,
// beside a raw node:http reader, a raw node:net reader and the previous release's replay, all
// measured in the same run on the same server. Every figure is whole-process: user + system CPU of
// the process from exec to exit (/usr/bin/time), startup, setup probes, prompt synthesis, the
// timing canary's worker and the store included. Events = token events the server wrote, counted
// from its own log (bench/timing-canary/paced-server.mjs, LOG=), so no client's count is trusted.
//   npx tsc -p tsconfig.build.json && node bench/replay-cpu/run.mjs [--levels 100,500,2000] [--window 10]
//   --quick: 100 / 500 / 2,000 streams, window 8 s, rows raw-http, previous, replay (~4 min on 2 busy cores)
//   PREV_ROOT=/path/to/previous/build (a tree with bin/ and dist/ of the previous release; without
//   it the "previous" rows are skipped).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, d) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : d);
const quick = argv.includes('--quick');
const levels = opt('--levels', '100,500,2000').split(',').map(Number);
const windowS = Number(opt('--window', quick ? '8' : '10')); // replay refuses a window under one call cycle (7.2 s here)
const warmupS = quick ? 1 : 2;
const outCap = 300;
const prevRoot = process.env.PREV_ROOT ?? null;
// replay: this tree's default transport (net); replay-undici: AGENTDYNO_TRANSPORT=undici;
// replay-parse: the default with the byte scanner off (AGENTDYNO_JSON_SCAN=0: every event JSON.parsed).
const variants = opt('--variants', quick ? 'raw-http,previous,replay' : 'raw-http,raw-net,previous,replay,replay-undici').split(',').filter((v) => v !== 'previous' || (prevRoot && existsSync(join(prevRoot, 'bin', 'run.js'))));

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

function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', ['-f', 'TIME %U %S %e', cmd, ...args], { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (!m) return reject(new Error(`${cmd} ${args.join(' ')} failed: ${err?.message}\n${stderr.slice(-2000)}`));
      resolve({ cpuS: Number(m[1]) + Number(m[2]), wallS: Number(m[3]), stdout, failed: err ? stderr.slice(-500) : null });
    });
  });
}

async function one(variant, n) {
  const dir = mkdtempSync(join(os.tmpdir(), 'agentdyno-replay-cpu-'));
  const log = join(dir, 'server.jsonl');
  const server = await pacedServer(log);
  try {
    const target = `http://127.0.0.1:${server.port}`;
    const replayArgs = (bin) => [join(bin, 'bin', 'run.js'), 'replay', '--target', target, '--concurrency', String(n), '--window', String(windowS), '--warmup', String(warmupS), '--tool-time-scale', '0.1', '--db', join(dir, 'run.db'), '--json'];
    let r;
    if (variant === 'raw-http' || variant === 'raw-net')
      r = await timed(process.execPath, [join(here, 'raw-reader.mjs'), String(server.port), String(n), String(warmupS + windowS + 2), String(outCap), ...(variant === 'raw-net' ? ['--net'] : [])]);
    else if (variant === 'previous') r = await timed(process.execPath, replayArgs(prevRoot), {});
    else r = await timed(process.execPath, replayArgs(root), variant === 'replay-net' ? { AGENTDYNO_TRANSPORT: 'net' } : variant === 'replay-undici' ? { AGENTDYNO_TRANSPORT: 'undici' } : variant === 'replay-parse' ? { AGENTDYNO_JSON_SCAN: '0' } : {});
    await server.stop();
    const lines = (existsSync(log) ? readFileSync(log, 'utf8') : '').trim().split('\n').filter(Boolean);
    const events = lines.reduce((s, l) => s + JSON.parse(l).tokens, 0);
    let verdict = '';
    if (variant.startsWith('replay') || variant === 'previous') {
      try {
        const lv = JSON.parse(r.stdout).level;
        verdict = `${lv.valid ? 'valid' : 'INVALID'}; canary p99 ${lv.canary?.p99Ms?.toFixed(1) ?? '-'} ms`;
      } catch {
        verdict = 'no JSON';
      }
    }
    return { variant, n, events, ...r, verdict };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`replay-cpu bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; paced server: one token to every stream each 20 ms, ${outCap} tokens/call; replay --window ${windowS} --warmup ${warmupS} --tool-time-scale 0.1`);
console.log(`previous release: ${prevRoot ?? '(PREV_ROOT not set: skipped)'}`);
const load0 = os.loadavg()[0];
const rows = [];
for (const n of levels) for (const v of variants) {
  rows.push(await one(v, n));
  process.stderr.write(`  done: ${v} x ${n}\n`);
}
const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(d));
console.log('\n| streams | process | token events | CPU s | wall s | events / CPU s | events / CPU s vs raw node:http | vs previous replay | level |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const eps = r.events / r.cpuS;
  const raw = rows.find((x) => x.n === r.n && x.variant === 'raw-http');
  const prev = rows.find((x) => x.n === r.n && x.variant === 'previous');
  console.log(`| ${r.n} | ${r.variant} | ${r.events} | ${f(r.cpuS)} | ${f(r.wallS, 1)} | ${f(eps, 0)} | ${raw ? `${f(eps / (raw.events / raw.cpuS))}x` : '-'} | ${prev ? `${f(eps / (prev.events / prev.cpuS))}x` : '-'} | ${r.verdict}${r.failed ? ` (exit: ${r.failed.replace(/\n/g, ' ').slice(0, 120)})` : ''} |`);
}
const load1 = os.loadavg()[0];
console.log(`\nload average (1 min) before ${load0.toFixed(2)}, after ${load1.toFixed(2)} on ${os.cpus().length} CPUs (other processes share them: figures from a busy machine are noisy; ratios are within one run).`);
console.log('events / CPU s: token events the server wrote (its own log) per CPU-second of the whole client process (/usr/bin/time user + sys, exec to exit). Higher is better; "vs" columns divide by that row\'s figure at the same streams.');
console.log('The issue-16 target, CPU per event <= 0.55x the raw node:http reader, is events / CPU s vs raw >= 1.82x.');
const cores = os.cpus().length;
console.log(`Cannot show: one process on one core (${cores} CPUs here, shared with the paced server and with other work), so no worker scaling; rows whose wall time is well past window + warm-up ran on a saturated core, where the level's own canary says whether it could be judged.`);
