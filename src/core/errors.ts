import { type ErrorCode, exitCodeFor } from './error-codes.js';

/**
 * A user-facing error: a stable `code` (src/core/error-codes.ts, docs/errors.md), what went wrong,
 * where (file:line, JSON path, URL), and what to do. Commands print `message` as one paragraph and
 * exit with the code's family exit code. Branch on `code`, never on `message`.
 */
export class AgentdynoError extends Error {
  readonly code: ErrorCode;
  /** The message without where and hint (to rebuild the error across a thread or process). */
  readonly what: string;
  readonly where?: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(what: string, opts: { code: ErrorCode; where?: string; hint?: string; cause?: unknown }) {
    const head = opts.where ? `${opts.where}: ${what}` : what;
    // One paragraph: what went wrong. What to do.
    const parts = [opts.hint && !/[.!?:)]$/.test(head) ? `${head}.` : head];
    if (opts.hint) parts.push(opts.hint);
    super(parts.join(' '), { cause: opts.cause });
    this.name = 'AgentdynoError';
    this.code = opts.code;
    this.what = what;
    this.where = opts.where;
    this.hint = opts.hint;
    this.exitCode = exitCodeFor(opts.code);
  }
}

export function isAgentdynoError(e: unknown): e is AgentdynoError {
  return e instanceof AgentdynoError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
