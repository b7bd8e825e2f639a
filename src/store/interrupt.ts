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
export function markInterruptedOnExit(store: Store, runId: string, opts: InterruptOptions = {}): () => void {
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
        store.markInterrupted(runId);
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
