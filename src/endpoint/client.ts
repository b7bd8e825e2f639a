/**
 * OpenAI-compatible streaming client on one undici Pool (keep-alive, sized for thousands of
 * concurrent streams). `send` never throws for endpoint faults: it resolves a RequestResult whose
 * errorClass says what went wrong. Setup calls (listModels, tokenize) throw AgentdynoError.
 */
import { Pool } from 'undici';
import { AgentdynoError, newRequestId, registerSecret } from '../core/index.js';
import { StreamRequest, type StreamContext } from './stream.js';
import { NetPool, type NetHandler } from './net-pool.js';
import { nativeLingerUs, nativeReaderPath } from './native/mux.js';
import { encodeBody } from './body-json.js';
import { WIRE, authHeaders } from './wire/index.js';
import { resolveBaseUrl, type EndpointTarget } from './url.js';
import type {
  CompletionRequest,
  EndpointClientOptions,
  EndpointConfig,
  ModelInfo,
  RequestResult,
  ServerDescription,
  StreamingProbe,
  TokenizeResult,
} from './types.js';

/** What agentdyno's simulator announces (src/sim/server/identity.ts; endpoint does not import sim). */
export const SIM_HEADER = 'x-agentdyno-sim';
export const SIM_OWNED_BY = 'agentdyno-sim';

function transportFromEnv(): 'net' | 'undici' | 'native' {
  const v = process.env.AGENTDYNO_TRANSPORT;
  if (v === undefined || v === '' || v === 'net') return 'net';
  if (v === 'undici' || v === 'native') return v;
  throw new AgentdynoError(`AGENTDYNO_TRANSPORT=${v} is not a transport`, { code: 'E_USAGE', where: 'env AGENTDYNO_TRANSPORT', hint: 'Use net (the default), undici or native.' });
}

/** The native reader's binary, or a coded refusal (opt-in: never a silent fall back to net). */
function nativeReaderFor(target: EndpointTarget): string {
  const where = 'transport native (AGENTDYNO_TRANSPORT or the transport option)';
  if (target.origin.startsWith('https:')) {
    throw new AgentdynoError(`the native transport reads plain http only; ${target.origin} needs TLS`, { code: 'E_USAGE', where, hint: 'Use the net transport (the default) for https endpoints.' });
  }
  const bin = nativeReaderPath();
  if (bin === null) {
    throw new AgentdynoError('the native transport\'s reader (dist/native/agentdyno-reader) is not built', { code: 'E_USAGE', where,
      hint: 'Install a C compiler (e.g. apt-get install gcc) and run npm run build, set AGENTDYNO_NATIVE_READER to a built reader, or use the net transport (the default).',
    });
  }
  if (nativeLingerUs() === null) {
    throw new AgentdynoError(`AGENTDYNO_NATIVE_LINGER_US=${process.env.AGENTDYNO_NATIVE_LINGER_US} is not a whole number of microseconds 0..5000`, { code: 'E_USAGE_RANGE', where: 'env AGENTDYNO_NATIVE_LINGER_US', hint: 'Unset it (200 µs), or 0 for no linger.' });
  }
  return bin;
}

/** 10 minutes: long prompts at saturation can legitimately wait minutes for a first byte. */
export const DEFAULT_TIMEOUT_MS = 600_000;

export class EndpointClient {
  readonly config: Readonly<EndpointConfig>;
  readonly target: EndpointTarget;
  private readonly pool: Pool;
  /** The lean streaming transport, when opts.transport is 'net' or 'native' (setup calls stay on `pool`). */
  private readonly net: NetPool | null;
  /** The streaming transport in use (the timing canary reads through the same one). */
  readonly transport: 'net' | 'undici' | 'native';
  private readonly timeoutMs: number;
  // The key lives only in this #private header object and the redact closure, so that
  // util.inspect / JSON.stringify of the client never show them.
  readonly #headers: Record<string, string>;
  readonly #key: string | null;
  private readonly ctx: StreamContext;
  private readonly idPrefix = newRequestId();
  private seq = 0;

