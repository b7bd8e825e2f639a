/**
 * The recording proxy: an OpenAI-compatible pass-through (node:http in, undici's dispatch API out:
 * callbacks per chunk, no stream objects or promises on the per-token path). Chat completions are
 * timed and their usage captured; a streaming request without `stream_options.include_usage` gets
 * it added, and the extra usage chunk is taken out of the stream the client sees. Everything else
 * (models list, embeddings, ...) is passed through untouched. Request headers are forwarded to the
 * upstream and never recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { monotonicClock, type Clock } from '../core/index.js';
import { withUsageRequested } from './body.js';
import { startFlushWorker } from './flush-host.js';
import { Recorder, type RecordedExchange } from './recorder.js';
import { SseTap } from './sse-tap.js';
import { WireTap } from './wire-tap.js';
import { AgentIdentifier, type GateTicket, type GateUsage, type RequestGate } from './gate.js';
import { apiOfPath, normalizeRequest, normalizeResponse, type NormalizedRequest, type WireApi } from '../endpoint/index.js';

export interface RecordingProxyOptions {
  upstream: string;
  port?: number;
  host?: string;
  /** Output JSONL; written every `flushMs` and on close. Omit to keep in memory only. */
  out?: string;
  flushMs?: number;
  keepContent?: boolean;
  clock?: Clock;
  /** Upstream connections (default 1024). */
  connections?: number;
  /** Per-request hot-path stamps (process.hrtime.bigint(), ns), for benchmarks; off when omitted. */
  onTiming?: (t: ProxyTiming) => void;
  /** Admission hook for model calls (budget enforcement); see gate.ts. */
  gate?: RequestGate;
  /** With `gate`: the session the current calls belong to (e.g. a loop iteration): one trajectory each. */
  workflow?: () => string;
  /** With `gate`: which conversation is the main agent (default: the first opening seen). */
  isMainAgent?: (n: NormalizedRequest) => boolean;
  /** Listen on this Unix socket path instead of TCP (a sandbox reaches the proxy through it). */
  socketPath?: string;
}

/** CLOCK_MONOTONIC stamps of one proxied request (comparable across processes on Linux). */
export interface ProxyTiming {
  requestId?: string;
  /** The request handler started: the server's 'request' event (headers parsed, body not yet read). */
  arrivedNs: bigint;
  /** The whole request body was read (the proxy forwards only whole bodies: it edits them). */
  bodyReadNs?: bigint;
  /** The upstream request was handed to undici. */
  upstreamSentNs: bigint;
  /** The first upstream body chunk reached the proxy. */
  upstreamFirstNs?: bigint;
  /** The first body bytes were handed to the client socket. */
  clientFirstNs?: bigint;
}

export interface RecordingProxy {
  url: string;
  port: number;
  recorder: Recorder;
  /** Write the output file now; returns the number of trajectories. */
  flush(): number;
  close(): Promise<void>;
}

const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const CHAT = /\/chat\/completions\/?(\?|$)/;

function targetPath(upstream: URL, path: string): string {
  let base = upstream.pathname.replace(/\/+$/, '');
  if (base.endsWith('/v1') && path.startsWith('/v1/')) base = base.slice(0, -3);
  return `${base}${path}`;
}

