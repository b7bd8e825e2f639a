/**
 * From a level's raw call records to its report (pure): SLO verdicts per tier, validity with
 * reasons, error counts per class, vLLM-style figures, cache and prompt-size accuracy.
 * Window calls = non-warm-up calls overlapping the steady window. Calls we cut at the end of
 * the drain are judged on what had arrived: TTFT if the first token came (else "at least" the time
 * waited), decode rate over the chunks received, tokens = pieces x the tokens-per-piece ratio
 * measured on this level's completed calls (usage / pieces).
 */
import { requestMetrics, type RequestResult } from '../endpoint/index.js';
import type { CallRecord } from './lane.js';
import { contentReport, promptTokenError, type ContentReport, type PromptTokenError } from './content.js';
import type { ContentMode } from './content.js';
import type { ApiMode } from './completions-prompt.js';
import type { LevelRun, SaturationStats } from './level.js';
import type { CanaryStats } from '../endpoint/index.js';
import { canaryTierReason } from './canary-rule.js';
import { evaluateTiers, type BindingConstraint, type SloCall, type SloThresholds, type SloTier } from './slo.js';
import { tpotCeilingMs, vllmMetrics, type VllmMetrics } from './vllm-metrics.js';

export interface ValidityThresholds {
  maxEventLoopUtilization: number;
  maxEventLoopDelayP99Ms: number;
  /** Process CPU as a share of all cores (client + an embedded simulator). */
  maxProcessCpuShare: number;
  maxContextOverflowRate: number;
  maxErrorRate: number;
  minWindowS: number;
  /** Share of lanes that must make a call in the window. */
  minActiveAgentFraction: number;
}

export const DEFAULT_VALIDITY: ValidityThresholds = {
  maxEventLoopUtilization: 0.9,
  maxEventLoopDelayP99Ms: 100,
  maxProcessCpuShare: 0.97,
  maxContextOverflowRate: 0.01,
  maxErrorRate: 0.05,
  minWindowS: 5,
  minActiveAgentFraction: 0.5,
};

export interface TierLevelResult {
  sloTokPerS: number;
  ttftCeilingMs: number;
  passRate: number | null;
  pass: boolean;
  agentsActive: number;
  agentsMeeting: number;
  callsJudged: number;
  callsMeeting: number;
  callFailures: { ttft: number; decode: number; error: number };
  bindingConstraint: BindingConstraint;
  /** Set when the client could not resolve this tier at this level: the verdict is not valid (canary-rule.ts). */
  invalidReason?: string;
}

export interface LevelReport {
  concurrency: number;
  valid: boolean;
  reasons: string[];
  interrupted: boolean;
  windowStartNs: string;
  windowEndNs: string;
  windowS: number;
  warmupCompleted: boolean;
  /** Non-warm-up calls overlapping the window (judged on their in-window part). */
  callsInWindow: number;
  /** Of those, calls scheduled inside the window (errors, vLLM figures and TTFT come from these). */
  callsSentInWindow: number;
  partialCalls: number;
  agentsActive: number;
  tiers: TierLevelResult[];
  /** Window calls per error class (cut-off partial calls are not errors). */
  errors: Record<string, number>;
  /** Every call of the level (warm-up included) per error class. */
  errorsAllCalls: Record<string, number>;
  /** Faults of tries that were retried (--retries), window calls, per error class; the call is judged on its last try. */
  retriedFaults: Record<string, number>;
  errorRate: number;
  contextOverflowRate: number;
  /** Output tokens that arrived inside the window / window length (all calls). */
  outputTokPerS: number;
  vllm: VllmMetrics;
  saturation: SaturationStats | null;
  /** Timing canary read lag over the window (null: it could not start; absent: not run, e.g. virtual time). */
  canary?: CanaryStats | null;
  /** Window calls with at least one read that delivered several of their output events (coalescedReads > 0). */
  coalescedCalls: number;
  peakInFlight: number;
  treesCompleted: number;
  cache: { promptTokens: number; cachedTokens: number | null; expectedCachedTokens: number };
  contentMode: ContentMode;
  /** The route the lanes posted to (absent in reports stored before --api existed = chat). */
  api?: ApiMode;
  /** Recorded vs synthetic calls (under --content recorded, how many steps fell back to synthetic text). */
  content: ContentReport;
  /** Per call |usage.prompt_tokens - recorded input_tokens| / input_tokens, in percent, over completed non-warm-up calls. */
  promptTokenError: PromptTokenError;
  tokensPerPiece: number;
}


