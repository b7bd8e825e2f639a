/**
 * The window rules (DESIGN 4, Steady state / Judging silence), one copy for both drivers: replay
 * (HTTP, ns clocks) and the planner (virtual ms) turn their call records into CallObservations
 * and this file decides what each call is judged on.
 *
 * - A window call: not a warm-up, scheduled before the window end, still running at or ending
 *   after the window start. Faulted calls are window calls too (they fail; never dropped).
 * - TTFT is judged when the call was sent in the window or its first token (or the lack of one)
 *   falls in it; a call with no first token by the cut has TTFT at least cut - send.
 * - Decode: a call sent in the window and completed is judged whole, (tokens - 1) / span. One
 *   sent before the window is judged on its part from max(window start, first token). A call cut
 *   at the drain cap (or unfinished) gets an upper bound: tokens / (cut - start), 0 when it was
 *   silent through the whole stretch, so a stall cannot pass by producing nothing.
 * - Client timing: a decode rate rests on two stamps, its first and last token's, so the client's
 *   read lag enters it as lag / span. A call's decode rate is judged only where the client resolves
 *   it: the timing canary's p99 lag is at most MAX_LAG_SPAN_SHARE of the call's token span, and at
 *   most MAX_COALESCED_TOKEN_SHARE of its tokens came in reads shared with another token (a loaded
 *   client that coalesces a short call into one or two reads would otherwise report an absurd rate).
 *   Such a call is still judged on TTFT, is marked clientUnresolved, and the tier is invalid at the
 *   level when too many calls are (validity.ts tierValidity).
 */
import { decodeTokPerS, decodeUpperBoundTokPerS } from './metrics.js';

/**
 * Steady-state rule for both drivers: lanes start staggered over a ramp, and the window opens
 * (after the settling time) once this share of the lanes has finished one full call after its
 * warm-up, so the window does not judge a start-up herd. Half, not all: with heavy-tailed call
 * lengths the slowest first call would set the warm-up (a 90% rule hit a 120 s warm-up cap at 72
 * lanes of the bundled set for some seeds, while a 50% rule opened the window at ~30 s with the
 * same verdicts); lanes still in their first call are judged on its in-window part.
 */
export const STEADY_LANE_SHARE = 0.5;

/** Largest canary read-lag p99 as a share of a call's token span for its decode rate to be judged. */
export const MAX_LAG_SPAN_SHARE = 0.1;
/** Largest share of a call's tokens that may arrive in reads shared with another of its tokens. */
export const MAX_COALESCED_TOKEN_SHARE = 0.1;

/** Lanes that must have finished a full call before the window opens. */
export const steadyLaneCount = (lanes: number): number => Math.ceil(STEADY_LANE_SHARE * lanes - 1e-9);

export interface LevelWindow {
  startMs: number;
  endMs: number;
  /** When calls still running were stopped (end of drain). */
  cutMs: number;
}

export type CallOutcome = 'ok' | 'cut' | 'error';

/** One call as both drivers record it (times in ms on the driver's clock). */
export interface CallObservation {
  /** The lane (the unit the concurrency counts). */
  agent: string;
  warmup: boolean;
  schedMs: number;
  /** Send of the first try (a retried call waited for its first token since then). */
  sendMs: number;
  outcome: CallOutcome;
  errorClass: string | null;
  /** End of the response; for a cut call, the cut. */
  endMs: number;
  firstTokenMs: number | null;
  lastTokenMs: number | null;
  /** Output tokens of the whole call: usage when completed, pieces x tokens-per-piece so far when cut. */
  tokens: number;
  /** Tokens that arrived at or after the window start, and when the first and last of them came. */
  afterWs: { tokens: number; firstMs: number | null; lastMs: number | null };
  /** Reads that delivered more than one token event of this call (endpoint); see MAX_COALESCED_TOKEN_SHARE. */
  coalescedReads?: number;
  /** The read lag p99 of the client that made this call, when the level's calls came from several (load workers); else the level's. */
  clientLagP99Ms?: number;
}

export type DecodeBasis = 'whole' | 'in-window' | 'until-cut';

