import type { ProgressEvent, TierStatus } from './types.js';

/** Everything the live view shows, folded from the event stream (pure: no I/O, no clocks). */
export interface ProgressState {
  runId: string | null;
  title: string;
  target: string;
  simulated: boolean;
  level: {
    concurrency: number;
    index: number;
    phase: 'warmup' | 'window' | 'drain';
    elapsedS: number;
    windowS: number;
    activeAgents: number;
    requestsDone: number;
    errors: number;
    outputTokPerS: number;
    powerW: number | null;
  } | null;
  tiers: TierStatus[];
  finished: FinishedLevel[];
  messages: { level: 'info' | 'warn'; text: string }[];
  status: 'running' | 'completed' | 'interrupted' | 'failed';
}

export interface FinishedLevel {
  concurrency: number;
  valid: boolean;
  reasons: string[];
  tiers: TierStatus[];
}

export const MAX_MESSAGES = 5;

export function initialProgressState(): ProgressState {
  return { runId: null, title: '', target: '', simulated: false, level: null, tiers: [], finished: [], messages: [], status: 'running' };
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
          index: e.index,
          phase: e.phase,
          elapsedS: 0,
          windowS: 0,
          activeAgents: 0,
          requestsDone: 0,
          errors: 0,
          outputTokPerS: 0,
          powerW: null,
        },
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
        },
        tiers: e.tiers,
      };
    case 'level-end':
      return {
        ...s,
        // A verdict without tiers (e.g. an invalid level) keeps the last known brackets on screen.
        tiers: e.tiers.length > 0 ? e.tiers : s.tiers,
        finished: [...s.finished, { concurrency: e.concurrency, valid: e.valid, reasons: e.reasons, tiers: e.tiers }],
      };
    case 'message':
      return { ...s, messages: [...s.messages, { level: e.level, text: e.text }].slice(-MAX_MESSAGES) };
    case 'run-end':
      return { ...s, status: e.status, level: null };
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
