/**
 * The recording proxy: an OpenAI-compatible pass-through (node:http in, undici out). Chat
 * completions are timed and their usage captured; a streaming request without
 * `stream_options.include_usage` gets it added, and the extra usage chunk is taken out of the
 * stream the client sees. Everything else (models list, embeddings, ...) is passed through
 * untouched. Request headers are forwarded to the upstream and never recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { monotonicClock, type Clock } from '../core/index.js';
import { Recorder, type RecordedExchange } from './recorder.js';

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
}

/** CLOCK_MONOTONIC stamps of one proxied request (comparable across processes on Linux). */
export interface ProxyTiming {
  requestId?: string;
  /** The request handler started (headers parsed). */
  arrivedNs: bigint;
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

function targetUrl(upstream: URL, path: string): string {
  let base = upstream.pathname.replace(/\/+$/, '');
  if (base.endsWith('/v1') && path.startsWith('/v1/')) base = base.slice(0, -3);
  return `${upstream.origin}${base}${path}`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Whether one SSE event's text is the usage-only chunk (`choices: []` + usage). */
function isUsageOnly(ev: string): boolean {
  return ev.includes('"usage"') && /"choices"\s*:\s*\[\s*\]/.test(ev);
}

const EVENT_END = /\r?\n\r?\n/;

export async function startRecordingProxy(opts: RecordingProxyOptions): Promise<RecordingProxy> {
  const upstream = new URL(opts.upstream);
  const clock = opts.clock ?? monotonicClock;
  const recorder = new Recorder({ keepContent: opts.keepContent });
  const dispatcher = new Agent({ connections: opts.connections ?? 1024, pipelining: 1, keepAliveTimeout: 60_000 });

  const forwardHeaders = (req: IncomingMessage, bodyLen: number): Record<string, string> => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) h[k] = Array.isArray(v) ? v.join(', ') : v;
    if (bodyLen) h['content-length'] = String(bodyLen);
    return h;
  };