/** What one window call is judged on (tier-independent). */
export interface WindowCall {
  agent: string;
  sentInWindow: boolean;
  /** Judged on part of itself only (sent before the window, or cut). */
  partial: boolean;
  cut: boolean;
  error: string | null;
  /** atLeast: the first token had not come by the cut; the TTFT is at least this. */
  ttft: { ms: number; atLeast: boolean } | null;
  /** tokens / spanMs is the rate (for the token-weighted agent rate); upperBound for a cut call. */
  decode: { tokPerS: number; tokens: number; spanMs: number; basis: DecodeBasis; upperBound: boolean } | null;
  /** Why the decode rate is not judged (null when it is). 'one-token output' meets the floor (vLLM). */
  decodeNotJudged: string | null;
  /** Output tokens that arrived in [window start, cut]. */
  producedInWindow: number;
  /** The decode rate was measured but the client could not resolve it (read lag or coalesced reads). */
  clientUnresolved: boolean;
}

export function isWindowCall(o: CallObservation, w: LevelWindow): boolean {
  return !o.warmup && o.schedMs < w.endMs && o.endMs >= w.startMs;
}

/** The window rule for one call; null when it is not a window call. */
export function windowCall(o: CallObservation, w: LevelWindow, clientLagP99Ms?: number): WindowCall | null {
  if (!isWindowCall(o, w)) return null;
  const sentInWindow = o.schedMs >= w.startMs;
  const cut = o.outcome === 'cut';
  const base = { agent: o.agent, sentInWindow, cut, producedInWindow: o.afterWs.tokens, clientUnresolved: false };
  if (o.outcome === 'error') return { ...base, partial: !sentInWindow, error: o.errorClass ?? 'other', ttft: null, decode: null, decodeNotJudged: 'the call failed' };
  let ttft: WindowCall['ttft'] = null;
  const firstOrNone = o.firstTokenMs ?? o.endMs;
  if (sentInWindow || firstOrNone >= w.startMs) {
    if (o.firstTokenMs !== null) ttft = { ms: o.firstTokenMs - o.sendMs, atLeast: false };
    else if (cut) ttft = { ms: w.cutMs - o.sendMs, atLeast: true };
  }
  let decode: WindowCall['decode'] = null;
  let decodeNotJudged: string | null = null;
  const streamingAtWs = o.firstTokenMs !== null && o.firstTokenMs < w.startMs;
  if (cut) {
    const n = o.afterWs.tokens;
    if (streamingAtWs) {
      // Mid-stream at the window start: what it delivered from there to the cut (0 = silent throughout).
      decode = { tokPerS: decodeUpperBoundTokPerS(n, w.startMs, w.cutMs), tokens: n, spanMs: w.cutMs - w.startMs, basis: 'until-cut', upperBound: true };
    } else if (n > 0 && o.afterWs.firstMs !== null) {
      decode = { tokPerS: decodeUpperBoundTokPerS(n, o.afterWs.firstMs, w.cutMs), tokens: n, spanMs: w.cutMs - o.afterWs.firstMs, basis: 'until-cut', upperBound: true };
    } else decodeNotJudged = 'no output by the cut (judged on TTFT)';
  } else if (sentInWindow || !streamingAtWs) {
    const r = o.firstTokenMs !== null && o.lastTokenMs !== null ? decodeTokPerS(o.tokens, o.firstTokenMs, o.lastTokenMs) : null;
    if (r !== null) decode = { tokPerS: r, tokens: o.tokens - 1, spanMs: o.lastTokenMs! - o.firstTokenMs!, basis: 'whole', upperBound: false };
    else decodeNotJudged = 'one-token output';
  } else {
    // Completed, streaming at the window start: its part from the window start, else the whole call.
    const n = o.afterWs.tokens;
    const last = o.afterWs.lastMs;
    if (n > 0 && last !== null && last > w.startMs) decode = { tokPerS: (n * 1000) / (last - w.startMs), tokens: n, spanMs: last - w.startMs, basis: 'in-window', upperBound: false };
    else {
      const r = o.lastTokenMs !== null ? decodeTokPerS(o.tokens, o.firstTokenMs!, o.lastTokenMs) : null;
      if (r !== null) decode = { tokPerS: r, tokens: o.tokens - 1, spanMs: o.lastTokenMs! - o.firstTokenMs!, basis: 'whole', upperBound: false };
      else decodeNotJudged = 'one-token output';
    }
  }
  const unresolved = decode && !decode.upperBound ? clientTimingProblem(o, decode.spanMs, o.clientLagP99Ms ?? clientLagP99Ms) : null;
  if (unresolved) return { ...base, partial: !sentInWindow || cut, error: null, ttft, decode: null, decodeNotJudged: unresolved, clientUnresolved: true };
  return { ...base, partial: !sentInWindow || cut, error: null, ttft, decode, decodeNotJudged };
}

