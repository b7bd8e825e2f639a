/**
 * Aggregation: per event EFC_t = kappa * I * V * N * M / (1 + 0.35 * A_t) with kappa = 10 (the
 * factorization's scale), so any zero axis gates the event out, and A_t counts earlier failing
 * evaluations of the same candidate (a retried failing command earns less each time). Run EFC is the
 * sum over events. An optional judge adds its own axis scores beside the rule's; they never enter EFC.
 */
import { informativeness, nonRedundancy, retention, validity } from './axes.js';
import { candidates, sourceIteration } from './episode-state.js';
import { normalizeText, type NormalizedText } from './similarity.js';
import type { AxisScores, Episode, EpisodeScore, EventScore, Judge, RawCompute } from './types.js';

export const KAPPA = 10;
export const RETRY_DISCOUNT = 0.35;

/** The baseline report the agent saw first (the first turn's feedback minus the budget line). */
function baselineText(ep: Episode): string | null {
  const first = [...ep.iterations].sort((a, b) => a.iteration - b.iteration)[0];
  if (!first) return null;
  const lines = first.feedbackShown.split('\n');
  return lines.slice(lines[0].startsWith('[budget]') ? 1 : 0).join('\n') || null;
}

/** EFC per unit of raw compute (null where that compute is zero). */
export function efficiencyOf(efc: number, raw: RawCompute): EpisodeScore['efficiency'] {
  return {
    perKTokens: raw.tokens > 0 ? efc / (raw.tokens / 1000) : null,
    perToolCall: raw.toolCalls > 0 ? efc / raw.toolCalls : null,
    perWallSec: raw.wallSec > 0 ? efc / raw.wallSec : null,
  };
}

export function rawCompute(ep: Episode): RawCompute {
  let tokens = 0;
  let wallMs = 0;
  let toolCalls = 0;
  for (const it of ep.iterations) {
    tokens += it.tokensIn + it.tokensOut;
    wallMs += it.wallMs;
    if (it.status !== 'stop' && it.status !== 'agent_error') toolCalls++;
  }
  return { tokens, toolCalls, wallSec: wallMs / 1000 };
}

export interface ScoreOptions {
  judge?: Judge;
}

export function scoreEpisode(ep: Episode, o: ScoreOptions = {}): EpisodeScore {
  const cands = candidates(ep);
  const earlier: NormalizedText[] = [];
  const base = baselineText(ep);
  // One prior message per event the baseline report holds (each starts with a known prefix).
  if (base) for (const part of base.split(/\n(?=build |check |score: |result: |error: |measure failed|harness files|\S+ median )/)) earlier.push(normalizeText(part));
  // A_t: earlier failing evaluations of the same candidate, per failing iteration.
  const retries = new Map<number, number>();
  const failedBefore = new Map<string, number>();
  for (const it of [...ep.iterations].sort((a, b) => a.iteration - b.iteration)) {
    if (it.status === 'ok' || it.status === 'stop') continue;
    const c = cands.get(it.iteration) ?? `iteration:${it.iteration}`;
    retries.set(it.iteration, failedBefore.get(c) ?? 0);
    failedBefore.set(c, (failedBefore.get(c) ?? 0) + 1);
  }
  const events: EventScore[] = [];
  const sorted = [...ep.events].sort((a, b) => a.iteration - b.iteration || a.seq - b.seq);
  for (const e of sorted) {
    const I = informativeness(e);
    const V = validity(e, ep, cands);
    const N = nonRedundancy(e, earlier);
    const M = retention(e, ep, cands);
    const src = sourceIteration(e);
    const retryIndex = retries.get(src) ?? 0;
    const efc = (KAPPA * I.score * V.score * N.score * M.score) / (1 + RETRY_DISCOUNT * retryIndex);
    events.push({
      iteration: e.iteration,
      seq: e.seq,
      kind: e.kind,
      informativeness: I.score,
      validity: V.score,
      nonRedundancy: N.score,
      retention: M.score,
      retryIndex,
      efc,
      why: { informativeness: I.why, validity: V.why, nonRedundancy: N.why, retention: M.why },
      ...(o.judge ? { judge: o.judge(e, ep) } : {}),
    });
    earlier.push(normalizeText(e.text));
  }
  const mean = (k: keyof AxisScores) => (events.length ? events.reduce((a, x) => a + x[k], 0) / events.length : 0);
  const efc = events.reduce((a, x) => a + x.efc, 0);
  const raw = rawCompute(ep);
  return {
    runId: ep.runId,
    task: ep.task,
    agent: ep.agent,
    feedbackMode: ep.feedbackMode,
    success: ep.success,
    efc,
    axisMeans: { informativeness: mean('informativeness'), validity: mean('validity'), nonRedundancy: mean('nonRedundancy'), retention: mean('retention') },
    rawCompute: raw,
    efficiency: efficiencyOf(efc, raw),
    events,
  };
}
