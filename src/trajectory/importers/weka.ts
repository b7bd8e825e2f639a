/**
 * Weka / SemiAnalysis cc-traces (`callanjfox/agentic-coding-analysis:docs/TRACE_FORMAT.md`, written
 * by its `build_minimal_traces.py`): one JSON document per conversation; `requests[]` of model calls
 * (`t` s from the conversation start, `in`, `out`, `hash_ids` of `block_size` tokens, `api_time` /
 * `ttft` s, `think_time` = client time since the previous response) and nested `type: "subagent"`
 * entries. A sub-agent entry's `t` is when its result came back (the parent's tool_result time), its
 * own `requests[].t` count from its first request, `duration_ms` is its wall time, `models` what it
 * ran on. Sub-agents right after the same parent request ran in parallel (one spawn, joined).
 * `_start_ts` (ISO, the first request's wall time) is kept as the trajectory's arrival.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type AgentTrace, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, int, isoMs, knownKeys, num, obj, optNum, readJsonDoc, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const TOP = ['id', 'models', 'block_size', 'hash_id_scope', 'tool_tokens', 'system_tokens', 'requests', '_start_ts', '_analysis', 'totals'];
const REQ = ['t', 'type', 'model', 'in', 'out', 'hash_ids', 'input_types', 'output_types', 'stop', 'api_time', 'ttft', 'think_time'];
const SUB = ['t', 'type', 'agent_id', 'subagent_type', 'duration_ms', 'total_tokens', 'tool_use_count', 'status', 'models', 'tool_tokens', 'system_tokens', 'block_size', 'requests'];

interface Group {
  /** Index of the parent call the sub-agents follow. */
  after: number;
  ids: string[];
  /** Latest result time of the group, s from the parent's start. */
  endS: number;
}

