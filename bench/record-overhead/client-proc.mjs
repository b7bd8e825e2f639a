// Child process: the load client. Closed-loop lanes (each sends its next request when the last
// one ends), a raw node:http client, stamps with process.hrtime.bigint() (CLOCK_MONOTONIC).
import http from 'node:http';

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
        res.on('end', () => resolve({ id, sendNs, firstNs, endNs: Number(process.hrtime.bigint()), status: res.statusCode }));
      },
    );
    q.on('error', reject);
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

process.on('message', async (m) => {
  if (m.type === 'phase') process.send({ type: 'done', results: await phase(m) });
  else if (m.type === 'close') {
    agent.destroy();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
