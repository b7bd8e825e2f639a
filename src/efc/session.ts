/**
 * EFC on real agents' sessions: a trajectory kept with content (recorded through `agentdyno record`
 * or a command agent, or imported with its messages) is scored event by event. A feedback event is
 * each tool result the agent received (a `tool` message that first appears in a call's request):
 * harness output such as build logs, test results and measurements. What the agent itself wrote is
 * never an event. The rules differ from loop episodes only where a session carries less:
 *
 * informativeness — a measured value with its noise (CI, ±, cv, stddev) 1.0; a failure with its
 *   diagnostic output, or a number, 0.7; a bare verdict or short acknowledgement 0.4; empty 0.
 * validity — a session cannot be re-run to check a tool's output, so results are taken at 0.9
 *   (as reported), 0.7 when the output says it was truncated; never 1.
 * non-redundancy — 1 - the highest similarity (similarity.ts) to any earlier event in the session.
 * retention — 1 while the text is still in the agent's next request (it kept it in context), 0 once
 *   it is missing from the next request (compacted or dropped), 0.5 when no request followed.
 * A_t — how many earlier identical tool calls (same name and arguments) got a failing result.
 *
 * Success comes from the trajectory's `labels.success` (importers set it from e.g. a resolved flag);
 * sessions without one are scored but left out of fits.
 */
import type { LlmStep, Trajectory } from '../trajectory/index.js';
import { efficiencyOf, KAPPA, RETRY_DISCOUNT } from './score.js';
import { normalizeText, similarity, type NormalizedText } from './similarity.js';
import type { FitPoint } from './fit.js';
import type { AxisScores, EpisodeScore, EventScore } from './types.js';

interface Msg {
  role?: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
}

const text = (c: unknown): string => {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p: any) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : '')).join('\n');
  return c == null ? '' : JSON.stringify(c);
};

const FAIL = /\b(error|failed|failure|fail|traceback|exception|assert(ion)?error|segmentation fault|undefined reference|not found|exit (code|status) [1-9])\b/i;
const NOISE = /(±|\+\/-|\bCI\b|\bcv\b|stddev|std dev|\bσ\b)/i;

/** The kind of harness output, read from its text. */
export function sessionEventKind(t: string): string {
  if (/\b(\d+ (passed|failed)|tests? (passed|failed)|PASS|FAIL|ok \d+|not ok)\b/.test(t)) return 'check_result';
  if (/\b(error|warning):|\bcc1?:|\bgcc\b|\bclang\b|\bmake(\[\d+\])?:|\btsc\b/.test(t)) return 'build_output';
  if (/\d+(\.\d+)?\s*(ms|s|us|µs|ns|tok\/s|ops\/s|MB\/s|GB\/s|%)\b/.test(t)) return 'measurement';
  return 'tool_result';
}

function informativeness(t: string): { score: number; why: string } {
  const s = t.trim();
  if (!s) return { score: 0, why: 'empty output' };
  if (/\d/.test(s) && NOISE.test(s)) return { score: 1, why: 'measured value with its noise' };
  if (FAIL.test(s) && (s.includes('\n') || s.length > 40)) return { score: 0.7, why: 'failure with diagnostic output' };
  if (/\d/.test(s) && s.length > 12) return { score: 0.7, why: 'numbers without noise' };
  return { score: 0.4, why: s.length < 40 ? 'short acknowledgement or verdict' : 'output without numbers or diagnostics' };
}

function validity(t: string): { score: number; why: string } {
  if (/\btruncated\b|\[\.\.\.\]|…\[\d+ chars? cut\]|output too long/i.test(t)) return { score: 0.7, why: 'tool output truncated' };
  return { score: 0.9, why: 'as reported (a session cannot be re-checked)' };
}

export interface SessionScoreOptions {
  /** Name for the score (default: the trajectory id). */
  id?: string;
}

