/**
 * Harbor's Agent Trajectory Interchange Format (ATIF, `laude-institute/harbor:docs/rfcs/
 * 0001-trajectory-format.md`, v1.0-v1.5): `{schema_version: "ATIF-v1.x", session_id, agent{name,
 * version, model_name}, steps[], notes, final_metrics, extra}`; a step has `step_id`, `timestamp`,
 * `source` (system | user | agent), `model_name`, `message`, `tool_calls[{tool_call_id,
 * function_name, arguments}]`, `observation{results[{source_call_id, content,
 * subagent_trajectory_ref[{session_id, trajectory_path}]}]}` and `metrics{prompt_tokens (cached
 * included), completion_tokens, cached_tokens}`. Each agent step is one model call; sub-agents are
 * the referenced trajectory files (imported when present, else left out with a warning). ATIF step
 * timestamps do not separate model time from tool time, so tool waits are the documented default.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { TRAJECTORY_FORMAT, type AgentTrace, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, estimateChatTokens, estimateTokens, int, isoMs, knownKeys, obj, readJsonDoc, str, type CallRecord } from './common.js';
import type { ImportContext, Importer } from './types.js';

const ROOT = ['schema_version', 'session_id', 'agent', 'steps', 'notes', 'final_metrics', 'extra'];
const STEP = ['step_id', 'timestamp', 'source', 'model_name', 'reasoning_effort', 'message', 'reasoning_content', 'tool_calls', 'observation', 'metrics', 'extra'];
const KNOWN_VERSIONS = /^ATIF-v1\.[0-5]$/;

interface Parsed {
  sessionId: string;
  model?: string;
  startMs?: number;
  calls: (CallRecord & { subs: string[] })[];
  sysTokens: number;
  measuredCalls: number;
  totals?: { prompt?: number };
}

function parse(ctx: ImportContext, file: string, text: string): Parsed {
  const doc = obj(readJsonDoc(file, text), 1, '$');
  if (doc.schema_version === undefined || !Array.isArray(doc.steps)) throw new EntryError(1, doc.schema_version === undefined ? '$.schema_version' : '$.steps', 'missing: this is not a Harbor ATIF trajectory');
  if (!KNOWN_VERSIONS.test(String(doc.schema_version))) throw new EntryError(1, '$.schema_version', `${JSON.stringify(doc.schema_version)} is not a version this importer knows (ATIF-v1.0 to v1.5)`);
  knownKeys(doc, ROOT, 1, '$', 'ATIF');
  const agent = obj(doc.agent, 1, '$.agent');
  const out: Parsed = { sessionId: str(doc.session_id, 1, '$.session_id'), model: typeof agent.model_name === 'string' ? agent.model_name : undefined, calls: [], sysTokens: 0, measuredCalls: 0 };
  const seen: { role: string; content: string }[] = [];
  arr(doc.steps, 1, '$.steps').forEach((s0, i) => {
    const p = `$.steps[${i}]`;
    const s = obj(s0, 1, p);
    knownKeys(s, STEP, 1, p, 'ATIF');
    const message = typeof s.message === 'string' ? s.message : '';
    const ts = s.timestamp === undefined ? undefined : isoMs(s.timestamp, 1, `${p}.timestamp`);
    out.startMs ??= ts;
    if (s.source === 'system' || s.source === 'user') {
      if (s.source === 'system') out.sysTokens += estimateChatTokens([{ role: 'system', content: message }]);
      seen.push({ role: s.source, content: message });
      return;
    }
    if (s.source !== 'agent') throw new EntryError(1, `${p}.source`, `expected "system", "user" or "agent", got ${JSON.stringify(s.source)}`);
    const m = s.metrics === undefined ? undefined : obj(s.metrics, 1, `${p}.metrics`);
    const call: CallRecord & { subs: string[] } = { inputTokens: 0, outputTokens: 0, tools: [], subs: [], ...(ts !== undefined && out.startMs !== undefined ? { offsetMs: ts - out.startMs } : {}) };
    if (m?.prompt_tokens !== undefined && m.completion_tokens !== undefined) {
      out.measuredCalls++;
      call.inputTokens = int(m.prompt_tokens, 1, `${p}.metrics.prompt_tokens`);
      call.outputTokens = int(m.completion_tokens, 1, `${p}.metrics.completion_tokens`);
      if (m.cached_tokens !== undefined) call.cachedTokens = int(m.cached_tokens, 1, `${p}.metrics.cached_tokens`);
    } else {
      // No metrics: the prompt is everything recorded before this step, tokenized here (labelled).
      call.inputTokens = estimateChatTokens(seen);
      call.outputTokens = Math.max(1, estimateTokens(`${message}\n${typeof s.reasoning_content === 'string' ? s.reasoning_content : ''}\n${JSON.stringify(s.tool_calls ?? [])}`));
      call.estimated = ['input_tokens', 'output_tokens'];
    }
    const toolCalls = s.tool_calls === undefined ? [] : arr(s.tool_calls, 1, `${p}.tool_calls`);
    const results = s.observation === undefined ? [] : arr(obj(s.observation, 1, `${p}.observation`).results, 1, `${p}.observation.results`);
    toolCalls.forEach((t0, k) => {
      const t = obj(t0, 1, `${p}.tool_calls[${k}]`);
      const id = t.tool_call_id;
      const res = results.find((r) => (r as { source_call_id?: unknown })?.source_call_id === id) as Record<string, unknown> | undefined;
      const refs = Array.isArray(res?.subagent_trajectory_ref) ? (res!.subagent_trajectory_ref as Record<string, unknown>[]) : [];
      if (refs.length) {
        for (const r of refs) call.subs.push(typeof r.trajectory_path === 'string' ? r.trajectory_path : `#${String(r.session_id)}`);
        return;
      }
      call.tools!.push({ name: str(t.function_name, 1, `${p}.tool_calls[${k}].function_name`), resultTokens: typeof res?.content === 'string' ? estimateTokens(res.content) : undefined });
    });
    seen.push({ role: 'assistant', content: message });
    for (const r of results) if (typeof (r as { content?: unknown }).content === 'string') seen.push({ role: 'tool', content: (r as { content: string }).content });
    out.calls.push(call);
  });
  const fm = doc.final_metrics === undefined ? undefined : obj(doc.final_metrics, 1, '$.final_metrics');
  if (fm?.total_prompt_tokens !== undefined) out.totals = { prompt: int(fm.total_prompt_tokens, 1, '$.final_metrics.total_prompt_tokens') };
  if (!out.calls.length) throw new EntryError(1, '$.steps', 'no agent steps: nothing to import');
  return out;
}

export const harborImporter: Importer = {
  format: 'harbor',
  description: 'Harbor ATIF trajectory JSON (ATIF-v1.x: steps with metrics, tool calls, sub-agent trajectory refs)',
  entry: 'file',
  import(ctx) {
    const agents: AgentTrace[] = [];
    let defaulted = false;
    let subCount = 0;
    const visit = (file: string, text: string, id: string, parent: string | null, depth: number): Parsed => {
      const p = parse(ctx, file, text);
      if (p.totals?.prompt !== undefined && p.measuredCalls === p.calls.length) {
        const sum = p.calls.reduce((s, c) => s + c.inputTokens, 0);
        if (sum !== p.totals.prompt) ctx.leftOut.push({ what: `${basename(file)}: final_metrics check`, why: `total_prompt_tokens ${p.totals.prompt} differs from the steps' sum ${sum}; the steps' own counts are kept` });
      }
      const kids: { file: string; text: string; id: string }[] = [];
      for (const c of p.calls) {
        const ids: string[] = [];
        for (const ref of c.subs) {
          const path = ref.startsWith('#') ? undefined : isAbsolute(ref) ? ref : join(dirname(file), ref);
          const sub = path !== undefined && depth < 8 ? ctx.readFile(path) : undefined;
          if (sub === undefined) {
            ctx.leftOut.push({ what: `sub-agent ${ref} (${basename(file)})`, why: path ? `its trajectory file ${path} is missing; replayed as a tool wait of the default length` : 'the reference names no trajectory_path' });
            c.tools!.push({ name: 'subagent' });
            continue;
          }
          const sid = `sub-${++subCount}`;
          ids.push(sid);
          kids.push({ file: path!, text: sub, id: sid });
        }
        if (ids.length) c.spawn = { agents: ids, join: 'all' };
        if (c.tools!.length) defaulted = true;
      }
      const built = buildAgent(id, parent, p.sysTokens, p.calls).agent;
      if (parent !== null && p.model) built.model = p.model;
      agents.push(built);
      for (const k of kids) visit(k.file, k.text, k.id, id, depth + 1);
      return p;
    };
    const root = visit(ctx.file, ctx.text, 'main', null, 0);
    if (defaulted) ctx.leftOut.push({ what: 'tool durations', why: 'ATIF step timestamps do not separate model time from tool time: tool waits are the documented default' });
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: root.sessionId,
      source: { kind: 'harbor', url: 'https://github.com/laude-institute/harbor/blob/main/docs/rfcs/0001-trajectory-format.md', estimated: ['system_prompt_tokens', ...(agents.some((a) => a.steps.some((s) => s.type === 'llm' && s.estimated)) ? ['tokens'] : []), ...(defaulted ? ['timings'] : [])] },
      ...(root.model ? { model: root.model } : {}),
      agents,
    };
    if (root.startMs !== undefined) ctx.setStartMs?.(t, root.startMs);
    return [t];
  },
};
