// Record-overhead bench: time-to-first-token (TTFT) added by `agentdyno record` at N concurrent streams.
//   npx tsc -p tsconfig.build.json && node bench/record-overhead/run.mjs [--streams 100] [--rounds 3]
//     [--per-lane 4] [--max-tokens 32] [--system-kb 16] [--cpu-prof DIR] [--flush-ms 10000]
//     [--pipe-client http|undici]
// Four processes: the simulated server, the built proxy (dist/), a bare node:http pass-through
// (pipe-proc.mjs, the baseline), and the load client. Phases alternate direct / proxy / pipe with
// the same lanes (order rotated per round). Paired measurement per request on CLOCK_MONOTONIC
// (process.hrtime.bigint(), shared by processes on Linux): the pass-through stamps its hot path,
// the client stamps send and first byte, so
//   added TTFT = client TTFT - upstream TTFT as the pass-through saw it
//              = hop in + pre + post + hop out          (exactly; each printed)
// cancels the sim's batching noise request by request. README.md says what each line means.
import { fork } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const streams = Number(arg('--streams', 100));
const rounds = Number(arg('--rounds', 3));
const perLane = Number(arg('--per-lane', 4));
const maxTokens = Number(arg('--max-tokens', 32));
const systemKb = Number(arg('--system-kb', 16));
const flushMs = Number(arg('--flush-ms', 10_000));
const cpuProf = arg('--cpu-prof', undefined);
const TARGET_MS = 1;

