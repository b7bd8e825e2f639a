/** Retry wrapper for 429 / 5xx (and optionally connection faults), recording every attempt. */
import type { AttemptRecord, CompletionRequest, ErrorClass, RequestResult } from './types.js';
import { sleep as abortableSleep } from '../core/index.js';

export interface RetryOptions {
  /** Retries after the first try (0 = no retry). */
  max: number;
  /** Wait the server's Retry-After when it sent one (default true). */
  honourRetryAfter?: boolean;
  /** Backoff when no Retry-After: base * 2^attempt, capped (defaults 500 ms, 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Upper bound on a Retry-After we are willing to wait (default 60 s). */
  maxRetryAfterMs?: number;
  /** Classes worth retrying (default http_429, http_5xx). */
  retryOn?: readonly ErrorClass[];
  /** Injected for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type Send = (req: CompletionRequest) => Promise<RequestResult>;


/**
 * Wrap `send` so that retryable faults are retried. The returned result is the last attempt's,
 * with `attempts` listing every try (timings of each, the wait after it). Timings of the final
 * result start at its own send; measure from the scheduled time to include the retries.
 */
export function withRetry(send: Send, opts: RetryOptions): Send {
  const honour = opts.honourRetryAfter ?? true;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;
  const maxRA = opts.maxRetryAfterMs ?? 60_000;
  const retryOn = new Set<ErrorClass>(opts.retryOn ?? ['http_429', 'http_5xx']);
  const sleep = opts.sleep ?? abortableSleep;
  return async (req) => {
    const attempts: AttemptRecord[] = [];
    for (let i = 0; ; i++) {
      const r = await send(req);
      const rec: AttemptRecord = {
        ok: r.ok,
        errorClass: r.errorClass,
        httpStatus: r.httpStatus,
        retryAfterMs: r.retryAfterMs,
        tSendNs: r.tSendNs,
        tEndNs: r.tEndNs,
        waitMs: 0,
      };
      attempts.push(rec);
      const retry = !r.ok && r.errorClass !== null && retryOn.has(r.errorClass) && i < opts.max && !req.signal?.aborted;
      if (!retry) {
        r.attempts = attempts;
        return r;
      }
      const wait =
        honour && r.retryAfterMs !== null ? Math.min(r.retryAfterMs, maxRA) : Math.min(cap, base * 2 ** i);
      rec.waitMs = wait;
      await sleep(wait, req.signal);
    }
  };
}
