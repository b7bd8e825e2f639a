/**
 * Per-request derived metrics (pure). Definitions:
 * - ttfbMs: first response-body byte; ttftMs: first chunk with visible output (content, reasoning
 *   or tool call); ttfoMs: first non-reasoning output; e2eMs: end of response. All from the actual
 *   send, and again (`*FromScheduleMs`) from the scheduled dispatch time (vLLM #54101: client-side
 *   queueing must not be hidden).
 * - outputTokens: usage.completion_tokens; falls back to counted output pieces only when usage is
 *   absent (then the request is already marked missing_usage).
 * - decodeTokPerS = (outputTokens - 1) / (tLastToken - tFirstToken)  (DESIGN 4, SLO floor).
 * - tpotMs = (e2e - ttft) / (outputTokens - 1)  (vLLM `calculate_metrics`, = AIPerf ITL).
 * - itlMs: one sample per output piece after the first chunk. A body chunk carrying k pieces
 *   contributes k samples of gap/k (token-weighted, as SGLang bench_serving spreads multi-token
 *   chunks; vLLM appends one gap per chunk). Pieces of the first chunk add no sample (they are
 *   TTFT). When one SSE event carries several tokens the server does not say how many, so itlMs
 *   then has fewer samples than tokens; tpotMs (from usage) stays exact.
 */
import { percentile } from '../core/index.js';
import { decodeTokPerS as decodeRate, tpotMs as tpotOf } from '../slo/index.js';
import type { RequestResult } from './types.js';

export interface RequestMetrics {
  ok: boolean;
  outputTokens: number;
  /** scheduled -> send: time the request waited on the client side. */
  clientQueueMs: number;
  ttfbMs: number | null;
  ttftMs: number | null;
  ttfoMs: number | null;
  e2eMs: number;
  ttfbFromScheduleMs: number | null;
  ttftFromScheduleMs: number | null;
  e2eFromScheduleMs: number;
  decodeTokPerS: number | null;
  tpotMs: number | null;
  itlMs: number[];
  itlP50Ms: number | null;
  itlP99Ms: number | null;
  itlMaxMs: number | null;
}

const ms = (ns: bigint): number => Number(ns) / 1e6;
const since = (t: bigint | null, from: bigint): number | null => (t === null ? null : ms(t - from));

export function itlSamplesMs(times: readonly bigint[], pieces: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const k = pieces[i] > 0 ? pieces[i] : 1;
    const g = ms(times[i] - times[i - 1]) / k;
    for (let j = 0; j < k; j++) out.push(g);
  }
  return out;
}

export function requestMetrics(r: RequestResult, tScheduledNs: bigint = r.tSendNs): RequestMetrics {
  let counted = 0;
  for (const p of r.tokenChunkPieces) counted += p;
  const outputTokens = r.usage ? r.usage.completionTokens : counted;
  const ttftMs = since(r.tFirstTokenNs, r.tSendNs);
  const e2eMs = ms(r.tEndNs - r.tSendNs);
  // The formulas are the metric registry's (src/slo/metrics.ts), so every driver computes them alike.
  const decodeTokPerS = r.tFirstTokenNs !== null && r.tLastTokenNs !== null ? decodeRate(outputTokens, 0, ms(r.tLastTokenNs - r.tFirstTokenNs)) : null;
  const tpotMs = tpotOf(e2eMs, ttftMs, outputTokens);
  const itlMs = itlSamplesMs(r.tokenChunkTimesNs, r.tokenChunkPieces);
  let itlMaxMs: number | null = null;
  for (const v of itlMs) if (itlMaxMs === null || v > itlMaxMs) itlMaxMs = v;
  return {
    ok: r.ok,
    outputTokens,
    clientQueueMs: ms(r.tSendNs - tScheduledNs),
    ttfbMs: since(r.tFirstByteNs, r.tSendNs),
    ttftMs,
    ttfoMs: since(r.tFirstContentNs, r.tSendNs),
    e2eMs,
    ttfbFromScheduleMs: since(r.tFirstByteNs, tScheduledNs),
    ttftFromScheduleMs: since(r.tFirstTokenNs, tScheduledNs),
    e2eFromScheduleMs: ms(r.tEndNs - tScheduledNs),
    decodeTokPerS,
    tpotMs,
    itlMs,
    itlP50Ms: itlMs.length ? percentile(itlMs, 50) : null,
    itlP99Ms: itlMs.length ? percentile(itlMs, 99) : null,
    itlMaxMs,
  };
}
