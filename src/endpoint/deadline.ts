/**
 * An overall deadline for one set-up step (a model listing, a probe, a calibration), with a progress
 * line while it waits, so a stalling server never leaves the user looking at a silent terminal.
 * Per-request timeouts alone cannot do this: a server that dribbles keep-alives restarts them.
 */
import { AgentdynoError } from '../core/index.js';

export interface DeadlineOptions {
  /** The caller's cancellation (Ctrl-C / SIGTERM): rejects at once with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Where to say what it is waiting for (default: a line on stderr). */
  onWait?: (text: string) => void;
  /** First progress line after, and then every, this many ms (default a quarter of the deadline, 0.5-5 s). */
  everyMs?: number;
  /** Named in the error (a URL). */
  where?: string;
  hint?: string;
}

const seconds = (ms: number, fine = false): string => (fine ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

export const stderrLine = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/**
 * Run `step` with its own AbortSignal; it must settle by `deadlineMs` or the signal is aborted and
 * the promise rejects with E_ENDPOINT_TIMEOUT naming `what`. `what` reads as the object of
 * "waiting for", e.g. "GET /v1/models at http://host:8000".
 */
export async function withDeadline<T>(what: string, deadlineMs: number, step: (signal: AbortSignal) => Promise<T>, o: DeadlineOptions = {}): Promise<T> {
  if (o.signal?.aborted) throw interrupted(what, o.where);
  const inner = new AbortController();
  const onWait = o.onWait ?? stderrLine;
  const every = Math.max(100, o.everyMs ?? Math.min(5_000, Math.max(500, deadlineMs / 4)));
  const t0 = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let onOuter: (() => void) | null = null;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      inner.abort();
      reject(
        new AgentdynoError(`${what} did not finish within ${seconds(deadlineMs)}`, {
          code: 'E_ENDPOINT_TIMEOUT',
          where: o.where,
          hint: o.hint ?? 'The server is up but not answering (stalled, queued or only sending keep-alives): check its logs and load, or raise --setup-timeout.',
        }),
      );
    }, deadlineMs);
    const fine = deadlineMs < 10_000;
    ticker = setInterval(() => onWait(`waiting for ${what} (${seconds(Date.now() - t0, fine)} of ${seconds(deadlineMs, fine)})`), every);
    if (o.signal) {
      onOuter = () => {
        inner.abort();
        reject(interrupted(what, o.where));
      };
      o.signal.addEventListener('abort', onOuter, { once: true });
    }
  });
  try {
    return await Promise.race([step(inner.signal), stop]);
  } finally {
    if (timer) clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    if (onOuter) o.signal?.removeEventListener('abort', onOuter);
    stop.catch(() => undefined);
  }
}

function interrupted(what: string, where?: string): AgentdynoError {
  return new AgentdynoError(`interrupted while waiting for ${what}; nothing was measured yet`, { code: 'E_INTERRUPTED', where, hint: 'Run the command again when ready.' });
}