function isCut(r: RequestResult): boolean {
  return !r.ok && r.errorClass === 'aborted';
}

/**
 * A window call is judged on its part inside the window: TTFT only if it was scheduled in the window
 * (else its first token belongs to the warm-up); decode over the whole call when the call ran
 * entirely in [window start, cut] and completed (usage count), else over the chunks that arrived
 * after the window start (pieces x tokens-per-piece ratio, at least 4 pieces).
 */
function toSloCall(rec: CallRecord, ratio: number, ws: bigint, cutNs: bigint): SloCall | null {
  const r = rec.result;
  const agent = String(rec.lane);
  const sentInWindow = rec.tSchedNs >= ws;
  if (!r.ok && !isCut(r)) return sentInWindow ? { agent, ok: false, errorClass: r.errorClass, ttftMs: null, decodeTokPerS: null } : null;
  let ttftMs: number | null = null;
  let ttftAtLeastMs: number | null = null;
  if (sentInWindow) {
    // A retried call (--retries) waited for its first token since its first try, Retry-After waits included.
    const t0 = r.attempts?.[0]?.tSendNs ?? r.tSendNs;
    if (r.tFirstTokenNs !== null) ttftMs = Number(r.tFirstTokenNs - t0) / 1e6;
    else ttftAtLeastMs = Number((isCut(r) ? cutNs : r.tEndNs) - t0) / 1e6;
  }
  let decode: number | null = null;
  if (r.ok && sentInWindow) decode = requestMetrics(r, rec.tSchedNs).decodeTokPerS;
  else {
    let pieces = 0;
    let first: bigint | null = null;
    let last: bigint | null = null;
    for (let i = 0; i < r.tokenChunkTimesNs.length; i++) {
      const t = r.tokenChunkTimesNs[i];
      if (t < ws) continue;
      pieces += r.tokenChunkPieces[i] ?? 1;
      first ??= t;
      last = t;
    }
    if (pieces >= 4 && first !== null && last !== null && last > first) decode = (pieces * ratio - 1) / (Number(last - first) / 1e9);
    else if (!sentInWindow) {
      // A call sent before the window that had produced no token when we cut it: its lane waited the
      // whole window for nothing, so it is active and judged on a lower bound of its TTFT, never dropped.
      if (isCut(r) && r.tFirstTokenNs === null) return { agent, ok: true, ttftMs: null, decodeTokPerS: null, ttftAtLeastMs: Number(cutNs - (r.attempts?.[0]?.tSendNs ?? r.tSendNs)) / 1e6 };
      return null; // nothing of it to judge inside the window
    }
  }
  return { agent, ok: true, ttftMs, decodeTokPerS: decode, ttftAtLeastMs };
}

const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

