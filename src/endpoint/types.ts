/**
 * Endpoint client contract. The client knows nothing about agents or SLOs: it sends one request and
 * returns what happened, with raw monotonic timestamps taken as chunks arrive.
 */

/** Every way a request can fail, counted per request; a fault never crashes a run. */
export type ErrorClass =
  | 'refused'        // ECONNREFUSED: nothing listening
  | 'reset'          // ECONNRESET / socket hang up mid-request
  | 'timeout'        // tokens came, then none within the deadline (keep-alives do not count), or connect timeout
  | 'no_answer'      // no response headers within the deadline
  | 'headers_only'   // headers arrived, then no body byte within the deadline
  | 'keepalive_only' // body bytes arrived (`: ping` comments, empty events, role-only deltas) but no token by the deadline
  | 'http_429'       // rate limited: family `throttled` (Retry-After honoured by the caller's retry policy)
  | 'http_4xx'       // other client error (bad model name, context overflow...)
  | 'http_5xx'       // server error
  | 'malformed_sse'  // a data: line that is not JSON, or an unexpected event shape
  | 'early_close'    // stream ended without [DONE] / finish_reason
  | 'missing_usage'  // stream completed but no usage block: counts would have to be guessed.
                     // Reported as ok:false (timings kept) so it is counted and never silently
                     // turned into a chunk-count guess; callers may still use the timings.
  | 'context_overflow' // 400 whose body says the prompt exceeds the model's context
  | 'aborted'        // cancelled by us (Ctrl-C, end of window)
  | 'other';

export interface EndpointConfig {
  /** Base URL, e.g. http://127.0.0.1:8000 (with or without /v1). */
  baseUrl: string;
  model: string;
  /** Name of the environment variable holding the API key; the key itself is never stored or logged. */
  apiKeyEnv?: string;
  headers?: Record<string, string>;
  /**
   * Per-request deadline for the response headers, for the first token and for the gap between
   * tokens (default 600,000 ms). Keep-alives (`: ping` comments, empty `data:` events, deltas with no
   * visible output) do not restart it, so a call that produces no token by the deadline is a
   * timeout-family fault (`no_answer`, `headers_only`, `keepalive_only`, `timeout`). Deadlines >= 1 s
   * fire with ~0.5 s resolution.
   */
  timeoutMs?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  [k: string]: unknown;
}

export interface CompletionRequest {
  /**
   * 'chat' -> /v1/chat/completions with messages; 'completions' -> /v1/completions with prompt;
   * 'responses' -> /v1/responses (OpenAI Responses API); 'messages' -> /v1/messages (Anthropic).
   * The same messages are mapped onto each API's input (wire/*.ts); timing rules are shared.
   */
  api: 'chat' | 'completions' | 'responses' | 'messages';
  messages?: ChatMessage[];
  prompt?: string;
  maxTokens: number;
  /** Force the output length: sends min_tokens = maxTokens and ignore_eos = true. */
  forceOutputLength?: boolean;
  /** Extra body fields merged last (e.g. vendor extensions). */
  extraBody?: Record<string, unknown>;
  requestId?: string;
  signal?: AbortSignal;
  /** Keep the generated text in RequestResult.outputText (costs memory; off by default). */
  keepOutputText?: boolean;
}

/** Client options beyond the endpoint config. */
export interface EndpointClientOptions {
  /** Max sockets to the origin; must be >= peak in-flight streams (default 8192, opened lazily). */
  connections?: number;
  /** Idle keep-alive per socket (default 60 s). */
  keepAliveTimeoutMs?: number;
  /** Cap on the error body kept for classification (default 8 KiB). */
  maxErrorBodyBytes?: number;
  /**
   * Streaming transport: 'net' (default; net-pool.ts: a lean HTTP/1.1 reader on node:net, each
   * socket read stamped before parsing, less CPU per token event than undici) or 'undici' (HTTP/1.1
   * via undici's Pool). Setup calls (models, tokenize) always use undici. Without this option the
   * AGENTDYNO_TRANSPORT environment variable picks ('undici' or 'net'). 'native' (opt-in, Linux,
   * plain http only): net's HTTP reader, with the socket reads done and stamped by a small C
   * helper process that batches them over one pipe (src/endpoint/native/, docs/client-timing.md).
   */
  transport?: 'undici' | 'net' | 'native';
}

