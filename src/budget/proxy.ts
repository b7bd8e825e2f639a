/**
 * An OpenAI-compatible budget proxy for frameworks we cannot change. Each request names its
 * sub-agent's handle in `x-agentdyno-budget-handle` (default `root`); the proxy reserves before
 * forwarding, clamps max_tokens, and commits the usage it reads from the response (stream or not).
 * `x-agentdyno-budget-split: 400,400` on a request splits the named handle first: the call then
 * runs on the remainder, and the response names the children in `x-agentdyno-budget-children`.
 * When the budget is spent the proxy answers 402 with an OpenAI-style error body (402, not 429:
 * OpenAI SDKs retry 429 automatically, which would loop on a spent budget).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { AgentdynoError, isAgentdynoError } from '../core/index.js';
import { BudgetLedger, SplitOut, type BudgetHandle, type Reservation } from './ledger.js';
import { BudgetConsumedError, BudgetRefusedError, type RootSpec } from './state.js';
import { countNewTextTokens } from './estimate.js';
import { usageFrom } from './wrap.js';

export const HANDLE_HEADER = 'x-agentdyno-budget-handle';
export const SPLIT_HEADER = 'x-agentdyno-budget-split';
export const CHILDREN_HEADER = 'x-agentdyno-budget-children';

export interface BudgetProxy {
  url: string;
  port: number;
  ledger: BudgetLedger;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, type: string, code: string, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, code, param: null } }));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AgentdynoError('request body must be a JSON object', { code: 'E_INPUT_INVALID' });
  return parsed as Record<string, unknown>;
}

export async function startBudgetProxy(opts: { upstream: string; budget: RootSpec; port?: number; host?: string; apiKey?: string }): Promise<BudgetProxy> {
  const ledger = new BudgetLedger(opts.budget);
  const upstream = opts.upstream.replace(/\/+$/, '').replace(/\/v1$/, '');
  ledger.root();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/budget') {
      const s = ledger.state;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ root: s.root, spent: s.spent, overrun: s.overrun, handles: Object.values(s.handles).filter((h) => h.live).map((h) => ({ path: h.path, available: h.available, spent: h.spent, turns: h.turns })) }));
    }
    if (req.method !== 'POST' || !/^\/v1\/(chat\/)?completions$/.test(path)) {
      // Everything else (models, tokenize...) passes through unbudgeted.
      const up = await request(`${upstream}${req.url}`, { method: (req.method ?? 'GET') as 'GET', headers: { accept: req.headers.accept ?? '*/*' } });
      res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
      for await (const c of up.body) res.write(c);
      return void res.end();
    }
    const body = await readBody(req);
    const name = String(req.headers[HANDLE_HEADER] ?? 'root');
    let h: BudgetHandle = ledger.handle(name);
    const split = req.headers[SPLIT_HEADER];
    if (split) {
      const shares = String(split).split(',').map((x) => Number(x.trim()));
      const out = new SplitOut();
      h.split(shares, out);
      res.setHeader(CHILDREN_HEADER, out.children.map((c) => c.path).join(','));
      h = out.remainder;
    }
    res.setHeader(HANDLE_HEADER, h.path);
    const texts = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''))) : [String(body.prompt ?? '')];
    const key = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    const requested = Number(body[key] ?? 1024);
    const r: Reservation = h.reserve({ inputTokens: countNewTextTokens(texts), maxTokens: requested });
    const stream = body.stream === true;
    const sent = { ...body, [key]: r.maxTokens, ...(stream ? { stream_options: { ...(body.stream_options as object), include_usage: true } } : {}) };
    let up;
    try {
      up = await request(`${upstream}${path}`, {
        method: 'POST', body: JSON.stringify(sent),
        headers: { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      });
    } catch (e) {
      r.release();
      return sendError(res, 502, 'upstream_error', 'upstream_unreachable', `agentdyno budget proxy: upstream ${upstream} failed: ${(e as Error).message}`);
    }
    res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json'), 'x-agentdyno-budget-max-tokens': String(r.maxTokens) });
    if (up.statusCode >= 400) {
      // Refused before generation: nothing was used.
      r.release();
      for await (const c of up.body) res.write(c);
      return void res.end();
    }
    let usage: ReturnType<typeof usageFrom> = null;
    try {
      if (stream) {
        const parser = createParser({ onEvent: (ev) => {
          if (ev.data === '[DONE]') return;
          try { const u = usageFrom((JSON.parse(ev.data) as { usage?: never }).usage); if (u) usage = u; } catch { /* not JSON: pass through */ }
        } });
        for await (const c of up.body) { parser.feed((c as Buffer).toString('utf8')); res.write(c); }
      } else {
        const chunks: Buffer[] = [];
        for await (const c of up.body) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        try { usage = usageFrom((JSON.parse(text) as { usage?: never }).usage); } catch { /* keep null */ }
        res.write(text);
      }
      r.settle(usage);
    } finally {
      r[Symbol.dispose](); // a broken stream forfeits: tokens may have been generated
      res.end();
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof BudgetRefusedError) return sendError(res, 402, 'budget_exceeded', `budget_${e.reason}`, `agentdyno budget proxy: ${e.message}`);
      if (e instanceof BudgetConsumedError) return sendError(res, 409, 'invalid_request_error', 'budget_handle_consumed', `agentdyno budget proxy: ${e.message}`);
      if (isAgentdynoError(e) || e instanceof SyntaxError) return sendError(res, 400, 'invalid_request_error', 'budget_bad_request', `agentdyno budget proxy: ${(e as Error).message}`);
      sendError(res, 500, 'server_error', 'proxy_error', `agentdyno budget proxy: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new AgentdynoError(`the budget proxy cannot listen: ${e.message}`, { code: 'E_USAGE', where: `${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`, hint: 'Pick another --port (0 picks a free one).' })));
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`, port, ledger,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
