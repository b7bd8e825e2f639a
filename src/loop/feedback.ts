/**
 * Feedback events (what the harness observed) and how they are shown to the agent.
 * Shaping modes change only the text the agent sees; the true observation is always kept in
 * `detail`, so the EFC scorer can compare what was shown with what happened.
 *   rich    — full numbers with CI, repeats and noise
 *   terse   — pass/fail and better/worse only, no numbers
 *   noisy   — rich, but measured numbers get seeded multiplicative noise (recorded as corrupted)
 *   stale   — the previous iteration's result, presented as if it were this one's (validity broken)
 *   delayed — the previous iteration's result, labelled as such (shown one iteration late)
 */
import { Rng } from '../core/index.js';
import type { Evaluation } from './executor.js';
import type { Scores } from './measure.js';

export type FeedbackMode = 'rich' | 'terse' | 'noisy' | 'stale' | 'delayed';
export const FEEDBACK_MODES: readonly FeedbackMode[] = ['rich', 'terse', 'noisy', 'stale', 'delayed'];
export type FeedbackKind = 'build_output' | 'check_result' | 'measurement' | 'verifier' | 'error';

/** One harness observation with the rich text and the structured truth. */
export interface FeedbackEvent {
  kind: FeedbackKind;
  /** Iteration that produced it (0 = baseline). */
  iteration: number;
  text: string;
  /** terse rendering */
  terse: string;
  detail: Record<string, unknown>;
}

/** One event as the agent saw it. */
export interface ShownEvent {
  kind: FeedbackKind;
  text: string;
  detail: Record<string, unknown> & { mode: FeedbackMode; sourceIteration: number; corrupted: boolean };
}

export interface IterationOutcome {
  iteration: number;
  status: string;
  evaluation: Evaluation | null;
  scores: Scores | null;
  improved: boolean;
  best: { median: number; ciLow: number; ciHigh: number; iteration: number };
  metric: string;
  direction: 'lower' | 'higher';
  errors: string[];
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(4));

/** Turns an iteration's outcome into events (rich and terse texts plus structured detail). */
export function eventsFor(o: IterationOutcome): FeedbackEvent[] {
  const ev: FeedbackEvent[] = [];
  const add = (kind: FeedbackKind, text: string, terse: string, detail: Record<string, unknown>) => ev.push({ kind, iteration: o.iteration, text, terse, detail });
  for (const e of o.errors) add('error', `error: ${e}`, `error: ${e}`, { status: o.status });
  const e = o.evaluation;
  if (e) {
    for (const s of e.steps) {
      if (s.phase === 'build') {
        const ok = !s.failure;
        add('build_output', `build ${ok ? 'ok' : `FAILED (${s.failure}, exit ${s.exitCode ?? s.signal})`} in ${s.wallMs} ms${s.output ? `:\n${s.output}` : ''}`, `build ${ok ? 'ok' : 'failed'}`, { ok, failure: s.failure, exitCode: s.exitCode, wallMs: s.wallMs });
      } else if (s.phase === 'check') {
        const ok = !s.failure;
        add('check_result', `check ${ok ? 'passed' : `FAILED (${s.failure})`}${s.output ? `:\n${s.output}` : ''}`, `check ${ok ? 'passed' : 'failed'}`, { ok, failure: s.failure, exitCode: s.exitCode });
      } else if (s.phase === 'measure' && s.failure) {
        add('error', `measure failed (${s.failure}):\n${s.output}`, 'measure failed', { failure: s.failure });
      }
    }
    if (e.status === 'harness_modified') add('error', `harness files were modified: ${e.harnessModified.join(', ')}; this run scores 0 (harness_modified)`, 'harness modified: scored 0', { harnessModified: e.harnessModified });
    const m = e.measurement;
    if (m) {
      const better = o.improved;
      add(
        'measurement',
        `${o.metric} median ${fmt(m.median)} (95% CI ${fmt(m.ciLow)}-${fmt(m.ciHigh)}, mean ${fmt(m.mean)}, ${m.n} repeats, noise cv ${(100 * m.cv).toFixed(1)}%)${m.paired ? `; ${m.paired.speedup.median.toFixed(2)}x the baseline run beside it (95% CI ${m.paired.speedup.ciLow.toFixed(2)}-${m.paired.speedup.ciHigh.toFixed(2)}, ${m.paired.pairs} interleaved pairs)` : ''}; best so far ${fmt(o.best.median)} (CI ${fmt(o.best.ciLow)}-${fmt(o.best.ciHigh)}, iteration ${o.best.iteration}) — ${better ? 'IMPROVED beyond noise' : 'not better beyond noise'} (${o.direction} is better)`,
        `measured: ${better ? 'better' : 'not better'}`,
        { value: m.median, ciLow: m.ciLow, ciHigh: m.ciHigh, mean: m.mean, repeats: m.n, cv: m.cv, values: m.values, improved: better, best: o.best, paired: m.paired ? { speedup: m.paired.speedup.median, ciLow: m.paired.speedup.ciLow, ciHigh: m.paired.speedup.ciHigh, pairs: m.paired.pairs } : null },
      );
    }
  }
  if (o.scores && e?.status === 'ok') {
    const s = o.scores;
    add(
      'verifier',
      `score: normalized ${s.normalized.toFixed(3)} (baseline 0, reference 1), reward ${s.reward.toFixed(3)}${s.speedup !== null ? `, speedup ${s.speedup.toFixed(2)}x vs baseline` : ''}${s.review ? ' — over 10x: flagged for review' : ''}`,
      `verifier: ${s.reward > 0 ? 'beats baseline' : 'does not beat baseline'}`,
      { ...s },
    );
  } else if (e && e.status === 'unconfirmed') {
    add('verifier', `result: UNCONFIRMED, not counted until a person confirms it: ${(e.unconfirmed ?? []).join('; ')}`, 'result: unconfirmed (not counted)', { status: e.status, reward: 0, unconfirmed: e.unconfirmed ?? [] });
  } else if (e && e.status !== 'ok') {
    add('verifier', `result: ${e.status} (scores 0)${e.reason ? `: ${e.reason}` : ''}`, `result: ${e.status}`, { status: e.status, reward: 0, reason: e.reason ?? null });
  }
  return ev;
}