export const wekaImporter: Importer = {
  format: 'weka',
  description: 'Weka / SemiAnalysis cc-traces JSON (hash_ids, api/think time, parallel sub-agents)',
  entry: 'file',
  noContentReason: 'Weka cc-traces record token counts, hash ids and timings, never message text',
  import(ctx) {
    const doc = obj(readJsonDoc(ctx.file, ctx.text), 1, '$');
    if (!Array.isArray(doc.requests)) throw new EntryError(1, '$.requests', 'missing: this is not a cc-traces (weka) file');
    knownKeys(doc, TOP, 1, '$', 'cc-traces');
    const blockSize = int(doc.block_size ?? 64, 1, '$.block_size');
    const shared = int(doc.system_tokens ?? 0, 1, '$.system_tokens') + int(doc.tool_tokens ?? 0, 1, '$.tool_tokens');
    const agents: AgentTrace[] = [];
    let estimatedSystem = false;
    let taken = 0;
    const firstModel = (models: unknown): string | undefined => (Array.isArray(models) && typeof models[0] === 'string' ? models[0] : undefined);

    /** One agent's requests; `originS` = its first request's time on the root's clock (for offset_ms). */
    const walk = (requests: unknown[], path: string, id: string, parent: string | null, systemTokens: number, originS: number, models: unknown): void => {
      const calls: (CallRecord & { tS: number })[] = [];
      const groups: Group[] = [];
      const subs: { r: Record<string, unknown>; p: string; sid: string }[] = [];
      let model = firstModel(models);
      requests.forEach((r0, i) => {
        const p = `${path}[${i}]`;
        const r = obj(r0, 1, p);
        if (r.type === 'subagent') {
          knownKeys(r, SUB, 1, p, 'cc-traces');
          if (!calls.length) throw new EntryError(1, p, 'a sub-agent before any request of its parent');
          const sid = `sub-${String(r.agent_id ?? ++taken)}`;
          const endS = num(r.t, 1, `${p}.t`);
          const g = groups[groups.length - 1];
          if (g && g.after === calls.length - 1) {
            g.ids.push(sid);
            g.endS = Math.max(g.endS, endS);
          } else groups.push({ after: calls.length - 1, ids: [sid], endS });
          subs.push({ r, p, sid });
          return;
        }
        if (r.type !== 's' && r.type !== 'n') throw new EntryError(1, `${p}.type`, `expected "s", "n" or "subagent", got ${JSON.stringify(r.type)}`);
        knownKeys(r, REQ, 1, p, 'cc-traces');
        if (typeof r.model === 'string') model ??= r.model;
        const tS = num(r.t, 1, `${p}.t`);
        const prev = calls[calls.length - 1];
        const g = groups[groups.length - 1];
        const think = optNum(r.think_time, 1, `${p}.think_time`);
        if (prev) {
          // Client time before this call: tool time after a tool_use stop, else think time. After
          // sub-agents, only the time since the last one's result (the spawn step waits for them).
          const afterSubs = g && g.after === calls.length - 1;
          const gapMs = afterSubs ? Math.max(0, (tS - g.endS) * 1000) : think !== undefined ? think * 1000 : undefined;
          if (gapMs !== undefined) {
            if (prev.tools?.length) prev.tools[0].durationMs = gapMs;
            else prev.thinkAfterMs = gapMs;
          }
        }
        const api = optNum(r.api_time, 1, `${p}.api_time`);
        const ttft = optNum(r.ttft, 1, `${p}.ttft`);
        calls.push({
          tS,
          inputTokens: int(r.in, 1, `${p}.in`),
          outputTokens: int(r.out, 1, `${p}.out`),
          hashIds: r.hash_ids === undefined ? undefined : arr(r.hash_ids, 1, `${p}.hash_ids`).map((h, k) => int(h, 1, `${p}.hash_ids[${k}]`)),
          blockSize,
          durationMs: api !== undefined ? api * 1000 : undefined,
          ttftMs: ttft !== undefined ? ttft * 1000 : undefined,
          offsetMs: (originS + tS) * 1000,
          tools: r.stop === 'tool_use' ? [{ name: 'tool_use' }] : undefined,
        });
      });
      if (!calls.length) throw new EntryError(1, path, 'an agent with no requests');
      for (const g of groups) {
        const c = calls[g.after];
        c.spawn = { agents: g.ids, join: 'all' };
        // The sub-agents' tool_use is the spawn; a tool step remains only for the time after their results.
        if (c.tools?.length && calls[g.after + 1] === undefined) c.tools = undefined;
      }
      // A trailing tool_use with no next request has no recorded time: leave it out.
      const last = calls[calls.length - 1];
      if (last.tools && last.tools[0].durationMs === undefined) {
        last.tools = undefined;
        ctx.leftOut.push({ what: `${id}: the last call's tool_use`, why: 'no later request, so its time is not recorded' });
      }
      for (const c of calls) if (c.tools && c.tools[0].durationMs === undefined) c.tools[0].durationMs = 0;
      const built = buildAgent(id, parent, systemTokens, calls).agent;
      if (model && parent !== null) built.model = model;
      agents.push(built);
      for (const { r, p, sid } of subs) {
        let subSys = systemTokens;
        if (r.system_tokens !== undefined) subSys = int(r.system_tokens, 1, `${p}.system_tokens`) + int(r.tool_tokens ?? 0, 1, `${p}.tool_tokens`);
        else estimatedSystem = true; // older traces: assume the parent's shared prefix (capped at the first prompt)
        const startS = num(r.t, 1, `${p}.t`) - (optNum(r.duration_ms, 1, `${p}.duration_ms`) ?? 0) / 1000;
        walk(arr(r.requests, 1, `${p}.requests`), `${p}.requests`, sid, id, subSys, originS + Math.max(0, startS), r.models);
      }
    };
    walk(doc.requests, '$.requests', 'main', null, shared, 0, doc.models);
    // Children were pushed after their parents: the root is first already.
    const rootModel = firstModel(doc.models) ?? (doc.requests.find((r) => typeof (r as { model?: unknown })?.model === 'string') as { model?: string } | undefined)?.model;
    if (doc._analysis !== undefined || doc.totals !== undefined) ctx.leftOut.push({ what: '_analysis, totals', why: 'build metadata and sums, not replayed' });
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: String(doc.id ?? basename(ctx.file)),
      source: { kind: 'weka', license: 'MIT (format)', url: 'https://github.com/callanjfox/agentic-coding-analysis/blob/main/docs/TRACE_FORMAT.md', ...(estimatedSystem ? { estimated: ['system_prompt_tokens'] } : {}) },
      ...(rootModel ? { model: rootModel } : {}),
      agents,
    };
    if (doc._start_ts !== undefined) ctx.setStartMs?.(t, isoMs(doc._start_ts, 1, '$._start_ts'));
    return [t];
  },
};
