import type { Store } from './store.js';

export interface InterruptOptions {
  /** Called before the process exits (e.g. to stop a UI or print a note). Errors are swallowed. */
  onInterrupt?: (signal: NodeJS.Signals) => void;
  /** For tests: replaces process.exit. */
  exit?: (code: number) => void;
}

/**
 * On SIGINT / SIGTERM: marks `runId` `interrupted` (if still running), closes the database
 * cleanly (so every committed batch stays readable and the WAL is checkpointed), and exits with
 * 130 (SIGINT) or 143 (SIGTERM). Returns a disposer that removes the handlers; call it once the
 * run is finished.
 */
export function markInterruptedOnExit(store: Store, runId: string | (() => readonly string[]), opts: InterruptOptions = {}): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let fired = false;
  const handler = (signal: NodeJS.Signals) => {
    if (fired) return;
    fired = true;
    try {
      opts.onInterrupt?.(signal);
    } catch {
      /* a failing UI must not stop the run from being marked */
    }
    try {
      if (store.isOpen) {
        // A suite has several runs in flight: the caller names them at the moment of the signal.
        for (const id of typeof runId === 'string' ? [runId] : runId()) store.markInterrupted(id);
        store.close();
      }
    } finally {
      exit(signal === 'SIGTERM' ? 143 : 130);
    }
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

/**
 * On an uncaught exception or unhandled rejection: marks `runId` `failed` (if still running; the
 * levels already stored and the partial result stay), closes the database cleanly, prints the error
 * and exits 1. Returns a disposer that removes the handlers.
 */
export function markFailedOnCrash(store: Store, runId: string | (() => readonly string[]), opts: { exit?: (code: number) => void; log?: (text: string) => void } = {}): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const log = opts.log ?? ((text: string) => process.stderr.write(`${text}\n`));
  let fired = false;
  const handler = (e: unknown) => {
    if (fired) return;
    fired = true;
    try {
      const ids = typeof runId === 'string' ? [runId] : [...runId()];
      if (store.isOpen) {
        for (const id of ids) store.markFailed(id);
        store.close();
      }
      log(`agentdyno crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nrun ${ids.join(', ') || '(none in flight)'} is marked failed; what finished before the crash is in the results database.`);
    } finally {
      exit(1);
    }
  };
  process.on('uncaughtException', handler);
  process.on('unhandledRejection', handler);
  return () => {
    process.off('uncaughtException', handler);
    process.off('unhandledRejection', handler);
  };
}
