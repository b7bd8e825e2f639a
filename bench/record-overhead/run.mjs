// Record-overhead bench: time-to-first-token (TTFT) added by `agentdyno record` at N concurrent streams.
//   npx tsc -p tsconfig.build.json && node bench/record-overhead/run.mjs [--streams 100] [--rounds 3]
//     [--per-lane 4] [--max-tokens 32] [--system-kb 16] [--cpu-prof DIR] [--flush-ms 10000]
// Three processes, as in real use: the simulated server, the built proxy (dist/), the load client.
// Paired measurement per proxied request, on CLOCK_MONOTONIC (process.hrtime.bigint(), shared by
// processes on Linux): the proxy stamps its hot path, the client stamps send and first byte, so
//   added = client TTFT - upstream TTFT as the proxy saw it
// cancels the sim's batching noise request by request. It counts the extra loopback hop, the
// proxy's event-loop queueing and its work (and the client's own queueing of the proxy's writes, so
// it leans pessimistic). proxy-internal = (forwarded request - arrival) + (first byte to the client
// - first upstream byte): the proxy's own JavaScript on the TTFT path. Direct-vs-proxied phases
// (same lanes, alternating) are printed too as an unpaired cross-check; they carry the sim's noise.
import { fork } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
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

function child(script, env = {}, execArgv = []) {
  const p = fork(join(here, script), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  p.on('message', (m) => waiters.shift()?.(m));
  const next = () => new Promise((r) => waiters.push(r));
  return { p, next, ask: (m) => (p.send(m), next()) };
}
const exited = (c) => new Promise((r) => (c.p.exitCode !== null ? r() : c.p.once('exit', r)));

const sim = child('sim-proc.mjs');
const simUrl = (await sim.next()).url;
const outDir = mkdtempSync(join(tmpdir(), 'record-bench-'));
const proxy = child('proxy-proc.mjs', { UPSTREAM: simUrl, OUT: join(outDir, 'rec.jsonl'), FLUSH_MS: String(flushMs) }, cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []);
const proxyUrl = (await proxy.next()).url;
const client = child('client-proc.mjs');
await client.next();

// Paraphrase-free filler: a shared system prompt of systemKb KiB (prefix-cached by the sim), so
// request bodies have an agent-like size without making the sim prefill-bound.
const systemPrompt = Array.from({ length: Math.ceil((systemKb * 1024) / 6) }, (_, i) => `w${i % 1000}`).join(' ').slice(0, systemKb * 1024);
const phase = async (base, tag, lanes = streams, n = perLane) =>
  (await client.ask({ type: 'phase', base, tag, lanes, perLane: n, maxTokens, systemPrompt, staggerMs: 1000 })).results;

await phase(simUrl, 'warm-d', streams, 1);
await phase(proxyUrl, 'warm-p', streams, 1);
const direct = [];
const proxied = [];
for (let r = 0; r < rounds; r++) {
  await proxy.ask({ type: 'mark' });
  proxied.push(...(await phase(proxyUrl, `p${r}`)));
  await proxy.ask({ type: 'unmark' });
  direct.push(...(await phase(simUrl, `d${r}`)));
}
const rep = await proxy.ask({ type: 'report' });
const byId = new Map(rep.timings.map((t) => [t[0], t]));

const pct = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const ms = (ns) => ns / 1e6;
const ttft = (x) => ms(x.firstNs - x.sendNs);
const added = [];
const internal = [];
const pre = [];
const post = [];
let bad = 0;
for (const x of proxied) {
  const t = byId.get(x.id);
  if (!t || !t[3] || !t[4] || x.status !== 200) {
    bad++;
    continue;
  }
  const [, arrived, upSent, upFirst, cliFirst] = t;
  added.push(ttft(x) - ms(upFirst - upSent));
  pre.push(ms(upSent - arrived));
  post.push(ms(cliFirst - upFirst));
  internal.push(ms(upSent - arrived) + ms(cliFirst - upFirst));
}
const f = (x) => x.toFixed(3);
const line = (name, xs) => `  ${name.padEnd(34)} p50 ${f(pct(xs, 50)).padStart(8)} ms  p99 ${f(pct(xs, 99)).padStart(8)} ms  max ${f(pct(xs, 100)).padStart(8)} ms`;
const nCpu = cpus().length;
console.log(`record-overhead: ${streams} concurrent streams (closed-loop lanes) x ${perLane} requests x ${rounds} rounds, max_tokens ${maxTokens}, ${systemKb} KiB system prompt, proxy flush every ${flushMs} ms`);
console.log(`  processes: sim | proxy (dist/, own process${cpuProf ? ', --cpu-prof' : ''}) | client; machine: ${nCpu} CPU(s) shared by all three${nCpu <= 2 ? ' -- with 2 cores the three processes contend, so queueing inflates the tail; a real deployment gives the sim (GPU server) its own machine' : ''}`);
console.log(`  paired, per proxied request (${added.length} requests${bad ? `, ${bad} unmatched/failed` : ''}):`);
console.log(line('added TTFT (client - upstream)', added));
console.log(line('proxy-internal (pre + post)', internal));
console.log(line('  pre: arrival -> upstream sent', pre));
console.log(line('  post: upstream first -> client', post));
const cpuPerReqUs = rep.cpuUs / Math.max(1, rep.counted);
console.log(`  proxy CPU: ${(cpuPerReqUs / 1000).toFixed(3)} ms per request (${rep.counted} requests, ${(rep.cpuUs / 1e6).toFixed(2)} s CPU; ${maxTokens}-token streams, user+system)`);
console.log(`  unpaired cross-check (alternating phases, carries the sim's batching noise):`);
console.log(line('TTFT direct', direct.map(ttft)));
console.log(line('TTFT proxied', proxied.map(ttft)));
const a99 = pct(added, 99);
console.log(`  target: p99 added TTFT < ${TARGET_MS} ms at ${streams} streams -> ${f(a99)} ms: ${a99 < TARGET_MS ? 'MET' : 'NOT MET'} (p50 ${f(pct(added, 50))} ms); calls recorded: ${rep.calls}`);

await client.ask({ type: 'close' }).catch(() => {});
proxy.p.send({ type: 'close' });
sim.p.send({ type: 'close' });
await Promise.all([exited(proxy), exited(sim), exited(client)]);