export function evaluateLevel(run: LevelRun, tiers: readonly SloTier[], slo: SloThresholds, validity: ValidityThresholds = DEFAULT_VALIDITY): LevelReport {
  const ws = run.windowStartNs;
  const we = run.windowEndNs;
  const windowS = Number(we - ws) / 1e9;
  // Calls overlapping the window (a long call started during warm-up still decodes inside it).
  const windowCalls = run.records.filter((r) => !r.warmup && r.tSchedNs < we && r.result.tEndNs >= ws);
  const sentInWindow = windowCalls.filter((r) => r.tSchedNs >= ws);
  // Tokens per output piece, from completed calls with usage (1 for one-token chunks).
  let usageTokens = 0;
  let usagePieces = 0;
  for (const r of run.records) {
    if (r.result.ok && r.result.usage) {
      usageTokens += r.result.usage.completionTokens;
      usagePieces += r.result.tokenChunkPieces.reduce((s, p) => s + p, 0);
    }
  }
  const ratio = usagePieces > 0 ? usageTokens / usagePieces : 1;
  const sloCalls: SloCall[] = [];
  const errors: Record<string, number> = {};
  const errorsAllCalls: Record<string, number> = {};
  const retriedFaults: Record<string, number> = {};
  let partialCalls = 0;
  for (const rec of sentInWindow) for (const a of rec.result.attempts?.slice(0, -1) ?? []) if (!a.ok) inc(retriedFaults, a.errorClass ?? 'other');
  for (const r of run.records) if (!r.result.ok && !isCut(r.result)) inc(errorsAllCalls, r.result.errorClass ?? 'other');
  for (const rec of windowCalls) {
    if (rec.tSchedNs >= ws && !rec.result.ok && !isCut(rec.result)) inc(errors, rec.result.errorClass ?? 'other');
    if (isCut(rec.result)) partialCalls++;
    const c = toSloCall(rec, ratio, ws, run.cutNs);
    if (c) sloCalls.push(c);
  }
  // Faulted tries of retried calls (--retries) sent in the window count against the level: each is a
  // failing call of its lane, and the error rate is over tries, so a server refusing half its
  // requests is not a clean pass because the client retried them.
  let faultedTries = 0;
  for (const rec of windowCalls) {
    for (const a of rec.result.attempts?.slice(0, -1) ?? []) {
      if (a.ok || a.errorClass === 'aborted' || a.tSendNs < ws || a.tSendNs >= we) continue;
      faultedTries++;
      sloCalls.push({ agent: String(rec.lane), ok: false, errorClass: a.errorClass, ttftMs: null, decodeTokPerS: null });
    }
  }
  const verdicts = evaluateTiers(sloCalls, tiers, slo);
  const errorCount = Object.values(errors).reduce((s, n) => s + n, 0);
  const errorRate = sentInWindow.length + faultedTries ? (errorCount + faultedTries) / (sentInWindow.length + faultedTries) : 0;
  const contextOverflowRate = sentInWindow.length ? (errors.context_overflow ?? 0) / sentInWindow.length : 0;
  const agentsActive = new Set(sloCalls.map((c) => c.agent)).size;
  // Output tokens arriving inside the window, from chunk timestamps (all calls, any start time).
  let piecesInWindow = 0;
  for (const rec of run.records) {
    const r = rec.result;
    for (let i = 0; i < r.tokenChunkTimesNs.length; i++) {
      const t = r.tokenChunkTimesNs[i];
      if (t >= ws && t < we) piecesInWindow += r.tokenChunkPieces[i] ?? 1;
    }
  }
  const completed = sentInWindow.filter((r) => r.result.ok);
  const vllm = vllmMetrics(
    sentInWindow.filter((r) => !isCut(r.result)).map((r) => {
      const m = requestMetrics(r.result, r.tSchedNs);
      return { ok: r.result.ok, ttftMs: m.ttftMs, e2eMs: m.e2eMs, outputTokens: m.outputTokens, itlMs: m.itlMs };
    }),
    windowS,
    tiers.map((t) => ({ ttftMs: t.ttftCeilingMs, tpotMs: tpotCeilingMs(t.sloTokPerS) })),
  );
  const cachedKnown = completed.filter((r) => r.result.usage?.cachedTokens !== null && r.result.usage?.cachedTokens !== undefined);
  const reasons: string[] = [];
  const sat = run.saturation;
  if (sat) {
    if (sat.eventLoopUtilization > validity.maxEventLoopUtilization)
      reasons.push(`client saturated: event loop busy ${(sat.eventLoopUtilization * 100).toFixed(0)}% of the window (limit ${(validity.maxEventLoopUtilization * 100).toFixed(0)}%)`);
    if (sat.eventLoopDelayP99Ms > validity.maxEventLoopDelayP99Ms)
      reasons.push(`client saturated: event-loop delay p99 ${sat.eventLoopDelayP99Ms.toFixed(0)} ms (limit ${validity.maxEventLoopDelayP99Ms} ms)`);
    if (sat.processCpuCores > validity.maxProcessCpuShare * sat.cores)
      reasons.push(`machine saturated: process CPU ${sat.processCpuCores.toFixed(2)} of ${sat.cores} cores`);
  }
  if (contextOverflowRate > validity.maxContextOverflowRate)
    reasons.push(`context overflows ${(contextOverflowRate * 100).toFixed(1)}% of window calls (limit ${(validity.maxContextOverflowRate * 100).toFixed(0)}%)`);
  if (errorRate > validity.maxErrorRate) reasons.push(`error rate ${(errorRate * 100).toFixed(1)}% of window ${faultedTries ? `tries (${faultedTries} retried faults included)` : 'calls'} (limit ${(validity.maxErrorRate * 100).toFixed(0)}%)`);
  if (windowS < validity.minWindowS - 1e-6) reasons.push(`window ${windowS.toFixed(1)} s is shorter than the minimum ${validity.minWindowS} s`);
  if (agentsActive < validity.minActiveAgentFraction * run.concurrency)
    reasons.push(`window too short for the call lengths: only ${agentsActive} of ${run.concurrency} agents had a call to judge in it (minimum ${(validity.minActiveAgentFraction * 100).toFixed(0)}%)`);
  if (!run.warmupCompleted) reasons.push('warm-up requests did not all finish within the warm-up cap');
  if (run.interrupted) reasons.push('interrupted');
  return {
    concurrency: run.concurrency,
    valid: reasons.length === 0,
    reasons,
    interrupted: run.interrupted,
    windowStartNs: ws.toString(),
    windowEndNs: we.toString(),
    windowS,
    warmupCompleted: run.warmupCompleted,
    callsInWindow: windowCalls.length,
    callsSentInWindow: sentInWindow.length,
    partialCalls,
    agentsActive,
    tiers: verdicts.map((v) => ({
      sloTokPerS: v.sloTokPerS,
      ttftCeilingMs: v.ttftCeilingMs,
      passRate: v.passRate,
      ...withCanaryRule(run.canary, v.sloTokPerS, v.pass),
      agentsActive: v.agentsActive,
      agentsMeeting: v.agentsMeeting,
      callsJudged: v.callsJudged,
      callsMeeting: v.callsMeeting,
      callFailures: v.callFailures,
      bindingConstraint: v.bindingConstraint,
    })),
    errors,
    errorsAllCalls,
    retriedFaults,
    errorRate,
    contextOverflowRate,
    outputTokPerS: windowS > 0 ? (piecesInWindow * ratio) / windowS : 0,
    vllm,
    saturation: sat,
    ...(run.canary !== undefined ? { canary: run.canary } : {}),
    coalescedCalls: windowCalls.filter((r) => r.result.coalescedReads > 0).length,
    peakInFlight: run.peakInFlight,
    treesCompleted: run.treesCompleted,
    cache: {
      promptTokens: completed.reduce((s, r) => s + (r.result.usage?.promptTokens ?? 0), 0),
      cachedTokens: cachedKnown.length ? cachedKnown.reduce((s, r) => s + (r.result.usage?.cachedTokens ?? 0), 0) : null,
      expectedCachedTokens: completed.reduce((s, r) => s + r.expectedCachedTokens, 0),
    },
    contentMode: run.contentMode,
    api: run.api,
    content: contentReport(run.records, run.contentMode),
    promptTokenError: promptTokenError(run.records, run.tokenModel),
    tokensPerPiece: ratio,
  };
}

