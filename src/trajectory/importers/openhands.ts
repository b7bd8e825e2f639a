/**
 * OpenHands event streams: a JSON array of events (`--save-trajectory-path`), or an evaluation
 * output object/line with `history`. Agent actions carry `tool_call_metadata.model_response`
 * (`id`, `usage`); several actions of one response share its id (deduplicated). An observation's
 * `cause` names the action it answers; its `timestamp` ends that tool. A call without `usage` is
 * tokenized from the events before it (labelled estimated); one with neither usage nor any recorded
 * text before it is unmeasured: left out and listed, never given an invented near-zero prompt.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { buildAgent, EntryError, estimateChatTokens, estimateTokens, int, isoMs, messageText, obj, parallelToSequence, readJsonDoc, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const NOT_CALLS = ['system', 'recall', 'change_agent_state', 'condensation', 'null'];

export const openhandsImporter: Importer = {
  format: 'openhands',
  description: 'OpenHands event stream JSON (trajectory or eval output with history)',
  entry: 'file',
  import(ctx) {
    const doc = readJsonDoc(ctx.file, ctx.text);
    const events = Array.isArray(doc) ? doc : Array.isArray((doc as { history?: unknown })?.history) ? ((doc as { history: unknown[] }).history) : undefined;
    if (!events) throw new EntryError(1, '$', 'expected a JSON array of OpenHands events or an object with "history": this is not an OpenHands trajectory');
    const base = Array.isArray(doc) ? '$' : '$.history';
    const calls: CallRecord[] = [];
    const byResponse = new Map<string, CallRecord>();
    const byAction = new Map<number, { call: CallRecord; idx: number }>();
    let lastInputTs: number | undefined;
    let estimated = false;
    let model: string | undefined;
    let unmeasured = 0;
    const skippedActions = new Set<number>();
    // What the agent had seen so far, as chat messages: the basis of estimates for calls without usage.
    const transcript: { role: string; content: string }[] = [];
    const text = (e: Record<string, unknown>) => messageText(e.args ?? '') || (typeof e.message === 'string' ? e.message : '');
    events.forEach((e0, i) => {
      const p = `${base}[${i}]`;
      const e = obj(e0, 1, p);
      if (e.action === undefined && e.observation === undefined && e.source === undefined) throw new EntryError(1, p, 'neither "action" nor "observation": not an OpenHands event');
      const ts = e.timestamp === undefined ? undefined : isoMs(typeof e.timestamp === 'string' && !/[zZ]|[+-]\d\d:?\d\d$/.test(e.timestamp) ? e.timestamp + 'Z' : e.timestamp, 1, `${p}.timestamp`);
      if (e.observation !== undefined) {
        if (typeof e.content === 'string' && e.content) transcript.push({ role: 'tool', content: e.content });
        if (typeof e.cause === 'number' && skippedActions.has(e.cause)) return;
        const at = typeof e.cause === 'number' ? byAction.get(e.cause) : undefined;
        if (at && ts !== undefined && at.call.endMs !== undefined) {
          const t = at.call.tools![at.idx];
          t.durationMs = Math.max(0, ts - at.call.endMs);
          t.resultTokens = estimateTokens(typeof e.content === 'string' ? e.content : '');
        }
        if (ts !== undefined) lastInputTs = ts;
        return;
      }
      if (e.source === 'user') {
        const t = text(e);
        if (t) transcript.push({ role: 'user', content: t });
        if (ts !== undefined) lastInputTs = ts;
        return;
      }
      if (e.action === 'system') {
        const t = text(e);
        if (t) transcript.push({ role: 'system', content: t });
        return;
      }
      // Harness events, not model calls.
      if (e.source !== 'agent' || e.action === undefined || NOT_CALLS.includes(String(e.action))) return;
      const meta = e.tool_call_metadata as { model_response?: Record<string, unknown>; function_name?: string } | undefined;
      const resp = meta?.model_response;
      const rid = typeof resp?.id === 'string' ? resp.id : `event-${String(e.id ?? i)}`;
      let call = byResponse.get(rid);
      if (!call) {
        const usage = resp?.usage as Record<string, unknown> | undefined;
        model ??= typeof resp?.model === 'string' ? resp.model : undefined;
        let input = 0, output = 0, cached: number | undefined;
        let est: string[] | undefined;
        if (usage) {
          input = int(usage.prompt_tokens, 1, `${p}.tool_call_metadata.model_response.usage.prompt_tokens`);
          output = int(usage.completion_tokens, 1, `${p}.tool_call_metadata.model_response.usage.completion_tokens`);
          const d = usage.prompt_tokens_details as { cached_tokens?: number } | undefined;
          if (typeof d?.cached_tokens === 'number') cached = d.cached_tokens;
          else if (typeof usage.cache_read_input_tokens === 'number') cached = usage.cache_read_input_tokens;
        } else if (transcript.length) {
          estimated = true;
          est = ['input_tokens', 'output_tokens'];
          input = estimateChatTokens(transcript);
          output = Math.max(1, estimateTokens(text(e)));
        } else {
          // Nothing recorded to measure or estimate this call from.
          unmeasured++;
          if (typeof e.id === 'number') skippedActions.add(e.id);
          return;
        }
        call = { inputTokens: input, outputTokens: output, cachedTokens: cached, startMs: lastInputTs, endMs: ts, tools: [], ...(est ? { estimated: est } : {}) };
        if (call.startMs !== undefined && ts !== undefined) call.durationMs = Math.max(0, ts - call.startMs);
        byResponse.set(rid, call);
        calls.push(call);
      }
      transcript.push({ role: 'assistant', content: text(e) });
      if (e.action !== 'message' && e.action !== 'finish' && e.action !== 'system') {
        call.tools!.push({ name: meta?.function_name ?? String(e.action) });
        if (typeof e.id === 'number') byAction.set(e.id, { call, idx: call.tools!.length - 1 });
      }
    });
    // Several actions of one response run together: each observation timed from the call's end.
    for (const c of calls) if ((c.tools?.length ?? 0) > 1) c.tools = parallelToSequence(c.tools!);
    if (unmeasured) ctx.leftOut.push({ what: `${unmeasured} unmeasured call${unmeasured === 1 ? '' : 's'}`, why: 'no usage and no recorded text before them to estimate from' });
    if (!calls.length) throw new EntryError(1, base, unmeasured ? `${unmeasured} agent action(s) but none measurable (no usage, no recorded text): nothing to import` : 'no agent actions: nothing to import');
    const built = buildAgent('main', null, 0, calls);
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: String((doc as { instance_id?: string }).instance_id ?? basename(ctx.file).replace(/\.json$/, '')),
      source: { kind: 'openhands', estimated: [...(estimated ? ['tokens'] : []), ...(built.defaultedTimings ? ['timings'] : [])] },
      ...(model ? { model } : {}),
      agents: [built.agent],
    };
    if (!t.source.estimated!.length) delete t.source.estimated;
    return [t];
  },
};
