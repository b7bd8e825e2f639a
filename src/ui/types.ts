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

/** What a level's number counts: agents (closed loop, the default) or an arrival rate (open loop). */
export type LevelUnit = 'agents' | 'req/s';

/** "12 agents" or "arrival rate 1.5 req/s". */
export function levelText(n: number, unit: LevelUnit | undefined): string {
  return unit === 'req/s' ? `arrival rate ${n} req/s` : `${n} agents`;
}

export type ProgressEvent =
  /** `kind` (absent: a sweep or replay) picks the dashboard's view; `total` is the tasks or policies a suite or bench will run. */
  | { type: 'run-start'; runId: string; title: string; target: string; simulated: boolean; kind?: RunFeedKind; total?: number }
  /** `unit` 'req/s': an open-loop level, `concurrency` (and the tiers' brackets) is then the arrival rate. */
  | { type: 'level-start'; concurrency: number; index: number; phase: 'warmup' | 'window'; unit?: LevelUnit }
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
      /** Figures of the calls finished so far in this level's window (absent from producers that have none). */
      live?: LiveFigures;
    }
  | { type: 'level-end'; concurrency: number; valid: boolean; reasons: string[]; tiers: TierStatus[]; unit?: LevelUnit }
  | { type: 'message'; level: 'info' | 'warn'; text: string }
  /** A step that is not a load level (e.g. measuring idle power): shown until the next level starts. */
  | { type: 'phase'; phase: string; text: string }
  | { type: 'run-end'; runId: string; status: 'completed' | 'interrupted' | 'failed' }
  | WorkEvent;

export type RunFeedKind = 'sweep' | 'replay' | 'suite' | 'budget-bench';

/** A suite's tasks and a budget bench's policies (what they measured; nothing computed here). */
export type WorkEvent =
  | { type: 'task-start'; taskId: string; loopRunId: string }
  | { type: 'task-iteration'; taskId: string; iteration: number; status: string; normalizedScore: number | null; improved: boolean; tokens: number }
  | {
      type: 'task-end';
      taskId: string;
      loopRunId: string | null;
      ok: boolean;
      success: boolean | null;
      normalizedScore: number | null;
      iterations: number | null;
      stopReason: string | null;
      wallS: number | null;
      error: string | null;
    }
  | { type: 'policy-start'; policy: string; index: number; trials: number }
  | { type: 'policy-tick'; policy: string; trialsDone: number; trials: number; violations: number }
  | {
      type: 'policy-end';
      policy: string;
      trials: number;
      violations: number;
      serverFaultViolations: number;
      maxOvershootPct: number;
      p95OvershootPct: number;
      /** Reserved / used tokens (null: the policy reserves nothing). */
      overProvisioning: number | null;
      completion: number;
    };

/** p50 / p99 of one figure over the calls finished so far in the window. */
export interface LiveStat {
  p50: number;
  p99: number;
  n: number;
}

/**
 * Live figures of the current level, computed by the producer (replay) from the calls finished so far
 * in the window: provisional until the level ends and is judged as a whole.
 */
export interface LiveFigures {
  ttftMs: LiveStat | null;
  tpotMs: LiveStat | null;
  /** Window calls per error class so far. */
  errorsByClass: Record<string, number>;
  /** Energy of the first power channel since the level started, J. */
  energyJ: number | null;
  /** The client's own event-loop delay p99 over the last tick, ms (its timing lag). */
  clientLagP99Ms: number | null;
  /** The timing canary's read lag p99, ms, when the producer runs one. */
  canaryLagP99Ms: number | null;
  /** Window calls judged so far. */
  callsJudged: number;
}

export interface ProgressSink {
  emit(e: ProgressEvent): void;
  close(): void;
}