const children = [];
let closing = false;
function child(script, env = {}, execArgv = []) {
  const p = fork(join(here, script), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  p.on('message', (m) => waiters.shift()?.(m));
  // A child that dies mid-run would leave the others waiting forever: stop everything.
  p.on('exit', (code, sig) => {
    if (closing) return;
    console.error(`record-overhead: ${script} exited (${code ?? sig}); stopping`);
    for (const c of children) c.kill();
    process.exit(1);
  });
  children.push(p);
  const next = () => new Promise((r) => waiters.push(r));
  return { p, next, ask: (m) => (p.send(m), next()) };
}
const exited = (c) => new Promise((r) => (c.p.exitCode !== null ? r() : c.p.once('exit', r)));

const sim = child('sim-proc.mjs');
const simUrl = (await sim.next()).url;
const outDir = mkdtempSync(join(tmpdir(), 'record-bench-'));
const outFile = join(outDir, 'rec.jsonl');
const proxy = child('proxy-proc.mjs', { UPSTREAM: simUrl, OUT: outFile, FLUSH_MS: String(flushMs) }, cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []);
const proxyUrl = (await proxy.next()).url;
const pipeClient = arg('--pipe-client', 'http');
const pipe = child('pipe-proc.mjs', { UPSTREAM: simUrl, PIPE_CLIENT: pipeClient });
const pipeUrl = (await pipe.next()).url;
const client = child('client-proc.mjs');
await client.next();

// A shared system prompt of systemKb KiB (prefix-cached by the sim), so request bodies have an
// agent-like size without making the sim prefill-bound.
const systemPrompt = Array.from({ length: Math.ceil((systemKb * 1024) / 6) }, (_, i) => `w${i % 1000}`).join(' ').slice(0, systemKb * 1024);
const urls = { direct: simUrl, proxy: proxyUrl, pipe: pipeUrl };
const procs = { sim, proxy, pipe };
const kinds = ['direct', 'proxy', 'pipe'];
const results = { direct: [], proxy: [], pipe: [] };
// Per phase kind: CPU (us) of each process, client CPU and event-loop delay, wall time.
const acc = Object.fromEntries(kinds.map((k) => [k, { cpu: { sim: [0, 0], proxy: [0, 0], pipe: [0, 0] }, clientCpuUs: 0, loop: [], passLoop: [], wallMs: 0, n: 0 }]));
const cpuNow = async () => Object.fromEntries(await Promise.all(Object.entries(procs).map(async ([k, c]) => [k, await c.ask({ type: 'cpu' })])));

async function phase(kind, tag, n = perLane, record = true) {
  const c0 = await cpuNow();
  const t0 = performance.now();
  const r = await client.ask({ type: 'phase', base: urls[kind], tag, lanes: streams, perLane: n, maxTokens, systemPrompt, staggerMs: 1000 });
  const wall = performance.now() - t0;
  const c1 = await cpuNow();
  if (!record) return;
  const a = acc[kind];
  for (const k of Object.keys(procs)) {
    a.cpu[k][0] += c1[k].user - c0[k].user;
    a.cpu[k][1] += c1[k].system - c0[k].system;
  }
  a.clientCpuUs += r.cpuUs;
  a.loop.push(r.loopDelayMs);
  if (kind !== 'direct') a.passLoop.push(c1[kind].loopDelayMs);
  a.wallMs += wall;
  a.n += r.results.length;
  results[kind].push(...r.results);
}

for (const k of kinds) await phase(k, `warm-${k}`, 1, false);
for (let r = 0; r < rounds; r++) for (let i = 0; i < kinds.length; i++) await phase(kinds[(i + r) % kinds.length], `${kinds[(i + r) % kinds.length]}${r}`);
const proxyRep = await proxy.ask({ type: 'report' });
const pipeRep = await pipe.ask({ type: 'report' });

const pct = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const ms = (ns) => ns / 1e6;
const ttft = (x) => ms(x.firstNs - x.sendNs);
function paired(list, timings) {
  const byId = new Map(timings.map((t) => [t[0], t]));
  const o = { added: [], clientFlush: [], hopIn: [], pre: [], bodyRead: [], post: [], hopOut: [], internal: [], bad: 0 };
  for (const x of list) {
    const t = byId.get(x.id);
    if (!t || !t[4] || !t[5] || x.status !== 200) {
      o.bad++;
      continue;
    }
    const [, arrived, bodyRead, upSent, upFirst, cliFirst] = t;
    o.added.push(ttft(x) - ms(upFirst - upSent));
    o.hopIn.push(ms(arrived - x.sendNs));
    if (x.flushedNs) o.clientFlush.push(ms(x.flushedNs - x.sendNs));
    o.pre.push(ms(upSent - arrived));
    if (bodyRead) o.bodyRead.push(ms(bodyRead - arrived));
    o.post.push(ms(cliFirst - upFirst));
    o.hopOut.push(ms(x.firstNs - cliFirst));
    o.internal.push(ms(upSent - arrived) + ms(cliFirst - upFirst));
  }
  return o;
}
const P = paired(results.proxy, proxyRep.timings);
const B = paired(results.pipe, pipeRep.timings);

const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '  n/a');
const row = (name, a, b) =>
  `  ${name.padEnd(38)}${[50, 99].map((p) => f(pct(a, p)).padStart(9)).join('')}${f(pct(a, 100)).padStart(9)}   |${[50, 99].map((p) => f(pct(b, p)).padStart(9)).join('')}${f(pct(b, 100)).padStart(9)}`;
