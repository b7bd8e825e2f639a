import type { LevelUnit, LiveFigures, ProgressEvent, TierStatus } from './types.js';

/** Everything the live view shows, folded from the event stream (pure: no I/O, no clocks). */
export interface ProgressState {
  runId: string | null;
  title: string;
  target: string;
  simulated: boolean;
  level: {
    concurrency: number;
    unit?: LevelUnit;
    index: number;
    phase: 'warmup' | 'window' | 'drain';
    elapsedS: number;
    windowS: number;
    activeAgents: number;
    requestsDone: number;
    errors: number;
    outputTokPerS: number;
    powerW: number | null;
    live: LiveFigures | null;
  } | null;
  /** A non-level step in progress (e.g. measuring idle power); cleared when a level starts. */
  phase: { phase: string; text: string } | null;
  tiers: TierStatus[];
  /** One point per tick, newest last (at most HISTORY): what the sparklines draw. */
  history: HistoryPoint[];
  finished: FinishedLevel[];
  messages: { level: 'info' | 'warn'; text: string }[];
  status: 'running' | 'completed' | 'interrupted' | 'failed';
}

export interface HistoryPoint {
  concurrency: number;
  outputTokPerS: number;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  tpotP50Ms: number | null;
  tpotP99Ms: number | null;
  powerW: number | null;
  clientLagP99Ms: number | null;
}

export const HISTORY = 120;

export interface FinishedLevel {
  concurrency: number;
  unit?: LevelUnit;
  valid: boolean;
  reasons: string[];
  tiers: TierStatus[];
}

export const MAX_MESSAGES = 5;

export function initialProgressState(): ProgressState {
  return { runId: null, title: '', target: '', simulated: false, level: null, phase: null, tiers: [], history: [], finished: [], messages: [], status: 'running' };
}

export function reduceProgress(s: ProgressState, e: ProgressEvent): ProgressState {
  switch (e.type) {
    case 'run-start':
      return { ...initialProgressState(), runId: e.runId, title: e.title, target: e.target, simulated: e.simulated };
    case 'level-start':
      return {
        ...s,
        level: {
          concurrency: e.concurrency,
          ...(e.unit ? { unit: e.unit } : {}),
          index: e.index,
          phase: e.phase,
          elapsedS: 0,
          windowS: 0,
          activeAgents: 0,
          requestsDone: 0,
          errors: 0,
          outputTokPerS: 0,
          powerW: null,
          live: null,
        },
        phase: null,
      };
    case 'level-tick':
      return {
        ...s,
        level: {
          concurrency: e.concurrency,
          index: s.level?.index ?? 0,
          phase: e.phase,
          elapsedS: e.elapsedS,
          windowS: e.windowS,
          activeAgents: e.activeAgents,
          requestsDone: e.requestsDone,
          errors: e.errors,
          outputTokPerS: e.outputTokPerS,
          powerW: e.powerW,
          live: e.live ?? null,
        },
        tiers: e.tiers,
        history: [
          ...s.history,
          { concurrency: e.concurrency, outputTokPerS: e.outputTokPerS, ttftP50Ms: e.live?.ttftMs?.p50 ?? null, ttftP99Ms: e.live?.ttftMs?.p99 ?? null, tpotP50Ms: e.live?.tpotMs?.p50 ?? null, tpotP99Ms: e.live?.tpotMs?.p99 ?? null, powerW: e.powerW, clientLagP99Ms: e.live?.clientLagP99Ms ?? null },
        ].slice(-HISTORY),
      };
    case 'phase':
      return { ...s, phase: { phase: e.phase, text: e.text } };
    case 'level-end':
      return {
        ...s,
        // A verdict without tiers (e.g. an invalid level) keeps the last known brackets on screen.
        tiers: e.tiers.length > 0 ? e.tiers : s.tiers,
        finished: [...s.finished, { concurrency: e.concurrency, ...(e.unit ? { unit: e.unit } : {}), valid: e.valid, reasons: e.reasons, tiers: e.tiers }],
      };
    case 'message':
      return { ...s, messages: [...s.messages, { level: e.level, text: e.text }].slice(-MAX_MESSAGES) };
    case 'run-end':
      return { ...s, status: e.status, level: null, phase: null };
    default:
      return s;
  }
}

export function bracketText(t: TierStatus): string {
  return `[${t.maxPassing ?? '-'}, ${t.minFailing ?? '-'}]`;
}

export function passText(t: TierStatus): string {
  return t.passRate === null ? '-' : `${Math.round(t.passRate * 100)}%`;
}

/** `[#####.....]`: fraction of the window elapsed; plain ASCII for logs. */
export function progressBar(fraction: number, width = 20, full = '#', empty = '.'): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const n = Math.round(f * width);
  return full.repeat(n) + empty.repeat(width - n);
}

export function fmtRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (Number.isInteger(v) || Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(1);
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v >= 100 ? String(Math.round(v)) : v.toFixed(1));

/** The window's live figures in one line (provisional until the level ends). */
export function liveLine(l: LiveFigures): string {
  const errs = Object.entries(l.errorsByClass).map(([k, n]) => `${k} ${n}`).join(', ');
  return `so far: ${l.callsJudged} calls  TTFT p50/p99 ${ms(l.ttftMs?.p50)}/${ms(l.ttftMs?.p99)} ms  TPOT ${ms(l.tpotMs?.p50)}/${ms(l.tpotMs?.p99)} ms` +
    `${l.energyJ === null ? '' : `  energy ${fmtRate(l.energyJ)} J`}  client lag p99 ${ms(l.clientLagP99Ms)} ms${l.canaryLagP99Ms === null ? '' : `  canary p99 ${ms(l.canaryLagP99Ms)} ms`}${errs ? `  errors: ${errs}` : ''}`;
}
