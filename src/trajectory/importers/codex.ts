/**
 * Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl`): lines
 * `{timestamp, type, payload}`. Each new `event_msg` `token_count` closes one model call; its
 * `info.last_token_usage` is that call's usage, where `input_tokens` INCLUDES `cached_input_tokens`.
 * `token_count` events repeat (same totals): deduplicated. `function_call` items are the call's
 * tools; the matching `function_call_output` timestamp ends the tool.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { buildAgent, EntryError, int, isoMs, knownKeys, obj, parallelToSequence, readJsonl, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const LINE_KEYS = ['timestamp', 'type', 'payload'];
const LINE_TYPES = ['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted'];

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
      } else if (v.type === 'event_msg') {
        if (p.type === 'task_started' || p.type === 'user_message') lastInputTs = ts;
        if (p.type !== 'token_count' || p.info === null || p.info === undefined) continue;
        const info = obj(p.info, line, '$.payload.info');
        const key = JSON.stringify(info.total_token_usage ?? null);
        if (key === lastTotal) continue; // repeated token_count
        lastTotal = key;
        const u = obj(info.last_token_usage, line, '$.payload.info.last_token_usage');
        const call: CallRecord = {
          inputTokens: int(u.input_tokens, line, '$.payload.info.last_token_usage.input_tokens'),
          cachedTokens: int(u.cached_input_tokens ?? 0, line, '$.payload.info.last_token_usage.cached_input_tokens'),
          outputTokens: int(u.output_tokens, line, '$.payload.info.last_token_usage.output_tokens'),
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
      }
    }
    if (!calls.length) throw new EntryError(0, '$', 'no token_count events with usage: not a Codex rollout, or a session with no model call');
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
