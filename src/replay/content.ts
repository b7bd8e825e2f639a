/**
 * Recorded content on replay (`--content recorded`): an llm step whose trajectory kept the text
 * (`content.messages` = the full message list the agent sent for that call, `content.output` = the
 * assistant text it got back, as the importers and the recording proxy write them) is replayed with
 * those messages, so the server's tokenizer and prefix cache see real text. The lane's cache-bust
 * marker still goes right after the system message(s): lanes replaying the same trajectory would
 * otherwise share a prefix no real deployment of independent agents would share.
 */
import type { ChatMessage } from '../endpoint/index.js';
import type { LlmStep } from '../trajectory/index.js';
import { mean, percentile } from '../core/index.js';
import type { CallRecord } from './lane.js';
import type { TokenModel } from './prompt.js';

export type ContentMode = 'synthetic' | 'recorded';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** The recorded message list of a step, or null when it has none usable (the caller falls back to synthetic text). */
export function recordedMessages(step: LlmStep): ChatMessage[] | null {
  const msgs = step.content?.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return null;
  for (const m of msgs) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return null;
    const role = (m as { role?: unknown }).role;
    if (typeof role !== 'string' || !ROLES.has(role)) return null;
  }
  return msgs as ChatMessage[];
}

/** The recorded assistant text of a step, when kept. */
export function recordedOutput(step: LlmStep): string | null {
  const o = step.content?.output;
  return typeof o === 'string' ? o : null;
}

/**
 * The messages with `marker` at the start of the first message after the leading system/developer
 * messages (text content: prefixed like synthetic prompts, `marker\n\n`; multi-part content: a text
 * part in front). When that message is not a user message, or there is none, the marker goes in as
 * its own user message there. The recorded objects are not modified.
 */
export function withMarker(messages: readonly ChatMessage[], marker: string): ChatMessage[] {
  let i = 0;
  while (i < messages.length && (messages[i].role === 'system' || (messages[i].role as string) === 'developer')) i++;
  const out = messages.slice();
  const m = messages[i];
  if (m && m.role === 'user' && typeof m.content === 'string') out[i] = { ...m, content: `${marker}\n\n${m.content}` };
  else if (m && m.role === 'user' && Array.isArray(m.content)) out[i] = { ...m, content: [{ type: 'text', text: marker }, ...(m.content as unknown[])] as never };
  else out.splice(i, 0, { role: 'user', content: marker });
  return out;
}

/** Relative prompt-size error of calls, in percent of the recorded input_tokens. */
export interface PromptErrorStats {
  calls: number;
  meanPct: number | null;
  p99Pct: number | null;
  maxPct: number | null;
}

/** The goal for synthetic prompts: sent prompt_tokens within 1% of the recorded input_tokens. */
export const PROMPT_ERROR_TARGET_PCT = 1;

export interface PromptTokenError extends PromptErrorStats {
  /** How the synthetic prompts were sized for this endpoint ('assumed' = no way to count; labelled). */
  calibration: TokenModel['source'];
  /** Largest error seen in the calibration check, percent (null = not checked). */
  calibrationCheckPct: number | null;
  targetPct: number;
  /** Calls sent with synthetic text (the default, or fallbacks under --content recorded). */
  synthetic: PromptErrorStats;
  /** Calls sent with recorded messages: the error is the endpoint's tokenizer vs the recording's (not calibratable). */
  recorded: PromptErrorStats;
}

export interface ContentReport {
  mode: ContentMode;
  /** Non-warm-up calls sent with recorded messages. */
  recordedCalls: number;
  /** Non-warm-up calls sent with synthetic text although recorded content was asked for (the step kept none). */
  syntheticFallbackCalls: number;
}

export function promptErrorStats(relErrors: readonly number[]): PromptErrorStats {
  if (!relErrors.length) return { calls: 0, meanPct: null, p99Pct: null, maxPct: null };
  return {
    calls: relErrors.length,
    meanPct: mean(relErrors) * 100,
    p99Pct: percentile(relErrors, 99) * 100,
    maxPct: Math.max(...relErrors) * 100,
  };
}

/** What the prompt-size figures need of a call record (a CallRecord is one; sweeps keep only this). */
export type PromptSample = Pick<CallRecord, 'warmup' | 'promptTokensTarget' | 'contentSource'> & { result: Pick<CallRecord['result'], 'ok' | 'usage'> };

export const toPromptSample = (r: CallRecord): PromptSample => ({
  warmup: r.warmup,
  promptTokensTarget: r.promptTokensTarget,
  contentSource: r.contentSource,
  result: { ok: r.result.ok, usage: r.result.usage },
});

/** Per-call |usage.prompt_tokens - recorded input_tokens| / input_tokens, over completed non-warm-up calls. */
export function promptTokenError(records: readonly PromptSample[], model: TokenModel): PromptTokenError {
  const all: number[] = [];
  const by: Record<'recorded' | 'synthetic', number[]> = { recorded: [], synthetic: [] };
  for (const r of records) {
    const u = r.result.usage;
    if (r.warmup || !r.result.ok || !u || r.promptTokensTarget <= 0) continue;
    const e = Math.abs(u.promptTokens - r.promptTokensTarget) / r.promptTokensTarget;
    all.push(e);
    by[r.contentSource].push(e);
  }
  return {
    ...promptErrorStats(all),
    calibration: model.source,
    calibrationCheckPct: model.maxRelError === null ? null : model.maxRelError * 100,
    targetPct: PROMPT_ERROR_TARGET_PCT,
    synthetic: promptErrorStats(by.synthetic),
    recorded: promptErrorStats(by.recorded),
  };
}

export function contentReport(records: readonly PromptSample[], mode: ContentMode): ContentReport {
  let recordedCalls = 0;
  let syntheticFallbackCalls = 0;
  for (const r of records) {
    if (r.warmup) continue;
    if (r.contentSource === 'recorded') recordedCalls++;
    else if (mode === 'recorded') syntheticFallbackCalls++;
  }
  return { mode, recordedCalls, syntheticFallbackCalls };
}

const pct = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}%`);

/** One line for the text report: prompt-size error (synthetic vs target, recorded separately) and content counts. */
export function describePromptError(pe: PromptTokenError, content: ContentReport): string {
  const parts = [`prompt size vs recorded input_tokens (calibration ${pe.calibration}${pe.calibration === 'assumed' ? ', NOT calibrated' : ''})`];
  const s = pe.synthetic;
  if (s.calls) {
    const miss = s.p99Pct !== null && s.p99Pct > pe.targetPct;
    parts.push(`synthetic ${s.calls} calls: mean ${pct(s.meanPct)} p99 ${pct(s.p99Pct)} max ${pct(s.maxPct)}${miss ? ` (ABOVE the ${pe.targetPct}% target)` : ` (within ${pe.targetPct}%)`}`);
  }
  if (pe.recorded.calls) {
    const r = pe.recorded;
    parts.push(`recorded text ${r.calls} calls: mean ${pct(r.meanPct)} p99 ${pct(r.p99Pct)} max ${pct(r.maxPct)} (this endpoint's tokenizer vs the recording's, plus the cache-bust marker)`);
  }
  if (!s.calls && !pe.recorded.calls) parts.push('no completed call with usage');
  if (content.mode === 'recorded') parts.push(`content recorded: ${content.recordedCalls} calls sent recorded messages, ${content.syntheticFallbackCalls} fell back to synthetic text (step kept no messages)`);
  return parts.join('; ');
}
