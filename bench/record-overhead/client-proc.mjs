// Child process: the load client. Closed-loop lanes (each sends its next request when the last
// one ends), a raw node:http client, stamps with process.hrtime.bigint() (CLOCK_MONOTONIC).
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
let seq = 0;

function one(base, id, payload) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const q = http.request(
      { host: u.hostname, port: u.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': id } },
      (res) => {
        let firstNs = 0;
        res.on('data', () => {
          if (!firstNs) firstNs = Number(process.hrtime.bigint());
        });
        res.on('end', () => resolve({ id, sendNs, flushedNs, firstNs, endNs: Number(process.hrtime.bigint()), status: res.statusCode }));
      },
    );
    q.on('error', reject);
    // 'finish': the whole request was handed to the kernel; if this is late, the client is.
    let flushedNs = 0;
    q.once('finish', () => (flushedNs = Number(process.hrtime.bigint())));
    const sendNs = Number(process.hrtime.bigint());
    q.end(payload);
  });
}

async function phase({ base, tag, lanes, perLane, maxTokens, systemPrompt, staggerMs }) {
  const out = [];
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      await new Promise((r) => setTimeout(r, (lane / lanes) * staggerMs));
      for (let k = 0; k < perLane; k++) {
        const id = `${tag}-${lane}-${k}-${seq++}`;
        const payload = JSON.stringify({
          model: 'bench',
          messages: [{ role: 'system', content: systemPrompt }, { role: 'user', content: `lane ${lane} request ${k} ${Math.random()}` }],
          max_tokens: maxTokens,
          stream: true,
        });
        out.push(await one(base, id, payload));
      }
    }),
  );
  return out;
}

// The client's own event-loop delay during a phase: if it is large, the client (sharing the cores)
// is late to read what the proxy already wrote, and that lateness lands in "added TTFT".
process.on('message', async (m) => {
  if (m.type === 'phase') {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const cpu0 = process.cpuUsage();
    const results = await phase(m);
    h.disable();
    const cpu = process.cpuUsage(cpu0);
    process.send({ type: 'done', results, loopDelayMs: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 }, cpuUs: cpu.user + cpu.system });
  }
  else if (m.type === 'close') {
    agent.destroy();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