  constructor(config: EndpointConfig, opts: EndpointClientOptions = {}) {
    this.config = { ...config, headers: config.headers ? { ...config.headers } : undefined };
    this.target = resolveBaseUrl(config.baseUrl);
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let key: string | null = null;
    if (config.apiKeyEnv) {
      const v = process.env[config.apiKeyEnv];
      if (!v) {
        throw new AgentdynoError(`environment variable ${config.apiKeyEnv} (named by apiKeyEnv) is not set or empty`, { code: 'E_ENDPOINT_AUTH', where: 'endpoint.apiKeyEnv',
          hint: `Export ${config.apiKeyEnv}=<key>, or drop apiKeyEnv for an endpoint without auth.`,
        });
      }
      key = v;
      registerSecret(v); // the store and the console mask it too, wherever it is echoed
    }
    this.#key = key;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(config.headers ?? {}),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    };
    const redact = key ? (s: string) => (s.includes(key) ? s.split(key).join('[redacted]') : s) : (s: string) => s;
    this.ctx = { redact, maxErrorBodyBytes: opts.maxErrorBodyBytes ?? 8192, deadlineMs: this.timeoutMs };
    const keepAlive = opts.keepAliveTimeoutMs ?? 60_000;
    this.pool = new Pool(this.target.origin, {
      connections: opts.connections ?? 8192,
      pipelining: 1, // one stream per socket: pipelined SSE would serialize streams
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: { timeout: Math.min(this.timeoutMs, 30_000) },
    });
    // The lean net transport is the default (it passes the endpoint and hostile fault suites that
    // undici passes, at less CPU per token); AGENTDYNO_TRANSPORT=undici goes back to undici where a
    // command has no flag for it.
    const transport = opts.transport ?? transportFromEnv();
    this.transport = transport;
    const nativeReader = transport === 'native' ? nativeReaderFor(this.target) : undefined;
    this.net =
      transport === 'net' || transport === 'native'
        ? new NetPool(this.target.origin, {
            connections: opts.connections ?? 8192,
            keepAliveTimeoutMs: keepAlive,
            connectTimeoutMs: Math.min(this.timeoutMs, 30_000),
            headersTimeoutMs: this.timeoutMs,
            bodyTimeoutMs: this.timeoutMs,
            nativeReader,
          })
        : null;
  }

  /** The request body sent for `req` (exported for tests and for dry runs). */
  buildBody(req: CompletionRequest): Record<string, unknown> {
    const body = WIRE[req.api].body(req, this.config.model);
    if (req.forceOutputLength) {
      body.min_tokens = req.maxTokens;
      body.ignore_eos = true;
    }
    if (req.extraBody) Object.assign(body, req.extraBody);
    return body;
  }

