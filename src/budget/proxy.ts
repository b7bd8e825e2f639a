/**
 * A budget proxy for frameworks we cannot change (chat completions, completions, Responses,
 * Anthropic Messages, embeddings). Each request names its sub-agent's handle in
 * `x-agentdyno-budget-handle` (default `root`); `x-agentdyno-budget-split: 400,400` splits it first
 * (the call runs on the remainder; `x-agentdyno-budget-children` names the children).
 *
 * It cannot be talked past its cap: before forwarding it reserves the worst case the request can
 * cost (every prompt, tool and output schema, n x batch x max tokens; see proxy-apis.ts), clamps the
 * forwarded output cap to what it reserved, and refuses what it cannot bound. It commits the usage
 * the upstream reports, or the whole reservation when the upstream reports none or breaks off.
 *
 * Refusals: a call that does not fit while other calls hold reservations waits (up to `queueMs`)
 * for them to settle, then runs clamped or gets a retry-able 429 with Retry-After; 402 means the
 * committed spend itself leaves no room for the call (402, not 429: SDKs retry 429 by themselves,
 * which would loop on a spent budget).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { AgentdynoError, isAgentdynoError } from '../core/index.js';
import { BudgetLedger, CommitOut, SplitOut, type BudgetHandle, type Reservation } from './ledger.js';
import { BudgetConsumedError, BudgetRefusedError, type RootSpec } from './state.js';
import { countNewTextTokens, type EstimatorOptions } from './estimate.js';
import { apiOfPath, boundRequest, clampRequest, type ProxyApi } from './proxy-apis.js';
import { StreamUsage, usageOfBody } from './proxy-usage.js';
import { credentialForms, parseUpstream, relay, upstreamHeaders } from './proxy-forward.js';
import type { UsageReport } from './ops.js';

export const HANDLE_HEADER = 'x-agentdyno-budget-handle';
export const SPLIT_HEADER = 'x-agentdyno-budget-split';
export const CHILDREN_HEADER = 'x-agentdyno-budget-children';

export interface BudgetProxyOptions {
  upstream: string;
  budget: RootSpec;
  port?: number;
  host?: string;
  /** The upstream's key; unset: the client's own Authorization / x-api-key is forwarded. */
  apiKey?: string;
  estimator?: EstimatorOptions;
  /** How long a call that does not fit waits for other calls' reservations to settle (default 30 s). */
  queueMs?: number;
  /** Retry-After of a 429 (default 1 s). */
  retryAfterS?: number;
  /** Tokens reserved per image; unset: requests with images are refused as unbounded. */
  imageTokens?: number;
  /** Extra POST paths forwarded unbudgeted (e.g. a vendor's free token-count route). */
  passThrough?: readonly string[];
  maxBodyBytes?: number;
}

export interface BudgetProxy {
  url: string;
  port: number;
  ledger: BudgetLedger;
  /** The upstream as printed (credentials masked). */
  upstream: string;
  close(): Promise<void>;
}

/** Routes that cost nothing and are forwarded with body and credentials. */
const FREE_POST = /^(?:\/v1)?\/(?:tokenize|detokenize|messages\/count_tokens|responses\/input_tokens|responses\/[^/]+\/cancel)\/?$/;
const FREE_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** Connection errors that prove the request never reached the upstream (nothing was generated). */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

class ProxyHttpError extends Error {
  constructor(readonly status: number, readonly type: string, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function sendError(res: ServerResponse, status: number, type: string, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, code, param: null } }));
}

