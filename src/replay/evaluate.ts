/**
 * From a level's raw call records to its report: each call becomes a CallObservation (ms) and the
 * SLO core (src/slo) applies the window rules, the judge and the validity rules, exactly as for
 * the planner. What is replay's own: turning ns stamps and chunk lists into observations (a cut
 * call's tokens = pieces x the tokens-per-piece ratio measured on this level's completed calls),
 * error counts per class, vLLM-style figures, cache and prompt-size accuracy.
 */
import { requestMetrics, type RequestResult } from '../endpoint/index.js';
import {
  DEFAULT_VALIDITY,
  isWindowCall,
  judgeWindow,
  levelValidity,
  tierValidity,
  clientResolution,
  tpotCeilingMs,
  vllmMetrics,
  type CallObservation,
  type IdleSpan,
  type JudgedShare,
  type LevelWindow,
  type SloThresholds,
  type SloTier,
  type TierSummary,
  type ValidityThresholds,
  type VllmMetrics,
} from '../slo/index.js';
import type { CallRecord } from './lane.js';
import { contentReport, promptTokenError, type ContentReport, type PromptTokenError } from './content.js';
import type { ContentMode } from './content.js';
import type { ApiMode } from './completions-prompt.js';
import type { LevelRun, SaturationStats, WorkerShare } from './level.js';
import type { CanaryStats } from '../endpoint/index.js';

/** A tier's verdict at one level (the SLO core's summary) plus whether the client could judge it there. */
export interface TierLevelResult extends TierSummary {
  /** False when the client could not judge this tier at this level (timing canary); see reasons. */
  valid: boolean;
  reasons: string[];
  /** The reasons in one line when the tier is invalid at this level (reports read before `valid` existed read this). */
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
  /** Lanes that had finished a full call before the window (steady-state rule). */
  lanesWithFullCycle?: number;
  /** Non-warm-up calls overlapping the window (judged on their in-window part). */
  callsInWindow: number;
  /** Of those, calls scheduled inside the window (errors, vLLM figures and TTFT come from these). */
  callsSentInWindow: number;
  partialCalls: number;
  agentsActive: number;
  /** How much of the load the verdicts rest on (the tier with the smallest judged share). */
  judged?: JudgedShare;
  /**
   * Built-in simulator only: real time its engine lost to late timer wake-ups during the level (host
   * too busy), so its timings ran slower than the profile models: the measured overhead that
   * separates a real-HTTP level on the simulator from the virtual-time plan of the same level.
   */
  simDriverLag?: { lagS: number; levelS: number; share: number };
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
  /** Window calls with a measured decode rate, and those whose rate the client could not resolve (slo window rule). */
  clientResolution?: { decodeMeasured: number; unresolved: number };
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
  /** A level run by several workers: each one's lanes, canary and saturation (the merged canary is the worst). */
  workers?: WorkerShare[];
  /** The level could not run as asked (a worker lost, clocks apart): invalid, and a sweep ends after storing it. */
  fatal?: string;
}

/** Which workers' own timing canaries break a tier's gate (the merged canary is the worst one; this names them). */
function workerCanaryReasons(workers: readonly WorkerShare[] | undefined, tier: SloTier, v: ValidityThresholds): string[] {
  if (!workers || workers.length < 2 || !(tier.sloTokPerS > 0)) return [];
  const limit = v.maxCanaryLagShare * tier.ttftCeilingMs;
  return workers.flatMap((w) =>
    w.canary === null || w.canary.samples === 0
      ? [`worker ${w.id} (${w.lanes} lanes): its timing canary did not run`]
      : w.canary.p99Ms > limit
        ? [`worker ${w.id} (${w.lanes} lanes): its timing canary read lag p99 ${w.canary.p99Ms.toFixed(1)} ms exceeds the gate ${limit.toFixed(1)} ms`]
        : [],
  );
}

function isCut(r: RequestResult): boolean {
  return !r.ok && r.errorClass === 'aborted';
}

const nsMs = (ns: bigint): number => Number(ns) / 1e6;

