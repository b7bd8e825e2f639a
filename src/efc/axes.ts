/**
 * The four EFC axes, each a pure function of a stored episode and one of its feedback events, with a
 * score in [0, 1] and a one-line reason. A feedback event is a harness-produced observation stored in
 * `feedback_events`; what an agent asserts (`proposal.claimed`, its own notes) is never an event and
 * never evidence. The rules (also in docs/efc.md):
 *
 * informativeness — what the SHOWN text reveals: a measured value with its noise (CI/cv) 1.0; a
 *   number without noise, or a failure with its diagnostic output, 0.7; a bare verdict (pass/fail,
 *   better/not better) 0.4; nothing (a placeholder such as "no result yet") 0.
 * validity — whether the shown content is true and reliable: measurements get
 *   min(1, repeats/3) x min(1, 0.10 / relative CI half-width); values altered by injected noise are
 *   multiplied by min(1, tolerance / deviation) with tolerance = max(CI half-width, cv, 1 %); a
 *   stale result presented as current (`corrupted` without noise) is 0; verdicts (build, check,
 *   verifier) are held-out re-checked against later evaluations of the same candidate: agree 1,
 *   disagree 0.3, never re-checked 0.9 (deterministic build/check) or 0.8 (timing-based verifier);
 *   a verifier flagged for review (> 10x speedup) is halved.
 * non-redundancy — 1 - the highest similarity (similarity.ts: normalized 2-shingle Jaccard x share
 *   of matching 10 %-log-bucketed numbers) to any feedback shown earlier in the episode, the
 *   baseline report included.
 * retention — 0 if the run ended before the agent saw it, or if the text is missing from what the
 *   next turn showed; 0 if any later proposal re-proposes a candidate this event reported broken or
 *   not better; 0.5 if the agent stopped right after (nothing later can show use); otherwise the
 *   share of later turns in which it was still inside the agent's context window (1 when the agent
 *   keeps no text context: such agents see each event once, in the next turn).
 */
import { candidates, isPlaceholder, reportsBadOutcome, sourceIteration } from './episode-state.js';
import { normalizeText, similarity, type NormalizedText } from './similarity.js';
import type { Episode, EpisodeEvent } from './types.js';

