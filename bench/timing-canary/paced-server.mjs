// An independent paced OpenAI-compatible server, run in its own process, that logs its own write
// times: the ground truth for the timing-canary check (bench/timing-canary/run.mjs and
// test/replay/timing-canary.test.ts). Written without any agentdyno code.
//
// Like a batched engine, one global step every TICK_MS writes one token to every open stream, in
// one burst; a request's first token goes out on the first step after its body arrived. Output is
// always exactly max_tokens (ignore_eos honoured), usage is sent, prompt tokens are whitespace
// words + 3 per message + 3 per request (/tokenize answers the same count).
//
// Log (LOG env, JSON lines, flushed every second and on SIGTERM/SIGINT): one line per finished
// stream, {id, recvNs, firstNs, lastNs, tokens}: recvNs = process.hrtime.bigint() when the request
// body was complete, firstNs/lastNs = process.hrtime.bigint() taken immediately before the write of
// the first/last token. These are this process's clock; the comparison measures its offset to the
// client's clock from the data itself (see compare.mjs), so nothing assumes a shared clock.
// Env: PORT (0 = free), TICK_MS (20), OUT_CAP (cap on output tokens per request, default none: short
// calls give the check many more first/last-token samples per window). Prints `listening <port>` on stdout when ready.
import { createServer } from 'node:http';
import { appendFileSync } from 'node:fs';

const TICK_MS = Number(process.env.TICK_MS ?? 20);
const OUT_CAP = Number(process.env.OUT_CAP ?? Infinity);
const LOG = process.env.LOG ?? null;
const streams = new Set();
let pending = [];

function countWords(s) {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9 || c === 13;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}
const promptTokens = (body) =>
  Array.isArray(body.messages)
    ? body.messages.reduce((s, m) => s + 3 + countWords(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')), 3)
    : countWords(String(body.prompt ?? '')) + 3;

const ev = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const TOKEN = ev({ id: 'p', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'w ' }, finish_reason: null }] });
const LAST = ev({ id: 'p', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'w ' }, finish_reason: 'length' }] });

function flush() {
  if (!LOG || pending.length === 0) return;
  appendFileSync(LOG, pending.join(''));
  pending = [];
}

// One step: a token to every open stream, stamped right before its own write.
const t0 = performance.now();
let step = 0;
function tick() {
  for (const s of streams) {
    const last = s.sent === s.tokens - 1;
    const t = process.hrtime.bigint();
    if (s.sent === 0) s.firstNs = t;
    if (last) {
      s.lastNs = t;
      s.res.write(LAST + ev({ id: 'p', choices: [], usage: { prompt_tokens: s.prompt, completion_tokens: s.tokens, total_tokens: s.prompt + s.tokens } }));
      s.res.end('data: [DONE]\n\n');
      streams.delete(s);
      pending.push(JSON.stringify({ id: s.id, recvNs: String(s.recvNs), firstNs: String(s.firstNs), lastNs: String(s.lastNs), tokens: s.tokens }) + '\n');
    } else s.res.write(TOKEN);
    s.sent++;
  }
  step++;
  setTimeout(tick, Math.max(0, t0 + step * TICK_MS - performance.now()));
}
setTimeout(tick, TICK_MS);
setInterval(flush, 1000).unref();

function json(res, status, obj) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const recvNs = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    let body = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return json(res, 400, { error: { message: 'bad JSON' } });
    }
    if (req.method === 'GET' && path === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: 'paced', object: 'model', owned_by: 'paced-test-server', max_model_len: 1_000_000 }] });
    if (req.method === 'POST' && path === '/tokenize') return json(res, 200, { count: promptTokens(body), max_model_len: 1_000_000 });
    if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) {
      const tokens = Math.max(1, Math.min(OUT_CAP, Number(body.max_completion_tokens ?? body.max_tokens ?? 16)));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      res.socket?.setNoDelay(true);
      const s = { id: String(req.headers['x-request-id'] ?? ''), res, tokens, sent: 0, prompt: promptTokens(body), recvNs, firstNs: 0n, lastNs: 0n };
      res.on('close', () => streams.delete(s));
      streams.add(s);
      return;
    }
    json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    flush();
    process.exit(0);
  });
}
process.on('exit', flush);
