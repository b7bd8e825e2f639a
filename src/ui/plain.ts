import { levelText, type ProgressEvent, type ProgressSink, type TierStatus } from './types.js';
import { bracketText, fmtRate, liveLine, passText } from './progress-state.js';

export interface PlainPrinterOptions {
  /** Where lines go; stderr by default so stdout stays clean for results. */
  stream?: { write(s: string): unknown };
  /** `--json` mode: only run start/end, level verdicts and warnings; no ticks. */
  minimal?: boolean;
  /** Milliseconds between tick lines (default 5000). */
  tickIntervalMs?: number;
  /** Wall clock for throttling (tests pass a fake). */
  nowMs?: () => number;
}

const tiersText = (tiers: TierStatus[]) =>
  tiers.map((t) => `${fmtRate(t.sloTokPerS)} tok/s pass ${passText(t)} bracket ${bracketText(t)}`).join(' | ');

/** Non-TTY progress: one line per level start/end and at most one tick line every ~5 s. */
export class PlainProgressPrinter implements ProgressSink {
  private readonly stream: { write(s: string): unknown };
  private readonly minimal: boolean;
  private readonly interval: number;
  private readonly now: () => number;
  private lastTick = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(opts: PlainPrinterOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.minimal = opts.minimal ?? false;
    this.interval = opts.tickIntervalMs ?? 5000;
    this.now = opts.nowMs ?? Date.now;
  }

  private line(s: string): void {
    if (!this.closed) this.stream.write(s + '\n');
  }

  emit(e: ProgressEvent): void {
    switch (e.type) {
      case 'run-start':
        this.line(`agentdyno: ${e.title} -> ${e.target}${e.simulated ? ' [SIMULATED]' : ''} (run ${e.runId})`);
        break;
      case 'level-start':
        // The first tick comes one interval into the level.
        this.lastTick = this.now();
        if (!this.minimal) this.line(`level ${e.index + 1}: ${levelText(e.concurrency, e.unit)}, ${e.phase}`);
        break;
      case 'level-tick': {
        if (this.minimal) break;
        const t = this.now();
        if (t - this.lastTick < this.interval) break;
        this.lastTick = t;
        const win = e.phase === 'window' && e.windowS > 0 ? ` ${Math.floor(e.elapsedS)}/${Math.round(e.windowS)} s` : ` ${Math.floor(e.elapsedS)} s`;
        const power = e.powerW === null ? '' : `, ${fmtRate(e.powerW)} W`;
        const tiers = e.tiers.length > 0 ? ` | ${tiersText(e.tiers)}` : '';
        this.line(
          `  ${e.concurrency} agents ${e.phase}${win}: ${e.activeAgents} active, ${e.requestsDone} requests, ${e.errors} errors, ${fmtRate(e.outputTokPerS)} tok/s${power}${tiers}${e.live ? ` | ${liveLine(e.live)}` : ''}`,
        );
        break;
      }
      case 'level-end':
        this.line(
          `level done: ${levelText(e.concurrency, e.unit)} ${e.valid ? 'valid' : `INVALID (${e.reasons.join('; ')})`}${e.tiers.length ? ` | ${tiersText(e.tiers)}` : ''}`,
        );
        break;
      case 'phase':
        if (!this.minimal) this.line(e.text);
        break;
      case 'message':
        if (e.level === 'warn') this.line(`warning: ${e.text}`);
        else if (!this.minimal) this.line(e.text);
        break;
      case 'run-end':
        this.line(`run ${e.runId} ${e.status}`);
        break;
      case 'task-start':
        if (!this.minimal) this.line(`task ${e.taskId}: started (loop run ${e.loopRunId})`);
        break;
      case 'task-iteration':
        if (!this.minimal) this.line(`  ${e.taskId} iteration ${e.iteration}: ${e.status}${e.normalizedScore === null ? '' : `, normalized ${e.normalizedScore.toFixed(3)}`}${e.improved ? ' (improved)' : ''}`);
        break;
      case 'task-end':
        this.line(e.ok
          ? `task done: ${e.taskId} ${e.success ? 'success' : 'miss'}, normalized ${e.normalizedScore === null ? '-' : e.normalizedScore.toFixed(3)}, ${e.iterations ?? '-'} iterations, ${e.wallS ?? '-'} s, stop ${e.stopReason ?? '-'}`
          : `task FAILED: ${e.taskId}: ${e.error ?? 'unknown error'}`);
        break;
      case 'policy-start':
        if (!this.minimal) this.line(`policy ${e.index + 1}: ${e.policy}, ${e.trials} trials`);
        break;
      case 'policy-tick': {
        if (this.minimal) break;
        const t = this.now();
        if (t - this.lastTick < this.interval) break;
        this.lastTick = t;
        this.line(`  ${e.policy}: ${e.trialsDone}/${e.trials} trials, ${e.violations} violations so far`);
        break;
      }
      case 'policy-end':
        this.line(`policy done: ${e.policy} ${e.trials} trials, ${e.violations} violations (${e.serverFaultViolations} the server's), max overshoot ${e.maxOvershootPct}%, p95 ${e.p95OvershootPct}%, over-provisioning ${e.overProvisioning === null ? '-' : `${e.overProvisioning}x`}, completion ${(e.completion * 100).toFixed(1)}%`);
        break;
    }
  }

  close(): void {
    this.closed = true;
  }
}
