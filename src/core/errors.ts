/**
 * A user-facing error: what went wrong, where (file:line, JSON path, URL), and what to do.
 * Commands print `message` as one paragraph and exit with `exitCode`.
 */
export class AgentdynoError extends Error {
  readonly where?: string;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(what: string, opts: { where?: string; hint?: string; exitCode?: number; cause?: unknown } = {}) {
    const head = opts.where ? `${opts.where}: ${what}` : what;
    // One paragraph: what went wrong. What to do.
    const parts = [opts.hint && !/[.!?:)]$/.test(head) ? `${head}.` : head];
    if (opts.hint) parts.push(opts.hint);
    super(parts.join(' '), { cause: opts.cause });
    this.name = 'AgentdynoError';
    this.where = opts.where;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 2;
  }
}

export function isAgentdynoError(e: unknown): e is AgentdynoError {
  return e instanceof AgentdynoError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