const nCpu = cpus().length;
console.log(`record-overhead: ${streams} concurrent streams (closed-loop lanes) x ${perLane} requests x ${rounds} rounds per path, max_tokens ${maxTokens}, ${systemKb} KiB system prompt, proxy flush every ${flushMs} ms`);
console.log(`  processes: sim | agentdyno proxy (dist/${cpuProf ? ', --cpu-prof' : ''}) | bare pass-through (node:http in, ${pipeClient === 'undici' ? "undici dispatch" : 'node:http'} out) | client; ${nCpu} CPU(s) shared by all; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`  paired per request, ms (agentdyno ${P.added.length} requests${P.bad ? `, ${P.bad} unmatched/failed` : ''}; bare ${B.added.length}${B.bad ? `, ${B.bad} unmatched/failed` : ''}):`);
console.log(`  ${''.padEnd(38)}${'agentdyno proxy'.padStart(27)}   |${'bare pass-through'.padStart(27)}`);
console.log(`  ${''.padEnd(38)}${['p50', 'p99', 'max'].map((s) => s.padStart(9)).join('')}   |${['p50', 'p99', 'max'].map((s) => s.padStart(9)).join('')}`);
console.log(row('added TTFT (client - upstream) =', P.added, B.added));
console.log(row('  hop in: client send -> handler', P.hopIn, B.hopIn));
console.log(row('    (client: send -> request handed to kernel)', P.clientFlush, B.clientFlush));
console.log(row('  pre: handler -> upstream sent', P.pre, B.pre));
console.log(row('    (body read: handler -> whole body)', P.bodyRead, B.bodyRead));
console.log(row('  post: upstream byte -> client write', P.post, B.post));
console.log(row('  hop out: client write -> client read', P.hopOut, B.hopOut));
console.log(row('own code on the TTFT path (pre + post)', P.internal, B.internal));
const ratio = (p) => pct(P.added, p) / pct(B.added, p);
console.log(`  agentdyno added TTFT / bare pass-through added TTFT: p50 ${f(ratio(50), 2)}x  p99 ${f(ratio(99), 2)}x;  difference p50 ${f(pct(P.added, 50) - pct(B.added, 50))} ms  p99 ${f(pct(P.added, 99) - pct(B.added, 99))} ms`);

console.log(`  unpaired TTFT, ms (alternating phases; carries the sim's batching noise):`);
for (const k of kinds) console.log(`  ${`TTFT ${k}`.padEnd(38)}${[50, 99].map((p) => f(pct(results[k].map(ttft), p)).padStart(9)).join('')}${f(pct(results[k].map(ttft), 100)).padStart(9)}`);

console.log(`  CPU per request, ms (user + system), and machine load during each path's phases:`);
for (const k of kinds) {
  const a = acc[k];
  const per = (us) => f(us / 1000 / Math.max(1, a.n));
  const c = (p) => a.cpu[p][0] + a.cpu[p][1];
  const passKey = k === 'direct' ? undefined : k;
  const busyCores = (c('sim') + c('proxy') + c('pipe') + a.clientCpuUs) / 1000 / a.wallMs;
  const worst = (ls) => ({ p50: Math.max(...ls.map((l) => l.p50)), p99: Math.max(...ls.map((l) => l.p99)), max: Math.max(...ls.map((l) => l.max)) });
  const loop = worst(a.loop);
  const pl = passKey ? worst(a.passLoop) : undefined;
  console.log(
    `  ${k.padEnd(7)} sim ${per(c('sim'))}  ${passKey ? `${passKey === 'proxy' ? 'agentdyno' : 'bare'} ${per(c(passKey))} (user ${per(a.cpu[passKey][0])} sys ${per(a.cpu[passKey][1])})  ` : ''}client ${per(a.clientCpuUs)};  ${f(busyCores, 2)} of ${nCpu} cores busy;  event-loop delay (worst phase) client p50 ${f(loop.p50, 2)} p99 ${f(loop.p99, 2)} max ${f(loop.max, 1)} ms${pl ? `, ${passKey === 'proxy' ? 'agentdyno' : 'bare'} p50 ${f(pl.p50, 2)} p99 ${f(pl.p99, 2)} max ${f(pl.max, 1)} ms` : ''}`,
  );
}
const a99 = pct(P.added, 99);
console.log(`  target: p99 added TTFT < ${TARGET_MS} ms at ${streams} streams -> ${f(a99)} ms: ${a99 < TARGET_MS ? 'MET' : 'NOT MET'} (p50 ${f(pct(P.added, 50))} ms; bare pass-through p99 ${f(pct(B.added, 99))} ms on the same machine); calls recorded: ${proxyRep.calls}`);

closing = true;
for (const c of [client, proxy, pipe, sim]) c.p.send({ type: 'close' });
await Promise.all([client, proxy, pipe, sim].map(exited));
// The recording itself, as written on close: every proxied request must be in it.
const trajs = readFileSync(outFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const llm = trajs.reduce((n, t) => n + t.agents.reduce((m, a) => m + a.steps.filter((st) => st.type === 'llm').length, 0), 0);
const sent = results.proxy.length + streams; // measured + warm-up
console.log(`  recording: ${outFile}: ${trajs.length} trajectories, ${llm} LLM calls for ${sent} proxied requests: ${llm === sent ? 'none lost' : `${sent - llm} MISSING`}`);