/** A replay call record as the SLO core sees it (ms on the monotonic clock). */
export function replayObservation(rec: CallRecord, ratio: number, windowStartNs: bigint, cutNs: bigint): CallObservation {
  const r = rec.result;
  const cut = isCut(r);
  let pieces = 0;
  let after = 0;
  let firstAfter: bigint | null = null;
  let lastAfter: bigint | null = null;
  for (let i = 0; i < r.tokenChunkTimesNs.length; i++) {
    const p = r.tokenChunkPieces[i] ?? 1;
    pieces += p;
    const t = r.tokenChunkTimesNs[i];
    if (t < windowStartNs) continue;
    after += p;
    firstAfter ??= t;
    lastAfter = t;
  }
  // Completed: usage tokens (and its own tokens per piece); cut: pieces x the level's ratio.
  const own = r.ok && r.usage && pieces > 0 ? r.usage.completionTokens / pieces : ratio;
  const tokens = r.ok ? (r.usage?.completionTokens ?? pieces) : pieces * ratio;
  return {
    agent: String(rec.lane),
    warmup: rec.warmup,
    schedMs: nsMs(rec.tSchedNs),
    // A retried call (--retries) waited for its first token since its first try, Retry-After waits included.
    sendMs: nsMs(r.attempts?.[0]?.tSendNs ?? r.tSendNs),
    outcome: r.ok ? 'ok' : cut ? 'cut' : 'error',
    errorClass: r.ok || cut ? null : (r.errorClass ?? 'other'),
    endMs: nsMs(cut ? (r.tEndNs > cutNs ? r.tEndNs : cutNs) : r.tEndNs),
    firstTokenMs: r.tFirstTokenNs === null ? null : nsMs(r.tFirstTokenNs),
    lastTokenMs: r.tLastTokenNs === null ? null : nsMs(r.tLastTokenNs),
    tokens,
    afterWs: { tokens: after * own, firstMs: firstAfter === null ? null : nsMs(firstAfter), lastMs: lastAfter === null ? null : nsMs(lastAfter) },
    coalescedReads: (r as RequestResult & { coalescedReads?: number }).coalescedReads,
  };
}

const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