  const onTiming = opts.onTiming;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const tm: ProxyTiming | undefined = onTiming ? { arrivedNs: process.hrtime.bigint(), upstreamSentNs: 0n, requestId: req.headers['x-request-id'] as string | undefined } : undefined;
    if (tm) res.once('finish', () => onTiming!(tm));
    const raw = await readBody(req);
    const path = req.url ?? '/';
    let body: Record<string, unknown> | undefined;
    if (req.method === 'POST' && /\/chat\/completions\/?(\?|$)/.test(path)) {
      try {
        const b = JSON.parse(raw.toString('utf8')) as unknown;
        if (b && typeof b === 'object' && Array.isArray((b as { messages?: unknown }).messages)) body = b as Record<string, unknown>;
      } catch {
        /* not JSON: pass through and let the upstream answer */
      }
    }
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const start = clock.nowMs();
    let injected = false;
    let payload: Buffer = raw;
    if (body && body.stream === true) {
      const so = (body.stream_options ?? {}) as Record<string, unknown>;
      if (so.include_usage !== true) {
        body = { ...body, stream_options: { ...so, include_usage: true } };
        injected = true;
        payload = Buffer.from(JSON.stringify(body));
      }
    }
    if (tm) tm.upstreamSentNs = process.hrtime.bigint();
    const up = await request(targetUrl(upstream, path), {
      method: (req.method ?? 'GET') as 'GET',
      headers: forwardHeaders(req, payload.length),
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : payload,
      dispatcher,
      signal: ac.signal,
    });
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k) && k !== 'content-length') headers[k] = v;
    res.writeHead(up.statusCode, headers);
    if (!body || up.statusCode !== 200) {
      for await (const c of up.body) res.write(c);
      res.end();
      return;
    }
    const reqId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined;
    const nv = (body.nvext ?? {}) as { agent_context?: RecordedExchange['agentContext'] };
    const x: RecordedExchange = {
      startMs: start, endMs: start, requestMessages: body.messages as unknown[], requestId: reqId,
      agentContext: nv.agent_context, model: typeof body.model === 'string' ? body.model : undefined,
    };
    const isSse = String(up.headers['content-type'] ?? '').includes('text/event-stream');
    if (!isSse) {
      const chunks: Buffer[] = [];
      for await (const c of up.body) chunks.push(c as Buffer);
      const buf = Buffer.concat(chunks);
      res.end(buf);
      x.endMs = clock.nowMs();
      try {
        const j = JSON.parse(buf.toString('utf8')) as { usage?: RecordedExchange['usage']; model?: string; choices?: { message?: RecordedExchange['responseMessage']; finish_reason?: string }[] };
        x.usage = j.usage;
        x.responseMessage = j.choices?.[0]?.message;
        x.finishReason = j.choices?.[0]?.finish_reason;
        x.model ??= j.model;
      } catch {
        return; // not a completion we can read: passed through, not recorded
      }
      recorder.add(x);
      return;
    }
    // Streaming: forward whole events as they complete; look only at the ones that matter.
    let pending = '';
    let text = '';
    const toolNames: string[] = [];
    const seeEvent = (ev: string) => {
      if (x.ttftMs === undefined && /"(content|reasoning_content)"\s*:\s*"[^"]|"tool_calls"/.test(ev)) x.ttftMs = clock.nowMs() - start;
      if (ev.includes('"usage"') || ev.includes('"tool_calls"') || /"finish_reason"\s*:\s*"/.test(ev) || opts.keepContent) {
        const data = ev.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        if (!data || data === '[DONE]') return;
        try {
          const j = JSON.parse(data) as { usage?: RecordedExchange['usage']; choices?: { delta?: { content?: string; tool_calls?: { function?: { name?: string } }[] }; finish_reason?: string | null }[] };
          if (j.usage) x.usage = j.usage;
          const ch = j.choices?.[0];
          if (ch?.finish_reason) x.finishReason = ch.finish_reason;
          for (const t of ch?.delta?.tool_calls ?? []) if (t.function?.name) toolNames.push(t.function.name);
          if (opts.keepContent && typeof ch?.delta?.content === 'string') text += ch.delta.content;
        } catch {
          /* malformed event: forwarded as is */
        }
      }
    };
    for await (const c of up.body) {
      if (tm && !tm.upstreamFirstNs) tm.upstreamFirstNs = process.hrtime.bigint();
      pending += (c as Buffer).toString('utf8');
      let out = '';
      for (let m = EVENT_END.exec(pending); m; m = EVENT_END.exec(pending)) {
        const ev = pending.slice(0, m.index);
        const whole = pending.slice(0, m.index + m[0].length);
        pending = pending.slice(m.index + m[0].length);
        seeEvent(ev);
        if (injected && isUsageOnly(ev)) continue;
        out += whole;
      }
      if (out) {
        res.write(out);
        if (tm && !tm.clientFirstNs) tm.clientFirstNs = process.hrtime.bigint();
      }
    }
    if (pending) res.write(pending);
    res.end();
    x.endMs = clock.nowMs();
    x.responseMessage = { role: 'assistant', ...(opts.keepContent ? { content: text } : {}), ...(toolNames.length ? { tool_calls: toolNames.map((name) => ({ function: { name } })) } : {}) };
    recorder.add(x);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `agentdyno record: upstream ${opts.upstream} failed: ${(e as Error)?.message ?? String(e)}`, type: 'upstream_error' } }));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const flush = () => (opts.out ? recorder.writeTo(opts.out) : recorder.trajectories().length);
  const timer = opts.out && (opts.flushMs ?? 10_000) > 0 ? setInterval(flush, opts.flushMs ?? 10_000) : undefined;
  timer?.unref();
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    recorder,
    flush,
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dispatcher.close();
      flush();
    },
  };
}