/** Sub-agent identity from headers (for clients that cannot send nvext.agent_context). */
export const AGENT_HEADER = 'x-agentdyno-agent';
export const PARENT_HEADER = 'x-agentdyno-parent-agent';
export const WORKFLOW_HEADER = 'x-agentdyno-workflow';
function agentHeaders(req: IncomingMessage): RecordedExchange['agentContext'] {
  const one = (k: string) => (typeof req.headers[k] === 'string' && req.headers[k] ? (req.headers[k] as string) : undefined);
  const program = one(AGENT_HEADER);
  return program ? { program_id: program, parent_program_id: one(PARENT_HEADER), workflow_id: one(WORKFLOW_HEADER) } : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startRecordingProxy(opts: RecordingProxyOptions): Promise<RecordingProxy> {
  const upstream = new URL(opts.upstream);
  const clock = opts.clock ?? monotonicClock;
  const recorder = new Recorder({ keepContent: opts.keepContent });
  const dispatcher = new Agent({ connections: opts.connections ?? 1024, pipelining: 1, keepAliveTimeout: 60_000 });
  const keepContent = opts.keepContent ?? false;

  const forwardHeaders = (req: IncomingMessage, bodyLen: number): Record<string, string> => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) h[k] = Array.isArray(v) ? v.join(', ') : v;
    if (bodyLen) h['content-length'] = String(bodyLen);
    return h;
  };

  const onTiming = opts.onTiming;
  // Recording (parse the request, hash messages, rebuild) runs after the response, one exchange
  // per macrotask: a batch of streams finishing in the same engine step must not stall the others.
  const backlog: (() => void)[] = [];
  let draining = false;
  const drain = () => {
    const job = backlog.shift();
    if (job) {
      try {
        job();
      } catch {
        /* an exchange we cannot read is not recorded */
      }
    }
    if (backlog.length) setImmediate(drain);
    else draining = false;
  };
  const later = (job: () => void) => {
    backlog.push(job);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  };
  /** Parse the request (off the critical path) and record the exchange. */
  const recordLater = (raw: Buffer, reqId: string | undefined, x: Omit<RecordedExchange, 'requestMessages'>, api: WireApi = 'chat', fromHeaders?: RecordedExchange['agentContext']) =>
    later(() => {
      const b = JSON.parse(raw.toString('utf8')) as Record<string, unknown> | null;
      if (!b || typeof b !== 'object') return;
      // Responses and Messages bodies are recorded in the chat model (one trajectory format).
      const messages = api === 'chat' ? b.messages : normalizeRequest(api, b).messages;
      if (!Array.isArray(messages)) return;
      const nv = (b.nvext ?? {}) as { agent_context?: RecordedExchange['agentContext'] };
      recorder.add({ ...x, requestMessages: messages as unknown[], requestId: reqId, agentContext: nv.agent_context ?? fromHeaders, model: typeof b.model === 'string' ? b.model : x.model });
    });

  const fail = (res: ServerResponse, e: unknown) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `agentdyno record: upstream ${opts.upstream} failed: ${(e as Error)?.message ?? String(e)}`, type: 'upstream_error' } }));
    } else res.destroy();
  };

  const forward = (req: IncomingMessage, res: ServerResponse, raw: Buffer, tm: ProxyTiming | undefined, ticket?: GateTicket, who?: RecordedExchange['agentContext']) => {
    let settled = false;
    const settle = (outcome: 'ok' | 'failed' | 'cut', usage: GateUsage | null) => {
      if (settled || !ticket) return;
      settled = true;
      ticket.settle(outcome, usage);
    };
    let upstreamStatus = 0;
    const path = req.url ?? '/';
    const isChat = req.method === 'POST' && CHAT.test(path);
    const pathApi = req.method === 'POST' ? apiOfPath(path) : null;
    const wireApi = pathApi === 'responses' || pathApi === 'messages' ? pathApi : null;
    const ids = who ?? agentHeaders(req);
    const start = clock.nowMs();
    // Forward first; the body is parsed only after the response (recordLater).
    const { payload, injected } = isChat ? withUsageRequested(raw) : { payload: raw, injected: false };
    const reqId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined;
    let ctl: Dispatcher.DispatchController | undefined;
    let done = false;
    res.on('close', () => {
      if (!done) {
        ctl?.abort(new Error('client went away'));
        settle('cut', null);
      }
    });
    // Per-response mode, chosen on the upstream's status line.
    let tap: SseTap | undefined;
    let wtap: WireTap | undefined;
    let whole: Buffer[] | undefined;
    const write = (c: Buffer | string) => {
      if (!res.write(c) && ctl && !ctl.paused) {
        ctl.pause();
        res.once('drain', () => ctl?.resume());
      }
      if (tm && !tm.clientFirstNs) tm.clientFirstNs = process.hrtime.bigint();
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        ctl = c;
        if (res.destroyed) c.abort(new Error('client went away'));
      },
      onResponseStart(_c, status, headers) {
        const h: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k) && k !== 'content-length') h[k] = v;
        res.writeHead(status, h);
        upstreamStatus = status;
        if (wireApi && status === 200) {
          if (String(headers['content-type'] ?? '').includes('text/event-stream')) wtap = new WireTap(wireApi, () => clock.nowMs());
          else whole = [];
          return;
        }
        if (!isChat || status !== 200) return;
        if (String(headers['content-type'] ?? '').includes('text/event-stream')) tap = new SseTap({ strip: injected, keepContent, nowMs: () => clock.nowMs() });
        else whole = [];
      },
      onResponseData(_c, chunk) {
        if (tm && !tm.upstreamFirstNs) tm.upstreamFirstNs = process.hrtime.bigint();
        if (whole) return void whole.push(chunk);
        if (wtap) {
          write(chunk);
          return wtap.push(chunk);
        }
        if (!tap) return write(chunk);
        // Streaming: bytes go to the client first (whole events only while the usage chunk we
        // added must be held back); the tap looks at them after.
        if (!injected) write(chunk);
        const out = tap.push(chunk);
        if (out?.length) write(out);
      },
      onResponseEnd() {
        done = true;
        if (whole) {
          const buf = whole.length === 1 ? whole[0] : Buffer.concat(whole);
          res.end(buf);
          const endMs = clock.nowMs();
          if (ticket) {
            let u: GateUsage | null = null;
            try {
              u = (wireApi ? normalizeResponse(wireApi, JSON.parse(buf.toString('utf8'))).usage : (JSON.parse(buf.toString('utf8')) as { usage?: GateUsage }).usage) ?? null;
            } catch {
              /* unreadable body: charged as a call without usage */
            }
            settle('ok', u);
          }
          if (wireApi) {
            later(() => {
              const n = normalizeResponse(wireApi, JSON.parse(buf.toString('utf8')));
              const msg = keepContent ? n.message : { ...n.message, content: null };
              recordLater(raw, reqId, { startMs: start, endMs, usage: n.usage, responseMessage: msg as unknown as RecordedExchange['responseMessage'], finishReason: n.finishReason, model: n.model }, wireApi, ids);
            });
            return;
          }
          later(() => {
            const j = JSON.parse(buf.toString('utf8')) as { usage?: RecordedExchange['usage']; model?: string; choices?: { message?: RecordedExchange['responseMessage']; finish_reason?: string }[] };
            recordLater(raw, reqId, { startMs: start, endMs, usage: j.usage, responseMessage: j.choices?.[0]?.message, finishReason: j.choices?.[0]?.finish_reason, model: j.model }, 'chat', ids);
          });
          return;
        }
        if (wtap) {
          res.end();
          const endMs = clock.nowMs();
          const n = wtap.end(keepContent);
          settle('ok', n.usage ?? null);
          const t0 = wtap.firstTokenAtMs;
          recordLater(raw, reqId, { startMs: start, endMs, ttftMs: t0 === undefined ? undefined : t0 - start, usage: n.usage, finishReason: n.finishReason, responseMessage: n.message as unknown as RecordedExchange['responseMessage'] }, wireApi!, ids);
          return;
        }
        if (!tap) {
          settle('failed', null);
          return void res.end();
        }
        const tail = tap.end();
        if (tail?.length) res.write(tail);
        res.end();
        const endMs = clock.nowMs();
        const t = tap;
        settle('ok', t.usage ?? null);
        recordLater(raw, reqId, {
          startMs: start, endMs, ttftMs: t.firstTokenAtMs === undefined ? undefined : t.firstTokenAtMs - start,
          usage: t.usage, finishReason: t.finishReason, responseMessage: t.responseMessage(),
        }, 'chat', ids);
      },
      onResponseError(_c, e) {
        done = true;
        settle(upstreamStatus === 200 ? 'cut' : 'failed', null);
        fail(res, e);
      },
    };
    if (tm) tm.upstreamSentNs = process.hrtime.bigint();
    dispatcher.dispatch(
      {
        origin: upstream.origin,
        path: targetPath(upstream, path),
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: forwardHeaders(req, payload.length),
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : payload,
      },
      handler,
    );
  };

  const identifier = new AgentIdentifier(opts.isMainAgent);
  /** Gate a model call: identify its agent, let the gate clamp or refuse it, then forward. */
  const admit = async (req: IncomingMessage, res: ServerResponse, raw: Buffer, api: WireApi, gate: RequestGate) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return forward(req, res, raw, undefined); // the upstream answers the bad body
    }
    const n = normalizeRequest(api, body);
    const who = identifier.identify(req, body, n);
    const a = await gate.admit({ api, body, request: n, agent: who.agent, parent: who.parent });
    if (!a.ok) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(api === 'messages' ? { type: 'error', error: { type: a.type, message: a.message } } : { error: { message: a.message, type: a.type, code: a.type, param: null } }));
      return;
    }
    // The recorder keeps the agent's identity as the gate saw it (the upstream sees the client's own headers).
    const wf = opts.workflow?.();
    const id = (x: string) => (wf ? `${wf}/${x}` : x);
    forward(req, res, Buffer.from(JSON.stringify(a.body)), undefined, a.ticket, { program_id: id(who.agent), ...(who.parent ? { parent_program_id: id(who.parent) } : {}), ...(wf ? { workflow_id: wf } : {}) });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const tm: ProxyTiming | undefined = onTiming ? { arrivedNs: process.hrtime.bigint(), upstreamSentNs: 0n, requestId: req.headers['x-request-id'] as string | undefined } : undefined;
    if (tm) res.once('finish', () => onTiming!(tm));
    readBody(req).then(
      (raw) => {
        if (tm) tm.bodyReadNs = process.hrtime.bigint();
        const api = opts.gate && req.method === 'POST' ? apiOfPath(req.url ?? '/') : null;
        if (opts.gate && api && api !== 'completions') return void admit(req, res, raw, api, opts.gate).catch((e) => fail(res, e));
        try {
          forward(req, res, raw, tm);
        } catch (e) {
          fail(res, e);
        }
      },
      () => res.destroy(),
    );
  };

  // noDelay: SSE events are small writes that must leave at once (Nagle would hold them).
  const server = createServer({ noDelay: true }, handle);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (opts.socketPath) server.listen(opts.socketPath, () => resolve());
    else server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = opts.socketPath ? 0 : (server.address() as AddressInfo).port;
  const drainNow = () => {
    while (backlog.length) drain();
  };
  const flush = () => {
    drainNow();
    return opts.out ? recorder.writeTo(opts.out) : recorder.trajectories().length;
  };
  const periodic = opts.out && (opts.flushMs ?? 10_000) > 0;
  const worker = periodic ? startFlushWorker(opts.out!) : undefined;
  let writing: Promise<unknown> | undefined;
  let written = -1;
  let posted = 0;
  // Periodic rewrites never block the event loop on rebuilding or on the disk: in the worker when
  // running built code, else (from TypeScript sources) an async write skipped when nothing is new.
  const flushInBackground = () => {
    if (worker) {
      // What is still in the backlog goes with the next flush (draining it here would stall streams).
      worker.flush(recorder.calls.slice(posted), recorder.estimated);
      posted = recorder.calls.length;
      return;
    }
    if (writing || recorder.calls.length === written) return;
    written = recorder.calls.length;
    writing = recorder.writeToAsync(opts.out!).catch(() => undefined).finally(() => (writing = undefined));
  };
  const timer = periodic ? setInterval(flushInBackground, opts.flushMs ?? 10_000) : undefined;
  timer?.unref();
  return {
    url: opts.socketPath ? `unix:${opts.socketPath}` : `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    recorder,
    flush,
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dispatcher.close();
      await writing;
      await worker?.close();
      flush();
    },
  };
}