export interface AxisResult {
  score: number;
  why: string;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const hasNumber = (t: string) => /\d/.test(t.replace(/\[result of iteration \d+\]/, ''));

export function informativeness(e: EpisodeEvent): AxisResult {
  if (isPlaceholder(e)) return { score: 0, why: 'placeholder: no observation shown' };
  const t = e.text;
  switch (e.kind) {
    case 'measurement':
      if (/\bCI\b|\bcv\b/.test(t) && hasNumber(t)) return { score: 1, why: 'measured value with its noise' };
      if (hasNumber(t)) return { score: 0.7, why: 'measured value without noise' };
      return { score: 0.4, why: 'better/not-better verdict only' };
    case 'verifier':
      return hasNumber(t) ? { score: 0.7, why: 'score value (no noise)' } : { score: 0.4, why: 'verdict only' };
    case 'build_output':
    case 'check_result':
    case 'error': {
      const failed = e.detail.ok === false || e.kind === 'error';
      // A failure with output (compiler message, failing case) says where; a bare verdict does not.
      const diagnostic = failed && (t.includes('\n') || t.length > 40);
      if (diagnostic) return { score: 0.7, why: 'failure with diagnostic output' };
      return { score: 0.4, why: failed ? 'failure verdict only' : 'pass verdict' };
    }
    default:
      return { score: 0.4, why: `unknown kind ${e.kind}: treated as a verdict` };
  }
}

/** The verdict an event states: build/check ok, or the verifier's reward above 0. */
const verdict = (x: EpisodeEvent): boolean | null => (x.kind === 'verifier' ? (num(x.detail.reward) ?? 0) > 0 : typeof x.detail.ok === 'boolean' ? x.detail.ok : null);

/** Later evaluations of the same candidate that re-check this event's verdict (held out: a separate run). */
function recheck(e: EpisodeEvent, ep: Episode, cands: Map<number, string>): 'agree' | 'disagree' | 'none' {
  const src = sourceIteration(e);
  const cand = cands.get(src);
  const mine = verdict(e);
  if (cand === undefined || mine === null) return 'none';
  let seen: 'agree' | 'disagree' | 'none' = 'none';
  for (const it of ep.iterations) {
    if (it.iteration <= src || cands.get(it.iteration) !== cand) continue;
    const again = ep.events.find((x) => x !== e && x.kind === e.kind && sourceIteration(x) === it.iteration && !isPlaceholder(x));
    const v = again ? verdict(again) : null;
    if (v === null) continue;
    if (v !== mine) return 'disagree';
    seen = 'agree';
  }
  return seen;
}

export function validity(e: EpisodeEvent, ep: Episode, cands = candidates(ep)): AxisResult {
  const d = e.detail;
  if (isPlaceholder(e)) return d.corrupted ? { score: 0, why: 'placeholder presented as a result' } : { score: 1, why: 'honest placeholder' };
  const noisy = num(d.noiseFactor);
  if (d.corrupted === true && noisy === null) return { score: 0, why: `stale: result of iteration ${sourceIteration(e)} shown as iteration ${e.iteration}'s` };
  if (e.kind === 'measurement') {
    const v = num(d.value);
    const lo = num(d.ciLow);
    const hi = num(d.ciHigh);
    const n = num(d.repeats) ?? 1;
    if (v === null || v === 0) return { score: 0, why: 'no measured value' };
    const relHalf = lo !== null && hi !== null ? Math.abs(hi - lo) / 2 / Math.abs(v) : 1;
    let s = Math.min(1, n / 3) * Math.min(1, 0.1 / Math.max(relHalf, 1e-9));
    let why = `${n} repeats, CI half-width ${(100 * relHalf).toFixed(1)} %`;
    if (d.corrupted === true && noisy !== null) {
      const dev = Math.abs(noisy - 1);
      const tol = Math.max(relHalf, num(d.cv) ?? 0, 0.01);
      s *= Math.min(1, tol / Math.max(dev, 1e-9));
      why += `; injected noise moved the value ${(100 * dev).toFixed(1)} % (tolerance ${(100 * tol).toFixed(1)} %)`;
    }
    return { score: clamp01(s), why };
  }
  if (e.kind === 'error') return { score: 1, why: 'harness-reported error' };
  const r = recheck(e, ep, cands);
  const unconfirmed = e.kind === 'verifier' ? 0.8 : 0.9;
  let s = r === 'agree' ? 1 : r === 'disagree' ? 0.3 : unconfirmed;
  let why = r === 'none' ? 'verdict not re-checked on the same candidate' : `held-out re-check ${r}s`;
  if (e.kind === 'verifier' && d.review === true) {
    s *= 0.5;
    why += '; flagged for review (>10x)';
  }
  return { score: s, why };
}

export function nonRedundancy(e: EpisodeEvent, earlier: readonly NormalizedText[]): AxisResult {
  if (earlier.length === 0) return { score: 1, why: 'first feedback in the episode' };
  const me = normalizeText(e.text);
  let best = 0;
  for (const x of earlier) best = Math.max(best, similarity(me, x));
  return { score: clamp01(1 - best), why: `max similarity to earlier feedback ${best.toFixed(2)}` };
}

/** Token count estimate (4 characters a token): retention only compares it with a window size. */
const tokensOf = (s: string) => Math.ceil(s.length / 4);

export function retention(e: EpisodeEvent, ep: Episode, cands = candidates(ep)): AxisResult {
  const later = ep.iterations.filter((i) => i.iteration > e.iteration).sort((a, b) => a.iteration - b.iteration);
  const next = later[0];
  if (!next || next.iteration !== e.iteration + 1) return { score: 0, why: 'run ended before the agent saw it' };
  if (!next.feedbackShown.includes(e.text)) return { score: 0, why: 'not in the text shown at the next turn' };
  if (reportsBadOutcome(e)) {
    const bad = cands.get(sourceIteration(e));
    const again = later.find((i) => i.status !== 'stop' && cands.get(i.iteration) === bad);
    if (bad !== undefined && again) return { score: 0, why: `forgotten: iteration ${again.iteration} re-proposed the candidate it reported bad` };
  }
  if (next.proposal?.kind === 'stop' || next.status === 'stop') return { score: 0.5, why: 'agent stopped right after; no later use to check' };
  if (ep.contextTokens === null) return { score: 1, why: 'delivered and respected' };
  // Share of later turns at which this event still fit in the context window.
  const turns = later.filter((i) => i.status !== 'stop');
  let used = 0;
  let inWindow = 0;
  for (const t of turns) {
    used += tokensOf(t.feedbackShown);
    if (used <= ep.contextTokens) inWindow++;
  }
  const s = turns.length ? inWindow / turns.length : 1;
  return { score: s, why: `inside the ${ep.contextTokens}-token window for ${inWindow} of ${turns.length} later turns` };
}
