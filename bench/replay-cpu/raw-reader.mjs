// The baseline: N lanes of back-to-back streaming chat requests read with node:http and no parsing
// (stamp + keep each chunk, as bench/client-overhead's raw mode). `--net`: the same over node:net
// with a hand-written request (no HTTP parser at all: the floor of a JavaScript reader).
// argv: port streams seconds maxTokens [--net]
import http from 'node:http';
import net from 'node:net';

const [port, streams, seconds, maxTokens] = process.argv.slice(2, 6).map(Number);
const useNet = process.argv.includes('--net');
const payload = JSON.stringify({ model: 'paced', messages: [{ role: 'user', content: 'x' }], max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
const reqText = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
let stop = false;
const kept = [];

function httpOne() {
  return new Promise((resolve) => {
    const q = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers }, (res) => {
      const rec = { times: [], chunks: [] };
      res.on('data', (c) => {
        rec.times.push(process.hrtime.bigint());
        rec.chunks.push(c);
      });
      res.on('end', () => resolve(kept.push(rec)));
      res.on('error', resolve);
    });
    q.on('error', resolve);
    q.end(payload);
  });
}

async function netLane() {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  let rec;
  let done;
  s.on('data', (c) => {
    rec.times.push(process.hrtime.bigint());
    rec.chunks.push(c);
    // The paced server ends each chunked response with 0\r\n\r\n (node:http server).
    if (c.length >= 5 && c[c.length - 1] === 10 && c.toString('latin1', c.length - 5) === '0\r\n\r\n') done();
  });
  s.on('error', () => done?.());
  while (!stop) {
    rec = { times: [], chunks: [] };
    await new Promise((r) => {
      done = r;
      s.write(reqText);
    });
    kept.push(rec);
    if (kept.length > 4096) kept.length = 0;
  }
  s.destroy();
}

async function lane(i) {
  await new Promise((r) => setTimeout(r, (i % 50) * 0.4));
  if (useNet) return netLane();
  while (!stop) {
    await httpOne();
    if (kept.length > 4096) kept.length = 0; // keep memory flat; the records are not analysed
  }
}
const lanes = Array.from({ length: streams }, (_, i) => lane(i));
setTimeout(() => (stop = true), seconds * 1000);
await Promise.all(lanes);
agent.destroy();
