/**
 * Weka / SemiAnalysis cc-traces (`callanjfox/agentic-coding-analysis:docs/TRACE_FORMAT.md`): one JSON
 * document per conversation; `requests[]` of model calls (`in`, `out`, `hash_ids` of `block_size`
 * tokens, `api_time`/`ttft` seconds, `think_time` = client time before the call) and nested
 * `type: "subagent"` entries with their own `requests`.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type AgentTrace, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, int, knownKeys, obj, optNum, readJsonDoc, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const TOP = ['id', 'models', 'block_size', 'hash_id_scope', 'tool_tokens', 'system_tokens', 'requests', '_analysis', 'totals'];
const REQ = ['t', 'type', 'model', 'in', 'out', 'hash_ids', 'input_types', 'output_types', 'stop', 'api_time', 'ttft', 'think_time'];
const SUB = ['t', 'type', 'agent_id', 'subagent_type', 'duration_ms', 'total_tokens', 'tool_use_count', 'status', 'models', 'tool_tokens', 'system_tokens', 'block_size', 'requests'];

export const wekaImporter: Importer = {
  format: 'weka',
  description: 'Weka / SemiAnalysis cc-traces JSON (hash_ids, api/think time, sub-agents)',
  entry: 'file',
  import(ctx) {
    const doc = obj(readJsonDoc(ctx.file, ctx.text), 1, '$');
    if (!Array.isArray(doc.requests)) throw new EntryError(1, '$.requests', 'missing: this is not a cc-traces (weka) file');
    knownKeys(doc, TOP, 1, '$', 'cc-traces');
    const blockSize = int(doc.block_size ?? 64, 1, '$.block_size');
    const shared = int(doc.system_tokens ?? 0, 1, '$.system_tokens') + int(doc.tool_tokens ?? 0, 1, '$.tool_tokens');
    const agents: AgentTrace[] = [];
    let model: string | undefined;
    const walk = (requests: unknown[], path: string, id: string, parent: string | null, systemTokens: number) => {
      const calls: CallRecord[] = [];
      requests.forEach((r0, i) => {
        const p = `${path}[${i}]`;
        const r = obj(r0, 1, p);
        if (r.type === 'subagent') {
          knownKeys(r, SUB, 1, p, 'cc-traces');
          const sid = `sub-${String(r.agent_id ?? agents.length)}`;
          const last = calls[calls.length - 1];
          if (!last) throw new EntryError(1, p, 'a sub-agent before any request of its parent');
          last.spawn ??= { agents: [], join: 'all' };
          last.spawn.agents.push(sid);
          last.spawnedWallMs = Math.max(last.spawnedWallMs ?? 0, optNum(r.duration_ms, 1, `${p}.duration_ms`) ?? 0);
          const subSys = r.system_tokens !== undefined ? int(r.system_tokens, 1, `${p}.system_tokens`) + int(r.tool_tokens ?? 0, 1, `${p}.tool_tokens`) : systemTokens;
          walk(arr(r.requests, 1, `${p}.requests`), `${p}.requests`, sid, id, subSys);
          return;
        }
        if (r.type !== 's' && r.type !== 'n') throw new EntryError(1, `${p}.type`, `expected "s", "n" or "subagent", got ${JSON.stringify(r.type)}`);
        knownKeys(r, REQ, 1, p, 'cc-traces');
        model ??= typeof r.model === 'string' ? r.model : undefined;
        const prev = calls[calls.length - 1];
        const think = optNum(r.think_time, 1, `${p}.think_time`);
        if (prev && think !== undefined) {
          // think_time is the client's time before this call: tool time after a tool_use stop.
          const gapMs = Math.max(0, think * 1000 - (prev.spawnedWallMs ?? 0));
          if (prev.tools?.length) prev.tools[0].durationMs = gapMs;
          else prev.thinkAfterMs = gapMs;
        }
        const api = optNum(r.api_time, 1, `${p}.api_time`);
        const ttft = optNum(r.ttft, 1, `${p}.ttft`);
        calls.push({
          inputTokens: int(r.in, 1, `${p}.in`),
          outputTokens: int(r.out, 1, `${p}.out`),
          hashIds: r.hash_ids === undefined ? undefined : arr(r.hash_ids, 1, `${p}.hash_ids`).map((h, k) => int(h, 1, `${p}.hash_ids[${k}]`)),
          blockSize,
          durationMs: api !== undefined ? api * 1000 : undefined,
          ttftMs: ttft !== undefined ? ttft * 1000 : undefined,
          tools: r.stop === 'tool_use' ? [{ name: 'tool_use' }] : undefined,
        });
      });
      // A trailing tool_use with no next request has no recorded time: leave it out.
      const last = calls[calls.length - 1];
      if (last?.tools && last.tools[0].durationMs === undefined) last.tools = undefined;
      for (const c of calls) if (c.tools && c.tools[0].durationMs === undefined) c.tools[0].durationMs = 0;
      if (!calls.length) throw new EntryError(1, path, 'an agent with no requests');
      agents.push(buildAgent(id, parent, systemTokens, calls).agent);
    };
    walk(doc.requests, '$.requests', 'main', null, shared);
    // Children were pushed before their parents finished: put the root first, keep the rest.
    agents.sort((a, b) => (a.parent === null ? -1 : b.parent === null ? 1 : 0));
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: String(doc.id ?? basename(ctx.file)),
      source: { kind: 'weka', url: 'https://github.com/callanjfox/agentic-coding-analysis/blob/main/docs/TRACE_FORMAT.md' },
      ...(model ? { model } : {}),
      agents,
    };
    return [t];
  },
};