async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new ProxyHttpError(413, 'invalid_request_error', 'body_too_large', `agentdyno budget proxy: request body over ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function jsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new AgentdynoError('request body is not valid JSON', { code: 'E_INPUT_INVALID', where: 'request body' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AgentdynoError('request body must be a JSON object', { code: 'E_INPUT_INVALID', where: 'request body' });
  return parsed as Record<string, unknown>;
}

export async function startBudgetProxy(opts: BudgetProxyOptions): Promise<BudgetProxy> {
  const up = parseUpstream(opts.upstream);
  const ledger = new BudgetLedger(opts.budget, undefined, { keepLog: false });
  ledger.root();
  const creds = { apiKey: opts.apiKey || undefined, basicAuth: up.basicAuth };
  const literals = credentialForms(creds);
  const queueMs = opts.queueMs ?? 30_000;
  const retryAfterS = opts.retryAfterS ?? 1;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const passThrough = new Set(opts.passThrough ?? []);
  /** Responses made through this proxy: id -> prompt + output tokens (for previous_response_id). */
  const responseTokens = new Map<string, number>();
  /** Learnt correction when the upstream counts more prompt tokens than the estimator did. */
  let promptScale = 1;
  let queued = 0;

  // Wake waiting calls whenever reserved tokens come back.
  let wake!: () => void;
  let changed = new Promise<void>((r) => (wake = r));
  ledger.backend.onEvent((e) => {
    if (e.kind !== 'commit' && e.kind !== 'release' && e.kind !== 'forfeit' && e.kind !== 'join') return;
    const w = wake;
    changed = new Promise<void>((r) => (wake = r));
    w();
  });
  const held = (path: string): number => {
    let n = 0;
    for (const r of Object.values(ledger.state.reservations)) if (r.path === path) n += r.amounts.tokens;
    return n;
  };

  /**
   * Reserve `input + sequences x perSequence + extra`, waiting while other calls hold what would
   * make it fit. 402 only when even their full refund could not fit the smallest version of the call.
   */
  async function reserve(h: BudgetHandle, input: number, sequences: number, perSequence: number | null, closed: () => boolean): Promise<{ r: Reservation; perSequence: number }> {
    const seqs = Math.max(1, sequences);
    const want = perSequence === null ? Number.MAX_SAFE_INTEGER : seqs * perSequence;
    const minNeed = input + seqs;
    const deadline = Date.now() + queueMs;
    let waited = false;
    for (;;) {
      const avail = h.available().tokens;
      const inFlight = held(h.path);
      const fitsWhole = perSequence !== null ? avail >= input + want : inFlight === 0;
      // Waiting helps only while refunds of the calls in flight could make the whole call fit.
      const worthWaiting = inFlight > 0 && Date.now() < deadline && (perSequence === null || avail + inFlight >= input + want);
      if (avail + inFlight < minNeed) {
        const spent = ledger.state.handles[h.path]?.spent.tokens ?? 0;
        throw new ProxyHttpError(402, 'budget_exceeded', 'budget_exhausted',
          `agentdyno budget proxy: handle "${h.path}" has ${avail + inFlight} tokens left after committed spend (${spent}), not enough for this call's ${minNeed} (${input} prompt + ${seqs} output)`,
          { 'x-agentdyno-budget-spent': String(spent), 'x-agentdyno-budget-left': String(avail + inFlight), 'x-agentdyno-budget-need': String(minNeed) });
      }
      if (avail >= minNeed && (fitsWhole || !worthWaiting)) {
        const r = h.reserve({ inputTokens: input, maxTokens: Math.min(want, Number.MAX_SAFE_INTEGER), minOutputTokens: seqs });
        return { r, perSequence: Math.floor(r.maxTokens / seqs) };
      }
      if (Date.now() >= deadline || closed()) {
        throw new ProxyHttpError(429, 'budget_reserved', 'budget_busy',
          `agentdyno budget proxy: handle "${h.path}" has ${inFlight} tokens held by calls in flight${waited ? ` (waited ${queueMs} ms)` : ''}; retry after they settle`,
          { 'retry-after': String(retryAfterS) });
      }
      waited = true;
      queued++;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise<void>((r) => (t = setTimeout(r, Math.max(1, Math.min(deadline - Date.now(), 1000)))))]);
      clearTimeout(t);
      queued--;
    }
  }

  async function forwardFree(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : await readRaw(req, maxBody);
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    const u = await request(`${up.base}${req.url ?? path}`, { method: method as 'GET', body, headers: upstreamHeaders(req, creds, path.includes('/messages')), signal: ac.signal });
    await relay(u, res, literals);
  }

  async function budgeted(api: ProxyApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = jsonObject(await readRaw(req, maxBody));
    let h: BudgetHandle = ledger.handle(String(req.headers[HANDLE_HEADER] ?? 'root'));
    const split = req.headers[SPLIT_HEADER];
    if (split) {
      const out = new SplitOut();
      h.split(String(split).split(',').map((x) => Number(x.trim())), out);
      res.setHeader(CHILDREN_HEADER, out.children.map((c) => c.path).join(','));
      h = out.remainder;
    }
    res.setHeader(HANDLE_HEADER, h.path);
    const bound = boundRequest(api, body, { imageTokens: opts.imageTokens, previousResponseTokens: (id) => responseTokens.get(id) });
    const estimated = Math.ceil(countNewTextTokens(bound.texts, opts.estimator) * promptScale);
    const extra = bound.extraOutputTexts.length ? countNewTextTokens(bound.extraOutputTexts, opts.estimator) : 0;
    const input = estimated + bound.fixedTokens + extra;
    let closed = false;
    res.on('close', () => { closed = true; });
    const got = await reserve(h, input, bound.sequences, api === 'embeddings' ? 1 : bound.maxTokens, () => closed);
    const r: Reservation = got.r;
    const perSequence = got.perSequence;
    const sent = api === 'embeddings' ? body : clampRequest(api, body, perSequence);
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    let u;
    try {
      u = await request(`${up.base}${req.url}`, {
        method: 'POST', body: JSON.stringify(sent), signal: ac.signal, headersTimeout: 900_000, bodyTimeout: 900_000,
        headers: { ...upstreamHeaders(req, creds, api === 'messages'), 'content-type': 'application/json' },
      });
    } catch (e) {
      // Unless the request provably never left, the upstream may be generating: charge it all.
      if (NEVER_SENT.has((e as NodeJS.ErrnoException).code ?? '')) r.release();
      else r[Symbol.dispose]();
      throw new ProxyHttpError(502, 'upstream_error', 'upstream_unreachable', `agentdyno budget proxy: upstream ${up.display} failed: ${(e as Error).message}`);
    }
    const tracker = new StreamUsage(api);
    const parser = createParser({ onEvent: (ev) => tracker.event(ev.data) });
    let whole = '';
    const streaming = String(u.headers['content-type'] ?? '').includes('text/event-stream');
    try {
      await relay(u, res, literals, {
        extraHeaders: api === 'embeddings' ? {} : { 'x-agentdyno-budget-max-tokens': String(perSequence) },
        onText: (t) => (streaming ? parser.feed(t) : (whole += t)),
      });
    } catch (e) {
      r[Symbol.dispose](); // broken off: tokens may have been generated, so the reservation is spent
      if (!res.headersSent) throw new ProxyHttpError(502, 'upstream_error', 'upstream_broke', `agentdyno budget proxy: upstream ${up.display} broke off: ${(e as Error).message}`);
      return void res.destroy();
    }
    let usage: UsageReport | null = tracker.usage;
    let responseId = tracker.responseId;
    if (!streaming) {
      let parsed: unknown = null;
      try { parsed = JSON.parse(whole); } catch { /* not JSON: no usage */ }
      ({ usage, responseId } = usageOfBody(api, parsed));
    }
    if (u.statusCode >= 400 && !usage) return r.release(); // refused before generation: nothing used
    const settled = new CommitOut();
    r.settle(usage, settled);
    const charged = settled.result.charged.tokens;
    if (usage && estimated > 0 && usage.promptTokens > input) {
      promptScale = Math.min(16, promptScale * ((usage.promptTokens - bound.fixedTokens) / Math.max(1, estimated)) * 1.1);
    }
    if (responseId) {
      responseTokens.set(responseId, charged);
      if (responseTokens.size > 10_000) responseTokens.delete(responseTokens.keys().next().value as string);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/v1/budget') {
      const s = ledger.state;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({
        root: s.root, spent: s.spent, overrun: s.overrun, reserved: Object.values(s.reservations).reduce((a, r) => a + r.amounts.tokens, 0), queued, promptScale,
        handles: Object.values(s.handles).filter((x) => x.live).map((x) => ({ path: x.path, available: x.available, spent: x.spent, turns: x.turns })),
      }));
    }
    const api = method === 'POST' ? apiOfPath(path) : null;
    if (api) return budgeted(api, req, res);
    if (FREE_METHODS.has(method) || (method === 'POST' && (FREE_POST.test(path) || passThrough.has(path)))) return forwardFree(req, res, path);
    throw new ProxyHttpError(400, 'invalid_request_error', 'budget_unbounded_route', `agentdyno budget proxy: ${method} ${path} is not a budgeted API and not known to be free, so it is not forwarded`, {});
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof ProxyHttpError) return sendError(res, e.status, e.type, e.code, e.message, e.headers);
      if (e instanceof BudgetRefusedError) return sendError(res, 402, 'budget_exceeded', `budget_${e.reason}`, `agentdyno budget proxy: ${e.message}`);
      if (e instanceof BudgetConsumedError) return sendError(res, 409, 'invalid_request_error', 'budget_handle_consumed', `agentdyno budget proxy: ${e.message}`);
      if (isAgentdynoError(e)) {
        const code = e.code === 'E_BUDGET_UNBOUNDED' ? 'budget_unbounded_request' : 'budget_bad_request';
        return sendError(res, 400, 'invalid_request_error', code, `agentdyno budget proxy: ${e.message}${e.where ? ` (at ${e.where})` : ''}${e.hint ? ` ${e.hint}` : ''}`);
      }
      sendError(res, 502, 'upstream_error', 'proxy_error', `agentdyno budget proxy: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new AgentdynoError(`the budget proxy cannot listen: ${e.message}`, { code: e.code === 'EADDRINUSE' ? 'E_PORT_IN_USE' : 'E_LISTEN', where: `${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`, hint: 'Pick another --port (0 picks a free one).' })));
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`, port, ledger, upstream: up.display,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
