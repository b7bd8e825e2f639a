#!/usr/bin/env node
/**
 * A misbehaving OpenAI-compatible server for the hostile suite, run in its own process so that a
 * hang in it can never be mistaken for (or hide) a hang in the client. Usage:
 *   node fault-server.mjs MODE        prints {"port": N} on stdout once listening
 * MODE applies to every route; `lane:MODE` serves set-up honestly (models, the 16-token probe,
 * max_tokens=1 calibration probes) and misbehaves only on lane calls (max_tokens > 16); `chat:MODE`
 * serves the model list and misbehaves on every completion (the streaming probe included).
 * Modes: ok, never, headers-hang, keepalive, empty-events, html, close-mid, 401, 429 (every chat
 * call), 429-half (every other chat call; Retry-After: 0).
 */
import { createServer } from 'node:http';

const arg = process.argv[2] ?? 'ok';
const laneOnly = arg.startsWith('lane:');
const chatOnly = arg.startsWith('chat:');
const mode = laneOnly || chatOnly ? arg.slice(5) : arg;
const MODEL = 'fault-model';
let chatCalls = 0;
const timers = new Set();

const every = (res, ms, chunk) => {
  const t = setInterval(() => (res.destroyed ? (clearInterval(t), timers.delete(t)) : res.write(chunk)), ms);
  timers.add(t);
  res.on('close', () => (clearInterval(t), timers.delete(t)));
};

const words = (messages) => (messages ?? []).reduce((n, m) => n + String(m.content ?? '').split(/\s+/).filter(Boolean).length, 0);

/** An honest stream: max_tokens one-token chunks 2 ms apart, then usage and [DONE]. */
async function stream(res, body) {
  const n = Math.max(1, Number(body.max_tokens ?? 16));
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (o) => `data: ${JSON.stringify(o)}\n\n`;
  for (let i = 0; i < n; i++) {
    if (res.destroyed) return;
    res.write(ev({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: ` w${i}` }, finish_reason: i === n - 1 ? 'length' : null }] }));
    await new Promise((r) => setTimeout(r, 2));
  }
  const prompt = words(body.messages) + 4 * (body.messages?.length ?? 1) + 3;
  res.write(ev({ id: 'x', choices: [], usage: { prompt_tokens: prompt, completion_tokens: n, total_tokens: prompt + n } }));
  res.end('data: [DONE]\n\n');
}

function misbehave(req, res, isChat) {
  switch (mode) {
    case 'never':
      return; // keep the socket open, answer nothing
    case 'headers-hang':
      res.writeHead(200, { 'content-type': isChat ? 'text/event-stream' : 'application/json' });
      res.flushHeaders();
      return;
    case 'keepalive':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return every(res, 100, ': ping\n\n');
    case 'empty-events':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return every(res, 50, 'data:\n\n');
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<!doctype html><html><body><form>Sign in</form></body></html>');
    case 'close-mid':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: {"id":"x","choi');
      return setTimeout(() => res.socket?.destroy(), 20);
    case '401':
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'invalid api key', type: 'invalid_request_error' } }));
    default:
      res.writeHead(500);
      return res.end('unknown mode');
  }
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    let body = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      /* keep {} */
    }
    const url = req.url ?? '';
    const isChat = url.endsWith('/chat/completions') || url.endsWith('/completions');
    const setupCall = !isChat || Number(body.max_tokens ?? 0) <= 16;
    if (mode === 'ok' || (laneOnly && setupCall) || (chatOnly && !isChat) || ((mode === '429' || mode === '429-half') && !isChat)) {
      if (url.endsWith('/v1/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model' }] }));
      }
      if (url.endsWith('/tokenize')) {
        res.writeHead(404);
        return res.end();
      }
      if (isChat) return stream(res, body);
      res.writeHead(404);
      return res.end();
    }
    if (mode === '429' || mode === '429-half') {
      if (mode === '429' || chatCalls++ % 2 === 0) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        return res.end(JSON.stringify({ error: { message: 'rate limited', type: 'rate_limit' } }));
      }
      return stream(res, body);
    }
    return misbehave(req, res, isChat);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, mode: arg })}\n`);
});
// Ends with its parent: the test closes stdin (or dies) and the server goes with it.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