/** Why the client cannot resolve this call's decode rate, or null when it can. */
function clientTimingProblem(o: CallObservation, spanMs: number, lagP99Ms: number | undefined): string | null {
  const coalesced = o.coalescedReads ?? 0;
  if (coalesced > MAX_COALESCED_TOKEN_SHARE * Math.max(1, o.tokens))
    return `client timing: ${coalesced} of its ${o.tokens} tokens came in reads shared with another token (over ${MAX_COALESCED_TOKEN_SHARE * 100}%), so their spacing is not measured`;
  if (lagP99Ms !== undefined && lagP99Ms > MAX_LAG_SPAN_SHARE * spanMs)
    return `client timing: read lag p99 ${lagP99Ms.toFixed(1)} ms is over ${MAX_LAG_SPAN_SHARE * 100}% of its ${spanMs.toFixed(0)} ms token span`;
  return null;
}

/** A recorded idle stretch of a lane (tool or think wait, error pause, start stagger). */
export interface IdleSpan {
  agent: string;
  startMs: number;
  endMs: number;
  kind: 'tool' | 'think' | 'error-pause' | 'stagger' | 'between-trees';
}

/** How a lane with no window call spent the window, or that it had one. */
export type LaneActivity =
  | { agent: string; state: 'active' }
  | { agent: string; state: 'warm-up'; note: string }
  | { agent: string; state: 'idle'; reason: string }
  | { agent: string; state: 'silent'; reason: string };

/**
 * Each lane's activity over the window. A lane without a window call is excluded only when
 * recorded tool/think waits cover the whole window; a lane whose warm-up call overlaps the window
 * is active (and fails if the warm-up had not finished by the window end: starved); any other lane
 * with nothing in the window is active and failing, never dropped from the denominator.
 */
export function laneActivity(lanes: readonly string[], obs: readonly CallObservation[], idle: readonly IdleSpan[], w: LevelWindow): LaneActivity[] {
  const withCall = new Set<string>();
  const warm = new Map<string, CallObservation>();
  for (const o of obs) {
    if (isWindowCall(o, w)) withCall.add(o.agent);
    else if (o.warmup && o.schedMs < w.endMs && o.endMs >= w.startMs) warm.set(o.agent, o);
  }
  const spans = new Map<string, IdleSpan[]>();
  for (const s of idle) if (s.endMs > w.startMs && s.startMs < w.endMs && (s.kind === 'tool' || s.kind === 'think')) spans.set(s.agent, [...(spans.get(s.agent) ?? []), s]);
  return lanes.map((agent): LaneActivity => {
    if (withCall.has(agent)) return { agent, state: 'active' };
    const wu = warm.get(agent);
    if (wu) {
      if (wu.outcome !== 'ok' && wu.endMs >= w.endMs) return { agent, state: 'silent', reason: 'its warm-up request was still unanswered at the window end (starved)' };
      return { agent, state: 'warm-up', note: 'only its warm-up request overlapped the window' };
    }
    if (covers(spans.get(agent) ?? [], w.startMs, w.endMs)) return { agent, state: 'idle', reason: 'idle in a recorded tool/think wait for the whole window' };
    return { agent, state: 'silent', reason: 'no call in the window and no recorded tool wait covering it' };
  });
}

function covers(spans: readonly IdleSpan[], a: number, b: number): boolean {
  const s = [...spans].sort((x, y) => x.startMs - y.startMs);
  let at = a;
  // Gaps of up to 1 ms between a wait and the next one are scheduling, not activity.
  for (const x of s) {
    if (x.startMs > at + 1) return false;
    at = Math.max(at, x.endMs);
    if (at >= b) return true;
  }
  return at >= b;
}
