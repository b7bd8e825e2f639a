/**
 * A fake upstream that bills like OpenAI: prompt tokens with the o200k tokenizer (+3 per message,
 * +3 per request, tool / output schemas as JSON text), every sequence of `n` and of a batch prompt,
 * output up to max_tokens. It speaks chat completions, completions, Responses and Anthropic
 * Messages (stream or not), keeps what it billed per `x-run` header, and can be told to fail:
 * `x-fault: error` (500 before generating, nothing billed), `disconnect` (socket destroyed
 * half-way, what was generated is billed), `no_usage` (billed, but no usage reported),
 * `echo` (echoes the Authorization / x-api-key it got in the body and headers; streams cut it in two).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer';

const PLAIN = { disallowedSpecial: new Set<string>() };
const tok = (s: unknown): number => (s === undefined || s === null ? 0 : countTokens(typeof s === 'string' ? s : JSON.stringify(s), PLAIN));

type Api = 'chat' | 'completions' | 'responses' | 'messages';

function contentTokens(c: unknown): number {
  if (typeof c === 'string') return tok(c);
  if (Array.isArray(c)) return c.reduce((a: number, p) => a + (p && typeof p === 'object' && 'text' in p ? tok((p as { text: string }).text) : tok(p)), 0);
  return tok(c);
}

/** Prompt tokens of each prompt (a batch has several) as the fake bills them. */
function promptTokens(api: Api, b: Record<string, unknown>): number[] {
  const schemas = (Array.isArray(b.tools) && b.tools.length ? tok(b.tools) + 8 * b.tools.length : 0)
    + (b.response_format && (b.response_format as { type?: string }).type === 'json_schema' ? tok((b.response_format as { json_schema: unknown }).json_schema) : 0)
    + (b.text && (b.text as { format?: { type?: string } }).format?.type === 'json_schema' ? tok((b.text as { format: unknown }).format) : 0);
  if (api === 'completions') {
    const p = b.prompt;
    const list = Array.isArray(p) && p.length && p.every((x) => typeof x === 'string' || Array.isArray(x)) ? p : [p];
    return list.map((x) => (Array.isArray(x) ? x.length : tok(x)));
  }
  let n = 3 + schemas;
  if (api === 'chat') for (const m of b.messages as { content?: unknown; tool_calls?: unknown }[]) n += 3 + contentTokens(m.content) + tok(m.tool_calls);
  if (api === 'messages') {
    n += contentTokens(b.system);
    for (const m of b.messages as { content?: unknown }[]) n += 3 + contentTokens(m.content);
  }
  if (api === 'responses') {
    n += tok(b.instructions);
    if (typeof b.input === 'string') n += tok(b.input);
    else for (const it of (b.input ?? []) as { content?: unknown; output?: unknown }[]) n += 3 + contentTokens(it.content ?? it.output);
  }
  return [n];
}

export interface FakeUpstream {
  url: string;
  /** Tokens billed per x-run. */
  billed: Map<string, number>;
  /** Authorization headers seen, in order. */
  auth: (string | undefined)[];
  /** Last request body seen per path. */
  bodies: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeUpstream(seed = 1): Promise<FakeUpstream> {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const billed = new Map<string, number>();
  const auth: (string | undefined)[] = [];
  const bodies = new Map<string, Record<string, unknown>>();
  const bill = (run: string, n: number) => billed.set(run, (billed.get(run) ?? 0) + n);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const credential = req.headers.authorization ?? (req.headers['x-api-key'] as string | undefined);
    auth.push(credential);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    bodies.set(path, body);
    const fault = String(req.headers['x-fault'] ?? '');
    const run = String(req.headers['x-run'] ?? '-');
    if (req.method === 'GET') {
      res.writeHead(credential === 'Bearer upstream-key-123456' || !req.headers['x-need-key'] ? 200 : 401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake' }], saw: fault === 'echo' ? credential : undefined }));
    }
    if (path === '/tokenize') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ count: tok(body.prompt), saw: credential }));
    }
    const api: Api = path.endsWith('/chat/completions') ? 'chat' : path.endsWith('/completions') ? 'completions' : path.endsWith('/responses') ? 'responses' : 'messages';
    if (fault === 'echo' && !body.stream) {
      res.writeHead(401, { 'content-type': 'application/json', 'x-echo': String(credential) });
      return void res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${credential}`, type: 'invalid_request_error' } }));
    }
    if (fault === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: 'fake upstream error', type: 'server_error' } }));
    }
    const prompts = promptTokens(api, body);
    const cap = Number(api === 'responses' ? body.max_output_tokens : (body.max_completion_tokens ?? body.max_tokens)) || 5000; // no cap: a long answer
    const per = Math.max(Number(body.n ?? 1), Number(body.best_of ?? 1));
    const lengths = prompts.flatMap(() => Array.from({ length: api === 'chat' || api === 'completions' ? per : 1 }, () => Math.min(cap, 1 + Math.floor(rnd() * cap * 1.2))));
    const prompt = prompts.reduce((a, b) => a + b, 0);
    const output = lengths.reduce((a, b) => a + b, 0);
    const usage = api === 'chat' || api === 'completions'
      ? { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output }
      : api === 'responses' ? { input_tokens: prompt, output_tokens: output, total_tokens: prompt + output } : { input_tokens: prompt, output_tokens: output };
    const withUsage = fault !== 'no_usage';
    if (!body.stream) {
      bill(run, prompt + output);
      if (fault === 'disconnect') return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' });
      const id = `resp_${Math.floor(rnd() * 1e9)}`;
      return void res.end(JSON.stringify({ id, object: api, choices: lengths.map((_, i) => ({ index: i, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' })), ...(withUsage ? { usage } : {}) }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    bill(run, prompt);
    let generated = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    const send = (ev: string | null, data: unknown) => res.write(`${ev ? `event: ${ev}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    if (fault === 'echo') {
      // The credential cut across two writes, the way a proxy must still catch it.
      const line = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `echo ${credential}` } }] })}\n\n`;
      const cut = line.indexOf(String(credential)) + 9;
      res.write(line.slice(0, cut));
      await new Promise((r) => setTimeout(r, 5));
      res.write(line.slice(cut));
    }
    if (api === 'messages') send('message_start', { type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: prompt, output_tokens: 1 } } });
    const steps = 4;
    for (let k = 0; k < steps; k++) {
      if (closed) break;
      const add = lengths.reduce((a, l) => a + Math.floor((l * (k + 1)) / steps) - Math.floor((l * k) / steps), 0);
      generated += add;
      bill(run, add);
      if (fault === 'disconnect' && k === 1) return void req.socket.destroy();
      send(api === 'messages' ? 'content_block_delta' : null, api === 'messages' ? { type: 'content_block_delta', delta: { type: 'text_delta', text: 'w' } } : { choices: [{ index: 0, delta: { content: 'w' } }] });
      await new Promise((r) => setImmediate(r));
    }
    if (closed) return;
    if (withUsage) {
      if (api === 'chat' || api === 'completions') send(null, { choices: [], usage });
      else if (api === 'responses') send('response.completed', { type: 'response.completed', response: { id: `resp_${Math.floor(rnd() * 1e9)}`, usage } });
      else send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: generated } });
    }
    if (api === 'messages') send('message_stop', { type: 'message_stop' });
    else if (api !== 'responses') send(null, '[DONE]');
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, billed, auth, bodies,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
