/**
 * Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl`): lines
 * `{timestamp, type, payload}` (since 0.17x also `ordinal` and `metadata`). One event closes each
 * model call with that call's usage, where `input_tokens` INCLUDES `cached_input_tokens`:
 * - `token_usage_record` (0.17x): written as the response completes, with its `response_id` and
 *   `usage`; when a rollout has these, they alone close calls (its `token_count` comes only after the
 *   call's tool outputs, so timing a call by it would measure the tools, not the model);
 * - else a new `event_msg` `token_count` (`info.last_token_usage`; repeats with the same totals are
 *   deduplicated).
 * `function_call` items are the call's tools; the matching `function_call_output` timestamp ends the tool.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { buildAgent, EntryError, int, isoMs, knownKeys, obj, parallelToSequence, readJsonl, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const LINE_KEYS = ['timestamp', 'type', 'payload', 'ordinal', 'metadata'];
const LINE_TYPES = ['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted', 'world_state', 'token_usage_record'];

export const codexImporter: Importer = {
  format: 'codex',
  description: 'Codex CLI rollout JSONL (token_count events, function calls)',
  entry: 'file',
  noContentReason: 'not converted yet: the codex importer reads token_count usage and tool timings, not the rollout items as request messages; token counts are kept',
  import(ctx) {
    const recs = readJsonl(ctx.file, ctx.text, ctx.problems);
    const bad = ctx.problems.find((p) => p.file === ctx.file);
    if (bad) throw new EntryError(bad.line, bad.field, `${bad.message}; a partial rollout is not imported`);
    const calls: CallRecord[] = [];
    const pendingTools: { name: string; callId: string }[] = [];
    const toolAt = new Map<string, { call: CallRecord; idx: number }>();
    let lastTotal = '';
    let lastInputTs: number | undefined;
    let id: string | undefined;
    let model: string | undefined;
    const byRecord = recs.some((r) => r.value.type === 'token_usage_record');
    const seenResponses = new Set<string>();
    const closeCall = (u: Record<string, unknown>, line: number, at: string, ts: number): void => {
      const call: CallRecord = {
        inputTokens: int(u.input_tokens, line, `${at}.input_tokens`),
        cachedTokens: int(u.cached_input_tokens ?? 0, line, `${at}.cached_input_tokens`),
        outputTokens: int(u.output_tokens, line, `${at}.output_tokens`),
        startMs: lastInputTs,
        endMs: ts,
        durationMs: lastInputTs !== undefined ? Math.max(0, ts - lastInputTs) : undefined,
        tools: [],
      };
      for (const t of pendingTools.splice(0)) {
        call.tools!.push({ name: t.name });
        toolAt.set(t.callId, { call, idx: call.tools!.length - 1 });
      }
      calls.push(call);
    };
    for (const { line, value: v } of recs) {
      knownKeys(v, LINE_KEYS, line, '$', 'Codex CLI');
      if (!LINE_TYPES.includes(String(v.type))) throw new EntryError(line, '$.type', `unknown line type ${JSON.stringify(v.type)} (known: ${LINE_TYPES.join(', ')}); the rollout may come from a newer Codex CLI`);
      const ts = isoMs(v.timestamp, line, '$.timestamp');
      const p = obj(v.payload, line, '$.payload');
      if (v.type === 'session_meta') id ??= typeof p.id === 'string' ? p.id : undefined;
      else if (v.type === 'turn_context') model ??= typeof p.model === 'string' ? p.model : undefined;
      else if (v.type === 'response_item') {
        if (p.type === 'function_call' || p.type === 'custom_tool_call' || p.type === 'local_shell_call') {
          pendingTools.push({ name: typeof p.name === 'string' ? p.name : String(p.type), callId: String(p.call_id ?? '') });
        } else if (p.type === 'function_call_output' || p.type === 'custom_tool_call_output') {
          const at = toolAt.get(String(p.call_id ?? ''));
          if (at?.call.endMs !== undefined) at.call.tools![at.idx].durationMs = Math.max(0, ts - at.call.endMs);
          lastInputTs = ts;
        } else if (p.type === 'message' && p.role === 'user') lastInputTs = ts;
      } else if (v.type === 'token_usage_record') {
        const rid = String(p.response_id ?? '');
        if (rid && seenResponses.has(rid)) continue;
        seenResponses.add(rid);
        closeCall(obj(p.usage, line, '$.payload.usage'), line, '$.payload.usage', ts);
      } else if (v.type === 'event_msg') {
        if (p.type === 'task_started' || p.type === 'user_message') lastInputTs = ts;
        if (byRecord || p.type !== 'token_count' || p.info === null || p.info === undefined) continue;
        const info = obj(p.info, line, '$.payload.info');
        const key = JSON.stringify(info.total_token_usage ?? null);
        if (key === lastTotal) continue; // repeated token_count
        lastTotal = key;
        closeCall(obj(info.last_token_usage, line, '$.payload.info.last_token_usage'), line, '$.payload.info.last_token_usage', ts);
      }
    }
    if (!calls.length) throw new EntryError(0, '$', 'no token_count or token_usage_record events with usage: not a Codex rollout, or a session with no model call');
    // Parallel function calls of one response: their outputs overlap, each timed from the call's end.
    for (const c of calls) if ((c.tools?.length ?? 0) > 1) c.tools = parallelToSequence(c.tools!);
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: id ?? basename(ctx.file).replace(/\.jsonl$/, ''),
      source: { kind: 'codex' },
      ...(model ? { model } : {}),
      agents: [buildAgent('main', null, 0, calls).agent],
    };
    return [t];
  },
};