/** The verdict stays as judged; the reason marks it not valid (the search is unchanged until src/slo has per-tier validity). */
function withCanaryRule(canary: CanaryStats | null | undefined, floorTokPerS: number, pass: boolean): { pass: boolean; invalidReason?: string } {
  const reason = canaryTierReason(canary, floorTokPerS);
  return reason ? { pass, invalidReason: reason } : { pass };
}

/** Rows for the store's `requests` table (DESIGN 3.3). */
export function requestRows(run: LevelRun) {
  return run.records.map((rec) => {
    const r = rec.result;
    const m = requestMetrics(r, rec.tSchedNs);
    return {
      level: run.concurrency,
      lane: rec.lane,
      agent: `${rec.trajectoryId}/${rec.agentId}#${rec.cycle}${rec.warmup ? ' (warm-up)' : ''}`,
      step: rec.step,
      requestId: r.requestId,
      promptTokens: r.usage?.promptTokens ?? null,
      cachedTokens: r.usage?.cachedTokens ?? null,
      expectedCachedTokens: rec.expectedCachedTokens,
      outputTokens: r.usage?.completionTokens ?? null,
      tSchedNs: rec.tSchedNs,
      tSendNs: r.tSendNs,
      tFirstNs: r.tFirstTokenNs,
      tLastNs: r.tLastTokenNs,
      ttftMs: m.ttftMs,
      decodeTokPerS: r.ok ? m.decodeTokPerS : null,
      itlP50Ms: m.itlP50Ms,
      itlP99Ms: m.itlP99Ms,
      itlMaxMs: m.itlMaxMs,
      e2eMs: m.e2eMs,
      status: r.ok ? 'ok' : isCut(r) ? 'cut' : 'error',
      errorClass: r.errorClass,
      inWindow: !rec.warmup && rec.tSchedNs >= run.windowStartNs && rec.tSchedNs < run.windowEndNs,
      coalescedReads: r.coalescedReads,
    };
  });
}
