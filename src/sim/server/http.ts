/**
 * The simulator's OpenAI-compatible HTTP front end on node:http. One engine per server, driven in
 * real time; see completion.ts for the request path and output.ts for SSE habits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentdynoError, Rng, monotonicClock } from '../../core/index.js';
import { SimEngine } from '../engine/engine.js';
import { loadProfile, type SimProfile } from '../profile.js';
import { hashChatPrompt, hashCompletionPrompt, simSchemaText, simTokenize, type SimChatMessage } from '../tokenize.js';
import { handleCompletion, HttpError, sendError } from './completion.js';
import { RealtimeDriver } from './driver.js';
import { handleWire } from './wire-front.js';
import { buildScript } from './script.js';
import { handleScript } from './script-front.js';
import { apiOfPath } from '../../endpoint/index.js';
import { renderMetrics } from './metrics.js';
import { validateServerOptions, type SimServer, type SimServerOptions } from './options.js';
import { SIM_HEADER, SIM_OWNED_BY, simVersion } from './identity.js';

const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** /tokenize returns the token list only up to this many tokens (long prompts: count only). */
const TOKENIZE_LIST_MAX = 8192;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY_BYTES) {
        reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

function json(res: ServerResponse, status: number, obj: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

export interface SimServerHandle extends SimServer {
  engine: SimEngine;
}

/** Start the simulated server in this process. `port: 0` picks a free loopback port. */
export async function startSimServer(opts: SimServerOptions = {}): Promise<SimServerHandle> {
  validateServerOptions(opts);
  const profile: SimProfile = typeof opts.profile === 'object' ? opts.profile : loadProfile(opts.profile ?? 'small');
  const engine = new SimEngine(profile, monotonicClock);
  const driver = new RealtimeDriver(engine, monotonicClock);
  const rng = new Rng(opts.seed ?? 42);
  const ctx = { profile, driver, opts, rng };
  const script = opts.script ? buildScript(opts.script) : null;
  const host = opts.host ?? '127.0.0.1';

  const version = simVersion();
  const server = createServer((req, res) => {
    // Every answer (streams, errors, /metrics) says it came from the simulator.
    res.setHeader(SIM_HEADER, version);
    void route(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendError(res, e);
      sendError(res, new HttpError(500, `simulator error: ${(e as Error)?.message ?? String(e)}`, 'internal_server_error'));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (script && method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions' || path === '/v1/responses' || path === '/v1/messages')) {
      return handleScript(script, opts, apiOfPath(path)!, await readJson(req), req, res);
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) {
      const body = await readJson(req);
      return handleCompletion(ctx, path === '/v1/chat/completions' ? 'chat' : 'completions', body, res);
    }
    if (method === 'POST' && (path === '/v1/responses' || path === '/v1/messages')) {
      const body = await readJson(req);
      return handleWire(ctx, path === '/v1/responses' ? 'responses' : 'messages', body, res);
    }
    if (method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: [{ id: profile.servedModelName, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: SIM_OWNED_BY, root: profile.servedModelName, parent: null, max_model_len: profile.maxModelLen, illustrative: true, agentdyno_sim: { version, profile: profile.name } }],
      });
    }
    if (method === 'POST' && path === '/tokenize' && !opts.disableTokenize) {
      const body = await readJson(req);
      const bs = profile.kvCache.blockSize;
      let count: number;
      let tokens: number[] | undefined;
      if (Array.isArray(body.messages)) count = hashChatPrompt(body.messages as SimChatMessage[], bs, simSchemaText(body)).tokens;
      else if (typeof body.prompt === 'string') {
        count = hashCompletionPrompt(body.prompt, bs).tokens;
        if (count <= TOKENIZE_LIST_MAX) tokens = simTokenize(body.prompt).map(wordId);
      } else throw new HttpError(400, 'tokenize needs "prompt" (string) or "messages" (array)');
      return json(res, 200, { count, max_model_len: profile.maxModelLen, ...(tokens ? { tokens } : {}) });
    }
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(renderMetrics(engine, monotonicClock.nowMs(), profile.servedModelName, driver.lagMsTotal, version));
    }
    if (method === 'GET' && (path === '/health' || path === '/ping' || path === '/v1/health')) return json(res, 200, { status: 'ok' });
    throw new HttpError(404, `no route ${method} ${path} on the agentdyno simulator`, 'not_found_error');
  }

  await new Promise<void>((resolveListen, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        e.code === 'EADDRINUSE'
          ? new AgentdynoError(`port ${opts.port} is already in use, so the simulator cannot listen there`, { code: 'E_PORT_IN_USE', where: `${host}:${opts.port}`, hint: 'Stop whatever holds the port or pick another with --port (0 picks a free one).', cause: e })
          : new AgentdynoError(`the simulator cannot listen: ${e.message}`, { code: 'E_LISTEN', where: `${host}:${opts.port ?? 0}`, hint: 'Check --host and --port.', cause: e }),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolveListen();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port ?? 0, host);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    profile,
    inWorker: false,
    engine,
    close: () =>
      new Promise<void>((resolveClose) => {
        driver.close();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function wordId(w: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 200_000;
}