  /** Send one streaming request. Resolves (never rejects) for every endpoint fault. */
  send(req: CompletionRequest): Promise<RequestResult> {
    // Generated ids: random per client, then a counter (no crypto call per request).
    const requestId = req.requestId ?? `${this.idPrefix}-${(this.seq++).toString(36)}`;
    const payload = encodeBody(this.buildBody(req));
    return new Promise<RequestResult>((resolve) => {
      const tSendNs = process.hrtime.bigint();
      const wire = WIRE[req.api];
      const handler = new StreamRequest(this.ctx, requestId, tSendNs, req.keepOutputText === true, req.signal, resolve, wire.parser());
      if (req.signal?.aborted) {
        // Already cancelled: settle as aborted without touching the network.
        handler.onAbort();
        return;
      }
      try {
        const path = `${this.target.root}${wire.path}`;
        const headers = req.api === 'chat' || req.api === 'completions' ? { ...this.#headers, 'x-request-id': requestId } : { ...this.#headersFor(req.api), 'x-request-id': requestId };
        if (this.net) this.net.dispatch({ path, method: 'POST', headers, body: payload }, handler as unknown as NetHandler);
        else this.pool.dispatch({ path, method: 'POST', headers, body: payload.length === 1 ? payload[0] : Buffer.concat(payload), headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs }, handler);
      } catch (err) {
        // Dispatch on a closed pool throws synchronously.
        handler.onResponseError(null as never, err as Error);
      }
    });
  }

  /** Headers for the Responses / Messages APIs (Anthropic takes x-api-key, not a bearer token). */
  #headersFor(api: CompletionRequest['api']): Record<string, string> {
    const { authorization: _a, ...rest } = this.#headers;
    return { ...rest, ...authHeaders(api, this.#key) };
  }

  /**
   * GET /v1/models -> ids and max_model_len where reported. `api` says how to authenticate:
   * 'messages' sends the key as x-api-key with anthropic-version (Anthropic), the others as a bearer token.
   */
  async listModels(signal?: AbortSignal, api: CompletionRequest['api'] = 'chat'): Promise<ModelInfo[]> {
    return (await this.describeServer(signal, api)).models;
  }

  /**
   * GET /v1/models, and whether the server is agentdyno's simulator: its x-agentdyno-sim header,
   * or an entry owned_by "agentdyno-sim" (a proxy may drop headers, not the body).
   */
  async describeServer(signal?: AbortSignal, api: CompletionRequest['api'] = 'chat'): Promise<ServerDescription> {
    const { status, body, headers } = await this.plainRequest('GET', `${this.target.root}/v1/models`, undefined, signal, api);
    if (status === 401 || status === 403) {
      throw new AgentdynoError(`GET /v1/models answered HTTP ${status}: the endpoint refused the request's credentials: ${body.slice(0, 200)}`, { code: 'E_ENDPOINT_AUTH', where: `${this.target.origin}${this.target.root}/v1/models`,
        hint: this.config.apiKeyEnv ? `Check the key in ${this.config.apiKeyEnv}.` : 'The endpoint wants an API key: pass --api-key-env NAME (the variable holding it).',
      });
    }
    if (status !== 200) throw this.setupError(`GET /v1/models answered HTTP ${status}: ${body.slice(0, 200)}`, '/v1/models', undefined, 'E_ENDPOINT_PROTOCOL');
    let data: unknown;
    try {
      data = (JSON.parse(body) as { data?: unknown }).data;
    } catch {
      throw this.setupError(`GET /v1/models did not return JSON: ${body.slice(0, 80)}`, '/v1/models', undefined, 'E_ENDPOINT_PROTOCOL');
    }
    if (!Array.isArray(data)) throw this.setupError('GET /v1/models has no data[] array', '/v1/models', undefined, 'E_ENDPOINT_PROTOCOL');
    const entries = data.filter((m) => m && typeof m.id === 'string');
    const models: ModelInfo[] = entries.map((m) => ({
      id: m.id,
      ...(typeof m.max_model_len === 'number' ? { maxModelLen: m.max_model_len } : {}),
      ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
    }));
    const header = headers[SIM_HEADER];
    const headerVersion = Array.isArray(header) ? header[0] : header;
    const simEntry = entries.find((m) => m.owned_by === SIM_OWNED_BY);
    const info = simEntry?.agentdyno_sim as { version?: unknown; profile?: unknown } | undefined;
    const simulator =
      headerVersion !== undefined || simEntry
        ? {
            version: headerVersion ?? (typeof info?.version === 'string' ? info.version : null),
            profile: typeof info?.profile === 'string' ? info.profile : null,
            via: headerVersion !== undefined ? `${SIM_HEADER} header` : `owned_by ${SIM_OWNED_BY}`,
          }
        : null;
    return { models, simulator };
  }

  /** vLLM/SGLang POST /tokenize. Returns null when the endpoint has no such route. */
  async tokenize(input: string | CompletionRequest['messages'], signal?: AbortSignal): Promise<TokenizeResult | null> {
    const reqBody = typeof input === 'string' ? { model: this.config.model, prompt: input } : { model: this.config.model, messages: input };
    const { status, body } = await this.plainRequest('POST', `${this.target.root}/tokenize`, JSON.stringify(reqBody), signal);
    if (status === 404 || status === 405 || status === 501) return null;
    if (status !== 200) throw this.setupError(`POST /tokenize answered HTTP ${status}: ${body.slice(0, 200)}`, '/tokenize', undefined, 'E_ENDPOINT_PROTOCOL');
    try {
      const o = JSON.parse(body) as { count?: number; tokens?: unknown[]; max_model_len?: number };
      const count = typeof o.count === 'number' ? o.count : Array.isArray(o.tokens) ? o.tokens.length : null;
      if (count === null) return null;
      return typeof o.max_model_len === 'number' ? { count, maxModelLen: o.max_model_len } : { count };
    } catch {
      throw this.setupError('POST /tokenize did not return JSON', '/tokenize', undefined, 'E_ENDPOINT_PROTOCOL');
    }
  }

  /**
   * One small forced-length request: does the endpoint stream, send usage, and honour
   * ignore_eos/min_tokens (DESIGN 4, History)?
   */
  async probeStreaming(opts: { api?: CompletionRequest['api']; maxTokens?: number; signal?: AbortSignal } = {}): Promise<StreamingProbe> {
    const maxTokens = opts.maxTokens ?? 16;
    const api = opts.api ?? 'chat';
    const prompt = 'Reply with one short word.';
    const r = await this.send({
      api,
      ...(api === 'completions' ? { prompt } : { messages: [{ role: 'user' as const, content: prompt }] }),
      maxTokens,
      forceOutputLength: true,
      signal: opts.signal,
    });
    const completionTokens = r.usage?.completionTokens ?? null;
    // Output events, not reads: a fast server's short answer may land in few reads and still stream.
    let events = 0;
    for (const p of r.tokenChunkPieces) events += p;
    return {
      ok: r.ok,
      errorClass: r.errorClass,
      errorMessage: r.errorMessage,
      streamed: events > 1,
      usagePresent: r.usage !== null,
      honoursForcedLength: completionTokens === maxTokens,
      requestedTokens: maxTokens,
      completionTokens,
      outputChunks: events,
    };
  }

  /** Close the pool: waits for in-flight requests unless `force`. */
  async close(force = false): Promise<void> {
    if (this.net && !this.net.closed) await this.net.close(force);
    if (this.pool.destroyed || this.pool.closed) return;
    if (force) await this.pool.destroy();
    else await this.pool.close();
  }

  private async plainRequest(method: 'GET' | 'POST', path: string, body: string | undefined, signal?: AbortSignal, api: CompletionRequest['api'] = 'chat'): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
    const headers = { ...(api === 'messages' ? this.#headersFor(api) : this.#headers), accept: 'application/json' };
    try {
      const res = await this.pool.request({ path, method, headers, body, signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      return { status: res.statusCode, body: this.ctx.redact(await res.body.text()), headers: res.headers };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw this.setupError(`${method} ${path} got ${code === 'UND_ERR_HEADERS_TIMEOUT' ? 'no response headers' : 'no body'} within ${Math.round(this.timeoutMs / 1000)} s`, path, err, 'E_ENDPOINT_TIMEOUT');
      }
      throw this.setupError(`${method} ${path} failed: ${(err as Error).message}`, path, err);
    }
  }

  private setupError(what: string, path: string, cause?: unknown, code: 'E_ENDPOINT_UNREACHABLE' | 'E_ENDPOINT_TIMEOUT' | 'E_ENDPOINT_PROTOCOL' = 'E_ENDPOINT_UNREACHABLE'): AgentdynoError {
    return new AgentdynoError(this.ctx.redact(what), { code, where: `${this.target.origin}${path}`,
      hint: 'Check that the endpoint is up and OpenAI-compatible (--target URL, with or without /v1).',
      cause: cause === undefined ? undefined : new Error(this.ctx.redact(String((cause as Error)?.message ?? cause))),
    });
  }
}
