/**
 * mini-swe-agent trajectories (`SWE-agent/mini-swe-agent`): the saved `.traj.json`
 * (`{info, messages, trajectory_format: "mini-swe-agent-1" | "-1.1"}`) whose assistant messages carry
 * the raw litellm response (`extra.response.usage`) and `extra.timestamp` (call end), observations
 * `extra.timestamp` (tool end) and `extra.returncode`; or a bare message list (`[{role, content}]`,
 * the repository's own `tests/test_data/*.traj.json`), where tokens are tokenized here and tool
 * times are the documented default, both labelled.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { buildAgent, EntryError, estimateChatTokens, estimateTokens, int, messageText, num, obj, readJsonDoc, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const MINI_FORMATS = ['mini-swe-agent-1', 'mini-swe-agent-1.1'];

/** A message as it was sent (without mini-swe-agent's `extra` bookkeeping). */
const sent = (m: Record<string, unknown>) => ({ role: m.role, content: m.content });

export const miniSweAgentImporter: Importer = {
  format: 'mini-swe-agent',
  description: 'mini-swe-agent .traj.json ({info, messages} with litellm usage and timestamps, or a bare message list)',
  entry: 'file',
  import(ctx) {
    const doc = readJsonDoc(ctx.file, ctx.text);
    let msgs: Record<string, unknown>[];
    let info: Record<string, unknown> = {};
    let base = '$';
    if (Array.isArray(doc)) msgs = doc.map((m, i) => obj(m, 1, `$[${i}]`));
    else {
      const d = obj(doc, 1, '$');
      if (!Array.isArray(d.messages)) throw new EntryError(1, '$.messages', 'missing: this is not a mini-swe-agent trajectory (expected {"info", "messages"} or a list of messages)');
      if (d.trajectory_format !== undefined && !MINI_FORMATS.includes(String(d.trajectory_format))) {
        throw new EntryError(1, '$.trajectory_format', `${JSON.stringify(d.trajectory_format)} is newer than this importer knows (${MINI_FORMATS.join(', ')})`);
      }
      msgs = d.messages.map((m, i) => obj(m, 1, `$.messages[${i}]`));
      info = (d.info ?? {}) as Record<string, unknown>;
      base = '$.messages';
    }
    msgs.forEach((m, i) => {
      if (typeof m.role !== 'string') throw new EntryError(1, `${base}[${i}].role`, 'missing: every message needs a role');
    });
    const calls: CallRecord[] = [];
    let lastTs: number | undefined;
    let sysTokens = 0;
    let usageCalls = 0;
    msgs.forEach((m, i) => {
      const p = `${base}[${i}]`;
      const extra = (m.extra ?? {}) as Record<string, unknown>;
      const ts = extra.timestamp === undefined ? undefined : num(extra.timestamp, 1, `${p}.extra.timestamp`) * 1000;
      if (m.role === 'system') sysTokens += estimateChatTokens([m]);
      if (m.role === 'assistant') {
        const usage = (extra.response as { usage?: Record<string, unknown> } | undefined)?.usage;
        const call: CallRecord = { inputTokens: 0, outputTokens: 0, startMs: lastTs, endMs: ts, tools: [] };
        if (usage) {
          usageCalls++;
          call.inputTokens = int(usage.prompt_tokens, 1, `${p}.extra.response.usage.prompt_tokens`);
          call.outputTokens = int(usage.completion_tokens, 1, `${p}.extra.response.usage.completion_tokens`);
          const det = usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined;
          if (det?.cached_tokens !== undefined && det.cached_tokens !== null) call.cachedTokens = int(det.cached_tokens, 1, `${p}.extra.response.usage.prompt_tokens_details.cached_tokens`);
        } else {
          call.inputTokens = estimateChatTokens(msgs.slice(0, i));
          call.outputTokens = estimateTokens(messageText(m));
          call.estimated = ['input_tokens', 'output_tokens'];
        }
        if (lastTs !== undefined && ts !== undefined) call.durationMs = Math.max(0, ts - lastTs);
        // Saved trajectories list the actions; in a bare list, the observation that follows is one.
        const actions = Array.isArray(extra.actions) ? extra.actions.length : msgs[i + 1]?.role === 'user' || msgs[i + 1]?.role === 'tool' ? 1 : 0;
        for (let k = 0; k < actions; k++) call.tools!.push({ name: 'bash' });
        if (ctx.keepContent) call.content = { messages: msgs.slice(0, i).map(sent), output: messageText({ content: m.content }) };
        calls.push(call);
      } else if ((m.role === 'tool' || m.role === 'user') && calls.length && ts !== undefined) {
        // An observation: ends the next tool of the last call that has none yet.
        const t = calls[calls.length - 1].tools?.find((x) => x.durationMs === undefined);
        if (t) {
          t.durationMs = Math.max(0, ts - (lastTs ?? ts));
          t.status = extra.returncode === 0 || extra.returncode === undefined ? 'ok' : 'error';
        }
      }
      if (ts !== undefined) lastTs = ts;
    });
    if (!calls.length) throw new EntryError(1, base, 'no assistant messages: nothing to import');
    const model = (info.config as { model?: { model_name?: string } } | undefined)?.model?.model_name;
    const built = buildAgent('main', null, sysTokens, calls);
    const estimated = ['system_prompt_tokens', ...(usageCalls < calls.length ? ['tokens'] : []), ...(built.defaultedTimings ? ['timings'] : [])];
    const id = typeof (doc as { instance_id?: unknown }).instance_id === 'string' ? String((doc as { instance_id: string }).instance_id) : basename(ctx.file).replace(/\.traj(\.json)?$/, '');
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id,
      source: { kind: 'mini-swe-agent', estimated },
      ...(model ? { model } : {}),
      ...(id ? { labels: { task: id } } : {}),
      agents: [built.agent],
    };
    return [t];
  },
};
