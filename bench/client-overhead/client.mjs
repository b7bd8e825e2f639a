// One bench client process: `agentdyno` (EndpointClient from dist/) or `raw` (node:http reading
// the same stream, no parsing in the hot path: just stamp + keep the chunk). N lanes send
// back-to-back streaming requests; CPU (process.cpuUsage) and token events are counted over a
// measurement window after a warm-up. Timing analysis happens after the window closes.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const cfg = JSON.parse(process.argv[2]);
const { mode, streams, port, warmupMs, measureMs, maxTokens } = cfg;
const baseUrl = `http://127.0.0.1:${port}`;
const reqBody = { api: 'chat', messages: [{ role: 'user', content: 'x' }], maxTokens, keepOutputText: true };

let stop = false;
let errors = 0;
const records = []; // agentdyno: RequestResult; raw: { times: bigint[], chunks: Buffer[] }

let sendOne;
let closeClient = async () => {};
/** agentdyno-native: the reader helper's CPU seconds (utime + stime from /proc), added to the client's. */
let helperCpuS = () => 0;
if (mode === 'agentdyno-native') {
  const { EndpointClient, nativeReaderCpuS } = await import('../../dist/endpoint/index.js');
  const client = new EndpointClient({ baseUrl, model: 'bench', timeoutMs: 60_000 }, { connections: streams + 16, transport: 'native' });
  helperCpuS = nativeReaderCpuS; // /proc/<helper pid>/stat utime + stime, in 1/CLK_TCK s
  sendOne = async () => {
    const r = await client.send(reqBody);
    if (!r.ok) errors++;
    records.push(r);
  };
  closeClient = () => client.close(true);
} else if (mode === 'agentdyno' || mode === 'agentdyno-net' || mode === 'agentdyno-undici' || mode === 'previous') {
  // previous: the client of the previous release, built into a worktree of main at PREV_DIST.
  const dist = mode === 'previous' ? process.env.PREV_DIST : '../../dist';
  const { EndpointClient } = await import(`${dist}/endpoint/index.js`);
  // agentdyno: this tree's default (the net transport); agentdyno-undici: undici; previous: its own default.
  const transport = mode === 'agentdyno-undici' ? 'undici' : mode === 'previous' ? undefined : 'net';
  const client = new EndpointClient({ baseUrl, model: 'bench', timeoutMs: 60_000 }, { connections: streams + 16, transport });
  sendOne = async () => {
    const r = await client.send(reqBody);
    if (!r.ok) errors++;
    records.push(r);
  };
  closeClient = () => client.close(true);
} else if (mode === 'net') {
  // node:net socket per lane, hand-written request, stamp + keep each read (no HTTP parser).
  const net = await import('node:net');
  const payload = JSON.stringify({ model: 'bench', messages: reqBody.messages, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } });
  const reqText = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
  const socks = [];
  const free = [];
  sendOne = () =>
    new Promise((resolve) => {
      let s = free.pop();
      if (!s) {
        s = net.connect(port, '127.0.0.1');
        s.setNoDelay(true);
        socks.push(s);
        s.on('data', (c) => {
          const rec = s.rec;
          rec.times.push(process.hrtime.bigint());
          rec.chunks.push(c);
          if (c.length >= 5 && c[c.length - 1] === 10 && c.toString('latin1', c.length - 5) === '0\r\n\r\n') {
            records.push(rec);
            free.push(s);
            s.done();
          }
        });
        s.on('error', () => { errors++; s.done?.(); });
      }
      s.rec = { times: [], chunks: [] };
      s.done = resolve;
      s.write(reqText);
    });
  closeClient = async () => socks.forEach((s) => s.destroy());
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const payload = JSON.stringify({ model: 'bench', messages: reqBody.messages, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  sendOne = () =>
    new Promise((resolve) => {
      const q = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers }, (res) => {
        const rec = { times: [], chunks: [] };
        res.on('data', (c) => {
          rec.times.push(process.hrtime.bigint());
          rec.chunks.push(c);
        });
        res.on('end', () => {
          records.push(rec);
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      q.on('error', () => {
        errors++;
        resolve();
      });
      q.end(payload);
    });
  closeClient = async () => agent.destroy();
}

async function lane(i) {
  // Stagger lane starts over one token interval so the load is not one synchronized burst.
  await new Promise((r) => setTimeout(r, (i % 50) * 0.4));
  while (!stop) await sendOne();
}

const loop = monitorEventLoopDelay({ resolution: 5 });
const lanes = Array.from({ length: streams }, (_, i) => lane(i));
await new Promise((r) => setTimeout(r, warmupMs));
loop.enable();
const cpu0 = process.cpuUsage();
const h0 = helperCpuS();
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, measureMs));
const cpu1 = process.cpuUsage(cpu0);
const h1 = helperCpuS();
const t1 = process.hrtime.bigint();
loop.disable();
stop = true;
await Promise.all(lanes);
await closeClient();

// ---- analysis (outside the window) ----
// Per token: arrival (client) and send (server), both CLOCK_MONOTONIC ns.
const errMs = [];
const lagMs = [];
let events = 0;
function addRequest(arr, send) {
  for (let j = 0; j < arr.length; j++) {
    if (arr[j] < t0 || arr[j] > t1) continue;
    events++;
    lagMs.push(Number(arr[j] - send[j]) / 1e6);
    if (j > 0) errMs.push(Number(arr[j] - arr[j - 1] - (send[j] - send[j - 1])) / 1e6);
  }
}
for (const rec of records) {
  if (mode.startsWith('agentdyno') || mode === 'previous') {
    const send = (rec.outputText ?? '').split(';').filter(Boolean).map(BigInt);
    const arr = [];
    for (let i = 0; i < rec.tokenChunkTimesNs.length; i++) for (let k = 0; k < rec.tokenChunkPieces[i]; k++) arr.push(rec.tokenChunkTimesNs[i]);
    if (arr.length === send.length) addRequest(arr, send);
    else errors++;
  } else {
    // A token's arrival is the chunk in which its event text completes.
    const text = Buffer.concat(rec.chunks).toString('utf8');
    const ends = [];
    let off = 0;
    for (const c of rec.chunks) ends.push((off += c.length));
    const arr = [];
    const send = [];
    const re = /"content":"(\d+);"/g;
    let m;
    let ci = 0;
    while ((m = re.exec(text))) {
      const end = m.index + m[0].length; // ASCII-only stream: char offset = byte offset
      while (ends[ci] < end) ci++;
      arr.push(rec.times[ci]);
      send.push(BigInt(m[1]));
    }
    addRequest(arr, send);
  }
}
const pct = (a, p) => {
  if (!a.length) return null;
  const s = Float64Array.from(a).sort();
  const idx = (p / 100) * (s.length - 1);
  const lo = Math.floor(idx);
  return s[lo] + (s[Math.ceil(idx)] - s[lo]) * (idx - lo);
};
const absErr = errMs.map(Math.abs);
const nodeCpuS = (cpu1.user + cpu1.system) / 1e6;
const helperS = h1 - h0;
const cpuS = nodeCpuS + helperS; // whole cost: the Node process plus (native) its reader helper
const wallS = Number(t1 - t0) / 1e9;
process.send({
  mode,
  streams,
  requests: records.length,
  errors,
  events,
  wallS,
  cpuS,
  nodeCpuS,
  helperCpuS: helperS,
  eventsPerS: events / wallS,
  eventsPerCoreS: events / cpuS,
  cpuPerEventUs: (cpuS * 1e6) / events,
  cpuUtil: cpuS / wallS,
  absErrP50Ms: pct(absErr, 50),
  absErrP99Ms: pct(absErr, 99),
  errP1Ms: pct(errMs, 1),
  errP99Ms: pct(errMs, 99),
  lagP50Ms: pct(lagMs, 50),
  lagP99Ms: pct(lagMs, 99),
  loopDelayP99Ms: loop.percentile(99) / 1e6,
});
