import type { Trajectory } from '../../trajectory/index.js';
import type { SimProfile } from '../profile.js';

/** How the stream is framed: habits of real servers that client parsers must survive. */
export interface SimStreamHabits {
  /** Output tokens per SSE chunk (spec decode / --stream-interval); default 1. */
  tokensPerChunk?: number;
  /** Send a role-only first chunk as soon as the request is accepted (before prefill). */
  roleChunk?: boolean;
  /** CRLF line endings instead of LF. */
  crlf?: boolean;
  /** `data:{json}` without the space (TGI style). */
  dataNoSpace?: boolean;
  /** Send `: ping` comment lines every N ms while a stream is open (0 = never). */
  pingMs?: number;
  /** Probability that a stream pauses mid-way for `stallMs` (delivery is held, generation is not). */
  stallProb?: number;
  stallMs?: number;
}

/** Faults, each drawn per request from a seeded rng. */
export interface SimFaults {
  /** Connection reset (TCP RST) mid-stream. */
  resetProb?: number;
  /** 429 with Retry-After (seconds = retryAfterS). */
  rateLimitProb?: number;
  retryAfterS?: number;
  /** 500 Internal Server Error. */
  error500Prob?: number;
  /** 503 Service Unavailable with Retry-After. */
  error503Prob?: number;
  /** A `data:` line that is not JSON, mid-stream. */
  malformedProb?: number;
  /** End the stream mid-way without finish_reason or [DONE]. */
  earlyCloseProb?: number;
  /** Never send usage (stream or non-stream). */
  omitUsage?: boolean;
  /**
   * Generate past max_tokens: true = up to 1.5x max_tokens, a number = that multiple (>1).
   * The random EOS still applies unless ignore_eos / min_tokens force the length.
   */
  ignoreMaxTokens?: boolean | number;
}

export interface SimServerOptions extends SimStreamHabits, SimFaults {
  /** Profile name (bundled), YAML path, or a loaded profile. Default `small`. */
  profile?: string | SimProfile;
  /** 0 = a free port. */
  port?: number;
  host?: string;
  /** Seed for EOS draws and fault draws. */
  seed?: number;
  /** Emit this many reasoning tokens (delta.reasoning_content) before content; per request: `sim_reasoning_tokens`. */
  reasoningTokens?: number;
  /** 404 (vLLM-style) when a request names a model other than the profile's served name; default: accept any. */
  strictModel?: boolean;
  /** Answer with a streamed tool call whenever the request offers `tools` (also: tool_choice required/named, or `sim_tool_call: true`). */
  toolCalls?: boolean;
  /** Answer POST /tokenize with 404, like endpoints without it (clients must fall back to usage). */
  disableTokenize?: boolean;
  /** Scripted playback: answer with this trajectory's recorded assistant turns (script.ts), not the engine. */
  script?: Trajectory;
  /** Scripted playback: also require every earlier message's text to equal the recording. */
  scriptStrict?: boolean;
  /** Scripted playback: multiply recorded ttft/duration (0 = no waiting; default 1). */
  scriptTimeScale?: number;
}

export interface SimServer {
  url: string;
  port: number;
  profile: SimProfile;
  /** True when the server runs in a worker thread (its own event loop). */
  inWorker: boolean;
  close(): Promise<void>;
}

export function validateServerOptions(o: SimServerOptions): void {
  const prob = (k: keyof SimServerOptions) => {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw new RangeError(`sim option ${k} must be a probability in [0, 1] (got ${String(v)})`);
  };
  for (const k of ['stallProb', 'resetProb', 'rateLimitProb', 'error500Prob', 'error503Prob', 'malformedProb', 'earlyCloseProb'] as const) prob(k);
  if (o.tokensPerChunk !== undefined && !(Number.isInteger(o.tokensPerChunk) && o.tokensPerChunk >= 1))
    throw new RangeError(`sim option tokensPerChunk must be an integer >= 1 (got ${o.tokensPerChunk})`);
  if (typeof o.ignoreMaxTokens === 'number' && !(o.ignoreMaxTokens > 1)) throw new RangeError(`sim option ignoreMaxTokens must be true or a factor > 1 (got ${o.ignoreMaxTokens})`);
}