export function evaluateLevel(run: LevelRun, tiers: readonly SloTier[], slo: SloThresholds, validity: ValidityThresholds = DEFAULT_VALIDITY): LevelReport {
  const ws = run.windowStartNs;
  const we = run.windowEndNs;
  const windowS = Number(we - ws) / 1e9;
  const window: LevelWindow = { startMs: nsMs(ws), endMs: nsMs(we), cutMs: nsMs(run.cutNs) };
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
  // Merged levels: each call is resolved against its own worker's canary, not the worst one.
  const lagOf = new Map((run.workers ?? []).filter((w) => w.canary && w.canary.samples > 0).map((w) => [w.id, w.canary!.p99Ms]));
  const observations = run.records.map((r) => {
    const o = replayObservation(r, ratio, ws, run.cutNs);
    const lag = r.worker !== undefined ? lagOf.get(r.worker) : undefined;
    return lag !== undefined ? { ...o, clientLagP99Ms: lag } : o;
  });
  const windowCalls = run.records.filter((_r, i) => isWindowCall(observations[i], window));
  const sentInWindow = windowCalls.filter((r) => r.tSchedNs >= ws);
  // A closed-loop level lists its lanes (silent ones fail); without the list (open loop: sessions come
  // and go), the agents are the lanes with a call or warm-up overlapping the window.
  const laneIds = run.lanes
    ? run.lanes.map(String)
    : [...new Set(observations.filter((o) => o.schedMs < window.endMs && o.endMs >= window.startMs).map((o) => o.agent))];
  const idle: IdleSpan[] = (run.idle ?? []).map((x) => ({ agent: String(x.lane), startMs: nsMs(x.startNs), endMs: nsMs(x.endNs), kind: x.kind }));
  // Faulted tries of retried calls (--retries) sent in the window count against the level: each is a
  // failing call of its lane, and the error rate is over tries, so a server refusing half its
  // requests is not a clean pass because the client retried them.
  const faultedTries: CallObservation[] = [];
  for (const rec of run.records) {
    if (rec.warmup) continue;
    for (const a of rec.result.attempts?.slice(0, -1) ?? []) {
      if (a.ok || a.errorClass === 'aborted' || a.tSendNs < ws || a.tSendNs >= we) continue;
      faultedTries.push({ agent: String(rec.lane), warmup: false, schedMs: nsMs(a.tSendNs), sendMs: nsMs(a.tSendNs), outcome: 'error', errorClass: a.errorClass ?? 'other', endMs: nsMs(a.tEndNs), firstTokenMs: null, lastTokenMs: null, tokens: 0, afterWs: { tokens: 0, firstMs: null, lastMs: null } });
    }
  }
  const { verdicts, calls: judgedCalls } = judgeWindow([...observations, ...faultedTries], laneIds, idle, window, tiers, slo, run.canary?.samples ? run.canary.p99Ms : undefined);
  const resolution = clientResolution(judgedCalls);
  const errors: Record<string, number> = {};
  const errorsAllCalls: Record<string, number> = {};
  const retriedFaults: Record<string, number> = {};
  let partialCalls = 0;
  for (const rec of sentInWindow) for (const a of rec.result.attempts?.slice(0, -1) ?? []) if (!a.ok) inc(retriedFaults, a.errorClass ?? 'other');
  for (const r of run.records) if (!r.result.ok && !isCut(r.result)) inc(errorsAllCalls, r.result.errorClass ?? 'other');
  for (const rec of windowCalls) {
    if (rec.tSchedNs >= ws && !rec.result.ok && !isCut(rec.result)) inc(errors, rec.result.errorClass ?? 'other');
    if (isCut(rec.result)) partialCalls++;
  }
  const errorCount = Object.values(errors).reduce((s, n) => s + n, 0);
  const tries = sentInWindow.length + faultedTries.length;
  const errorRate = tries ? (errorCount + faultedTries.length) / tries : 0;
  const contextOverflowRate = sentInWindow.length ? (errors.context_overflow ?? 0) / sentInWindow.length : 0;
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
  const sat = run.saturation;
  const { reasons, share } = levelValidity(
    { lanes: run.concurrency, windowS, errorRate, faultedTries: faultedTries.length, contextOverflowRate, warmupCompleted: run.warmupCompleted, interrupted: run.interrupted, lanesWithFullCycle: run.lanesWithFullCycle, saturation: sat, canary: run.canary ?? null },
    verdicts,
    validity,
  );
  // A merged level whose workers did not all run it as asked cannot stand, whatever its calls say.
  const faults = run.workerFaults ?? [];
  if (faults.length) reasons.unshift(...faults);
  return {
    concurrency: run.concurrency,
    valid: reasons.length === 0,
    reasons,
    interrupted: run.interrupted,
    windowStartNs: ws.toString(),
    windowEndNs: we.toString(),
    windowS,
    warmupCompleted: run.warmupCompleted,
    ...(run.lanesWithFullCycle !== undefined ? { lanesWithFullCycle: run.lanesWithFullCycle } : {}),
    callsInWindow: windowCalls.length,
    callsSentInWindow: sentInWindow.length,
    partialCalls,
    agentsActive: share.agentsActive,
    judged: share,
    tiers: verdicts.map(({ agents: _a, thresholds: _t, ...v }) => {
      const tierReasons = tierValidity(v, run.canary, validity, resolution);
      if (tierReasons.length) tierReasons.push(...workerCanaryReasons(run.workers, v, validity));
      return { ...v, valid: tierReasons.length === 0, reasons: tierReasons, ...(tierReasons.length ? { invalidReason: tierReasons.join('; ') } : {}) };
    }),
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
    clientResolution: resolution,
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
    ...(run.workers ? { workers: run.workers } : {}),
    ...(faults.length ? { fatal: faults.join('; ') } : {}),
  };
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
