/**
 * Progress events a long command emits; the ink view (TTY) and the plain-line printer (non-TTY)
 * both render them. Nothing here computes figures: producers send what they measured.
 */
export interface TierStatus {
  sloTokPerS: number;
  /** Fraction of agents meeting the tier in the current level so far (null before any verdict). */
  passRate: number | null;
  /** Current bracket for this tier. */
  maxPassing: number | null;
  minFailing: number | null;
}

export type ProgressEvent =
  | { type: 'run-start'; runId: string; title: string; target: string; simulated: boolean }
  | { type: 'level-start'; concurrency: number; index: number; phase: 'warmup' | 'window' }
  | {
      type: 'level-tick';
      concurrency: number;
      /** Seconds into the current phase (the window bar fills over windowS in the window phase). */
      elapsedS: number;
      windowS: number;
      phase: 'warmup' | 'window' | 'drain';
      activeAgents: number;
      requestsDone: number;
      errors: number;
      outputTokPerS: number;
      powerW: number | null;
      tiers: TierStatus[];
    }
  | { type: 'level-end'; concurrency: number; valid: boolean; reasons: string[]; tiers: TierStatus[] }
  | { type: 'message'; level: 'info' | 'warn'; text: string }
  | { type: 'run-end'; runId: string; status: 'completed' | 'interrupted' | 'failed' };

export interface ProgressSink {
  emit(e: ProgressEvent): void;
  close(): void;
}
