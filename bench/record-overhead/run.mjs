// Record-overhead bench: time-to-first-token added by the recording proxy, at N concurrent streams.
//   npx tsc -p tsconfig.build.json && node bench/record-overhead/run.mjs [--streams 100] [--rounds 5]
// The sim runs in a worker thread (its own event loop); the client and the proxy share this process,
// as an agent and `agentdyno record` would not (so this is a pessimistic setup for the proxy).
// Direct and proxied rounds alternate so both see the same sim load. TTFT = first byte of the first
// SSE event carrying content, measured by a raw node:http client.
import http from 'node:http';
import { startRecordingProxy } from '../../dist/record/index.js';
import { startSimServerInWorker } from '../../dist/sim/index.js';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
const streams = arg('--streams', 100);
const rounds = arg('--rounds', 5);
const maxTokens = arg('--max-tokens', 32);

const sim = await startSimServerInWorker({ port: 0, seed: 1 });
const proxy = await startRecordingProxy({ upstream: sim.url, flushMs: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function one(base, i) {
  const u = new URL(base);
  const payload = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: `bench request ${i} ${Math.random()}` }], max_tokens: maxTokens, stream: true });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttft;
    const q = http.request({ host: u.hostname, port: u.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.on('data', (c) => {
        if (ttft === undefined && /"content":"[^"]/.test(c.toString())) ttft = Number(process.hrtime.bigint() - t0) / 1e6;
      });
      res.on('end', () => resolve(ttft ?? NaN));
    });
    q.on('error', reject);
    q.end(payload);
  });
}
const round = (base) => Promise.all(Array.from({ length: streams }, (_, i) => one(base, i)));
const pct = (xs, p) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

await round(sim.url); // warm-up
await round(proxy.url);
const direct = [];
const proxied = [];
for (let r = 0; r < rounds; r++) {
  direct.push(...(await round(sim.url)));
  proxied.push(...(await round(proxy.url)));
}
const f = (x) => x.toFixed(3);
console.log(`record-overhead: ${streams} concurrent streams x ${rounds} rounds, sim in a worker thread, max_tokens ${maxTokens}`);
console.log(`  TTFT direct : p50 ${f(pct(direct, 50))} ms  p99 ${f(pct(direct, 99))} ms`);
console.log(`  TTFT proxied: p50 ${f(pct(proxied, 50))} ms  p99 ${f(pct(proxied, 99))} ms`);
const added = pct(proxied, 99) - pct(direct, 99);
console.log(`  added p99 TTFT: ${f(added)} ms (target < 1 ms: ${added < 1 ? 'met' : 'NOT met'}); added p50: ${f(pct(proxied, 50) - pct(direct, 50))} ms`);
console.log(`  calls recorded: ${proxy.recorder.calls.length}`);
await proxy.close();
await sim.close();
agent.destroy();