/** Score one agent of a trajectory kept with content (default: every agent, events in call order). */
export function scoreSession(t: Trajectory, o: SessionScoreOptions = {}): EpisodeScore {
  const events: EventScore[] = [];
  const earlier: NormalizedText[] = [];
  let tokens = 0;
  let wallMs = 0;
  let toolCalls = 0;
  for (const a of t.agents) {
    const llm = a.steps.filter((s): s is LlmStep => s.type === 'llm');
    for (const s of a.steps) {
      if (s.type === 'tool') (toolCalls++, (wallMs += s.duration_ms));
      if (s.type === 'think') wallMs += s.duration_ms;
    }
    const seenIds = new Set<string>();
    const failedCalls = new Map<string, number>();
    const callKey = new Map<string, string>();
    llm.forEach((step, i) => {
      tokens += step.input_tokens + step.output_tokens;
      wallMs += step.duration_ms ?? 0;
      const msgs = (Array.isArray(step.content?.messages) ? step.content!.messages : []) as Msg[];
      for (const m of msgs) for (const c of m.tool_calls ?? []) if (c.id) callKey.set(c.id, `${c.function?.name ?? ''}(${c.function?.arguments ?? ''})`);
      const resp = step.content?.response as Msg | undefined;
      for (const c of resp?.tool_calls ?? []) if (c.id) callKey.set(c.id, `${c.function?.name ?? ''}(${c.function?.arguments ?? ''})`);
      const next = llm[i + 1];
      const nextText = next && Array.isArray(next.content?.messages) ? (next.content!.messages as Msg[]).map((m) => text(m.content)).join('\u0000') : null;
      let seq = 0;
      msgs.forEach((m, k) => {
        if (m.role !== 'tool') return;
        const id = m.tool_call_id ?? `${i}:${k}`;
        if (seenIds.has(id)) return;
        seenIds.add(id);
        const body = text(m.content);
        const I = informativeness(body);
        const V = validity(body);
        const norm = normalizeText(body);
        const maxSim = earlier.reduce((mx, e) => Math.max(mx, similarity(norm, e)), 0);
        const N = { score: 1 - maxSim, why: earlier.length ? `max similarity ${maxSim.toFixed(2)} to an earlier event` : 'first event' };
        const M =
          i === llm.length - 1 || nextText === null
            ? { score: 0.5, why: 'no later request shows whether it was kept' }
            : nextText.includes(body)
              ? { score: 1, why: 'still in the next request' }
              : { score: 0, why: 'dropped from the next request' };
        const key = callKey.get(id) ?? id;
        const retryIndex = failedCalls.get(key) ?? 0;
        if (FAIL.test(body)) failedCalls.set(key, retryIndex + 1);
        const efc = (KAPPA * I.score * V.score * N.score * M.score) / (1 + RETRY_DISCOUNT * retryIndex);
        events.push({
          iteration: i, seq: seq++, kind: sessionEventKind(body),
          informativeness: I.score, validity: V.score, nonRedundancy: N.score, retention: M.score,
          retryIndex, efc, why: { informativeness: I.why, validity: V.why, nonRedundancy: N.why, retention: M.why },
        });
        earlier.push(norm);
      });
    });
  }
  const mean = (k: keyof AxisScores) => (events.length ? events.reduce((x, e) => x + e[k], 0) / events.length : 0);
  const efc = events.reduce((x, e) => x + e.efc, 0);
  const raw = { tokens, toolCalls: toolCalls || events.length, wallSec: wallMs / 1000 };
  return {
    runId: o.id ?? t.id,
    task: String(t.labels?.task ?? t.id),
    agent: String(t.source.kind),
    feedbackMode: 'session',
    success: typeof t.labels?.success === 'boolean' ? t.labels.success : null,
    efc,
    axisMeans: { informativeness: mean('informativeness'), validity: mean('validity'), nonRedundancy: mean('nonRedundancy'), retention: mean('retention') },
    rawCompute: raw,
    efficiency: efficiencyOf(efc, raw),
    events,
  };
}

/** Whether a trajectory carries what session scoring needs (request messages on its llm steps). */
export function hasSessionContent(t: Trajectory): boolean {
  return t.agents.some((a) => a.steps.some((s) => s.type === 'llm' && Array.isArray(s.content?.messages)));
}

/**
 * Fit points from scored sessions. Task demand is not calibrated for sessions (their tasks are not
 * agentdyno tasks with declared knobs and anchors), so each gets demand 1 and EFC/demand = EFC;
 * the caller says so. Sessions without a success label are left out, with why.
 */
export function sessionFitPoints(scores: readonly EpisodeScore[]): { points: FitPoint[]; skipped: { runId: string; why: string }[] } {
  const points: FitPoint[] = [];
  const skipped: { runId: string; why: string }[] = [];
  for (const s of scores) {
    if (s.success === null) {
      skipped.push({ runId: s.runId, why: 'session has no labels.success (the source gave no outcome)' });
      continue;
    }
    points.push({ runId: s.runId, task: s.task, success: s.success, efc: s.efc, demand: 1, tokens: s.rawCompute.tokens, toolCalls: s.rawCompute.toolCalls, wallSec: s.rawCompute.wallSec });
  }
  return { points, skipped };
}