/** One try of a request, as recorded by withRetry. */
export interface AttemptRecord {
  ok: boolean;
  errorClass: ErrorClass | null;
  httpStatus: number | null;
  retryAfterMs: number | null;
  tSendNs: bigint;
  tEndNs: bigint;
  /** How long withRetry waited after this attempt before the next one (0 for the last). */
  waitMs: number;
}

export interface ModelInfo {
  id: string;
  /** vLLM/SGLang `max_model_len` when the server reports it. */
  maxModelLen?: number;
  /** `owned_by` as the server reports it (agentdyno's simulator says "agentdyno-sim"). */
  ownedBy?: string;
}

/** agentdyno's simulator, recognised by what it announces (x-agentdyno-sim header, owned_by). */
export interface SimulatorIdentity {
  /** agentdyno version the simulator reports (null when only owned_by said so). */
  version: string | null;
  /** Profile name from the models listing, when reported. */
  profile: string | null;
  /** What gave it away, e.g. "x-agentdyno-sim header" or "owned_by agentdyno-sim". */
  via: string;
}

/** GET /v1/models, plus whether the answer came from agentdyno's simulator. */
export interface ServerDescription {
  models: ModelInfo[];
  simulator: SimulatorIdentity | null;
}

export interface TokenizeResult {
  count: number;
  maxModelLen?: number;
}

/** What probeStreaming() learned about the endpoint with one small forced-length request. */
export interface StreamingProbe {
  ok: boolean;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  /** Output arrived as more than one SSE chunk. */
  streamed: boolean;
  usagePresent: boolean;
  /** usage.completion_tokens equalled the forced length (ignore_eos/min_tokens honoured). */
  honoursForcedLength: boolean;
  requestedTokens: number;
  completionTokens: number | null;
  outputChunks: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number | null;
  /** Reasoning tokens inside completionTokens, where the API reports them (not Anthropic). */
  reasoningTokens?: number;
}

export interface RequestResult {
  requestId: string;
  ok: boolean;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  httpStatus: number | null;
  /** Retry-After in ms when the server sent one (429/503). */
  retryAfterMs: number | null;
  /** Monotonic ns (process.hrtime.bigint()) when the request was handed to undici. */
  tSendNs: bigint;
  /** First byte of the response body (TTFB). */
  tFirstByteNs: bigint | null;
  /** First chunk carrying visible output: content, reasoning or a tool call (TTFT). */
  tFirstTokenNs: bigint | null;
  /** Last chunk carrying output. */
  tLastTokenNs: bigint | null;
  tEndNs: bigint;
  /** Arrival time of every socket read that carried output, and how many output pieces it carried. */
  tokenChunkTimesNs: bigint[];
  /**
   * Parallel to tokenChunkTimesNs: output-carrying SSE events that arrived in that socket read
   * (usually 1; >1 when events were coalesced on the wire or by a late read). A single event may still carry several
   * tokens (spec decode, --stream-interval); usage.completionTokens is the authoritative count.
   */
  tokenChunkPieces: number[];
  /**
   * Reads (socket data callbacks) that delivered more than one output-carrying event of this call:
   * 0 when every piece came in its own read. Above 0 the client stamped several pieces with one
   * arrival time, so their gaps (ITL, decode rate of a short call) are not resolved.
   */
  coalescedReads: number;
  /** Response status line + headers arrived. */
  tHeadersNs: bigint | null;
  /** First chunk carrying non-reasoning output (content or tool call): AIPerf's TTFO. */
  tFirstContentNs: bigint | null;
  /** Present when the result came through withRetry: every try, the last one included. */
  attempts?: AttemptRecord[];
  usage: Usage | null;
  /** Text the server produced (only when asked to keep it, e.g. --history generated). */
  outputText?: string;
  finishReason: string | null;
}