/** Shapes what the agent sees this turn from the current and previous iterations' events. */
export class FeedbackShaper {
  private readonly rng: Rng;
  private prev: FeedbackEvent[] | null = null;
  constructor(
    readonly mode: FeedbackMode,
    seed: number,
    /** Relative sigma of the injected noise in `noisy` mode. */
    readonly noiseSigma = 0.3,
  ) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  /** Returns the events shown after an iteration whose true events are `current`. */
  shape(current: FeedbackEvent[]): ShownEvent[] {
    const meta = (e: FeedbackEvent, corrupted: boolean) => ({ mode: this.mode, sourceIteration: e.iteration, corrupted });
    let out: ShownEvent[];
    switch (this.mode) {
      case 'rich':
        out = current.map((e) => ({ kind: e.kind, text: e.text, detail: { ...e.detail, ...meta(e, false) } }));
        break;
      case 'terse':
        out = current.map((e) => ({ kind: e.kind, text: e.terse, detail: { ...e.detail, ...meta(e, false) } }));
        break;
      case 'noisy':
        out = current.map((e) => this.noisy(e));
        break;
      case 'stale':
      case 'delayed': {
        const src = this.prev;
        if (!src) out = [{ kind: 'error', text: this.mode === 'stale' ? 'no result yet' : 'results arrive one iteration late; none yet', detail: { mode: this.mode, sourceIteration: -1, corrupted: this.mode === 'stale' } }];
        else
          out = src.map((e) => ({
            kind: e.kind,
            text: this.mode === 'delayed' ? `[result of iteration ${e.iteration}] ${e.text}` : e.text,
            detail: { ...e.detail, ...meta(e, this.mode === 'stale') },
          }));
        break;
      }
    }
    this.prev = current;
    return out;
  }

  private noisy(e: FeedbackEvent): ShownEvent {
    if (e.kind !== 'measurement' || typeof e.detail.value !== 'number') return { kind: e.kind, text: e.text, detail: { ...e.detail, mode: this.mode, sourceIteration: e.iteration, corrupted: false } };
    const f = Math.max(0.05, 1 + this.noiseSigma * this.rng.normal());
    const d = e.detail as { value: number; ciLow: number; ciHigh: number; mean: number };
    const shown = { value: d.value * f, ciLow: d.ciLow * f, ciHigh: d.ciHigh * f, mean: d.mean * f };
    // Replace the first three numbers of the text (median, CI) consistently with the corrupted values.
    // The paired ratio would give the true value away: it is left out of the corrupted text.
    const text = e.text
      .replace(/median \S+ \(95% CI \S+-\S+, mean \S+,/, `median ${fmt(shown.value)} (95% CI ${fmt(shown.ciLow)}-${fmt(shown.ciHigh)}, mean ${fmt(shown.mean)},`)
      .replace(/; \S+x the baseline run beside it \(95% CI \S+-\S+, \d+ interleaved pairs\)/, '');
    return { kind: e.kind, text, detail: { ...e.detail, shownValue: shown.value, noiseFactor: f, mode: this.mode, sourceIteration: e.iteration, corrupted: true } };
  }
}

export function composeFeedback(budgetLine: string, shown: readonly ShownEvent[]): string {
  return [budgetLine, ...shown.map((s) => s.text)].join('\n');
}
