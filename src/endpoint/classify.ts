/** Fault classification: turns transport errors and HTTP statuses into an ErrorClass. Pure. */
import type { ErrorClass } from './types.js';

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const TIMEOUT = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** Error codes found on the error, its cause chain and AggregateError members (undici nests them). */
function codesOf(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const e = err as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  const out: string[] = [];
  if (typeof e.code === 'string') out.push(e.code);
  if (typeof e.name === 'string') out.push(e.name);
  if (e.cause) out.push(...codesOf(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const x of e.errors) out.push(...codesOf(x, depth + 1));
  return out;
}

/** Classify a transport-level error (no HTTP status). */
export function classifyError(err: unknown): ErrorClass {
  const codes = codesOf(err);
  if (codes.some((c) => c === 'AbortError' || c === 'UND_ERR_ABORTED')) return 'aborted';
  if (codes.some((c) => TIMEOUT.has(c))) return 'timeout';
  if (codes.some((c) => REFUSED.has(c))) return 'refused';
  if (codes.some((c) => RESET.has(c))) return 'reset';
  return 'other';
}

const CONTEXT_RE =
  /context length|context_length|maximum context|context window|max_model_len|maximum model length|prompt is too long|too many tokens|exceeds the model|input is too long/i;

/** Classify a non-2xx response from its status and (a prefix of) its body. */
export function classifyHttpStatus(status: number, body = ''): ErrorClass {
  if (status === 429) return 'http_429';
  if (status >= 400 && status < 500) {
    if ((status === 400 || status === 413 || status === 422) && CONTEXT_RE.test(body)) return 'context_overflow';
    return 'http_4xx';
  }
  if (status >= 500) return 'http_5xx';
  return 'other';
}

/** True when an in-stream error object (vLLM sends `data: {"error": ...}`) reads as context overflow. */
export function mentionsContextOverflow(text: string): boolean {
  return CONTEXT_RE.test(text);
}

/**
 * Retry-After: delay-seconds (integer, or decimal as some proxies send) or an HTTP-date.
 * Returns milliseconds from `nowMs` (never negative), or null when absent or unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, nowMs = Date.now()): number | null {
  if (value == null) return null;
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return null; // e.g. "-5": not a date either
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - nowMs);
}

/**
 * What a fault class means for a verdict, in the words of the error table: `timeout` (the call
 * produced no token by its deadline, however far it got: no_answer, headers_only, keepalive_only,
 * timeout), `throttled` (429), `refused`, `reset`, `server` (5xx), `client` (other 4xx),
 * `protocol` (malformed SSE, early close, missing usage), `context_overflow`, `aborted` (we cut it:
 * not a fault of the endpoint), `other`.
 */
export type FaultFamily = 'timeout' | 'throttled' | 'refused' | 'reset' | 'server' | 'client' | 'protocol' | 'context_overflow' | 'aborted' | 'other';

const FAMILY: Record<ErrorClass, FaultFamily> = {
  timeout: 'timeout',
  no_answer: 'timeout',
  headers_only: 'timeout',
  keepalive_only: 'timeout',
  http_429: 'throttled',
  refused: 'refused',
  reset: 'reset',
  http_5xx: 'server',
  http_4xx: 'client',
  malformed_sse: 'protocol',
  early_close: 'protocol',
  missing_usage: 'protocol',
  context_overflow: 'context_overflow',
  aborted: 'aborted',
  other: 'other',
};

export function faultFamily(cls: ErrorClass): FaultFamily {
  return FAMILY[cls] ?? 'other';
}

/** Every error class, for tables that list them all (zero counts included). */
export const ERROR_CLASSES = Object.keys(FAMILY) as ErrorClass[];

/**
 * The faults of one call, every try included (a call retried after two 429s and then answered has
 * two faults, though its last try is ok). `aborted` (cut by us) is not a fault.
 */
export function callFaults(r: { ok: boolean; errorClass: ErrorClass | null; attempts?: readonly { ok: boolean; errorClass: ErrorClass | null }[] }): ErrorClass[] {
  const out: ErrorClass[] = [];
  const tries = r.attempts && r.attempts.length ? r.attempts : [r];
  for (const a of tries) if (!a.ok && a.errorClass !== null && a.errorClass !== 'aborted') out.push(a.errorClass);
  return out;
}
