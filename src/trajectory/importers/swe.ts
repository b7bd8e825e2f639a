/**
 * SWE-agent `.traj` and mini-swe-agent `.traj.json` trajectories.
 * - mini-swe-agent (`trajectory_format` "mini-swe-agent-1" / "-1.1"): assistant messages carry the raw
 *   litellm response (`extra.response.usage`) and `extra.timestamp` (call end); observations carry
 *   `extra.timestamp` (tool end) and `extra.returncode`.
 * - SWE-agent: `trajectory[]` steps (`response`, `action`, `observation`, optional `query` = the
 *   messages sent, `execution_time` seconds). Only totals are recorded for tokens, so per-call
 *   tokens are estimated with gpt-tokenizer; model time is not recorded.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, estimateChatTokens, estimateTokens, int, messageText, num, obj, readJsonDoc, type CallRecord } from './common.js';
import type { Importer } from './types.js';

const MINI_FORMATS = ['mini-swe-agent-1', 'mini-swe-agent-1.1'];

export const miniSweAgentImporter: Importer = {
  format: 'mini-swe-agent',
  description: 'mini-swe-agent .traj.json (litellm usage and timestamps per call)',
  entry: 'file',
  import(ctx) {
    const doc = obj(readJsonDoc(ctx.file, ctx.text), 1, '$');
    const fmt = doc.trajectory_format;
    if (fmt === undefined || !Array.isArray(doc.messages)) throw new EntryError(1, '$.trajectory_format', 'missing: this is not a mini-swe-agent trajectory');
    if (!MINI_FORMATS.includes(String(fmt))) throw new EntryError(1, '$.trajectory_format', `${JSON.stringify(fmt)} is newer than this importer knows (${MINI_FORMATS.join(', ')})`);
    const msgs = doc.messages as Record<string, unknown>[];
    const calls: CallRecord[] = [];
    let estimatedTokens = false;
    let lastTs: number | undefined;
    let sysTokens = 0;
    msgs.forEach((m, i) => {
      const p = `$.messages[${i}]`;
      const extra = (m.extra ?? {}) as Record<string, unknown>;
      const ts = extra.timestamp === undefined ? undefined : num(extra.timestamp, 1, `${p}.extra.timestamp`) * 1000;
      if (m.role === 'system') sysTokens += estimateChatTokens([m]);
      if (m.role === 'assistant') {
        const usage = (extra.response as { usage?: Record<string, unknown> } | undefined)?.usage;
        let input: number, output: number, cached: number | undefined;
        if (usage) {
          input = int(usage.prompt_tokens, 1, `${p}.extra.response.usage.prompt_tokens`);
          output = int(usage.completion_tokens, 1, `${p}.extra.response.usage.completion_tokens`);
          const det = usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined;
          cached = det?.cached_tokens !== undefined && det.cached_tokens !== null ? int(det.cached_tokens, 1, `${p}.extra.response.usage.prompt_tokens_details.cached_tokens`) : undefined;
        } else {
          estimatedTokens = true;
          input = estimateChatTokens(msgs.slice(0, i));
          output = estimateTokens(messageText(m));
        }
        const actions = Array.isArray(extra.actions) ? extra.actions : [];
        calls.push({
          inputTokens: input, outputTokens: output, cachedTokens: cached,
          startMs: lastTs, endMs: ts,
          durationMs: lastTs !== undefined && ts !== undefined ? Math.max(0, ts - lastTs) : undefined,
          tools: actions.map(() => ({ name: 'bash' })),
        });
      } else if ((m.role === 'tool' || m.role === 'user') && calls.length && ts !== undefined) {
        // An observation: ends the next tool of the last call that has none yet.
        const c = calls[calls.length - 1];
        const t = c.tools?.find((x) => x.durationMs === undefined);
        if (t) {
          t.durationMs = Math.max(0, ts - (lastTs ?? ts));
          t.status = extra.returncode === 0 || extra.returncode === undefined ? 'ok' : 'error';
        }
      }
      if (ts !== undefined) lastTs = ts;
    });
    if (!calls.length) throw new EntryError(1, '$.messages', 'no assistant messages');
    const info = (doc.info ?? {}) as Record<string, unknown>;
    const model = ((info.config as { model?: { model_name?: string } } | undefined)?.model?.model_name) ?? undefined;
    const built = buildAgent('main', null, sysTokens, calls);
    const estimated = ['system_prompt_tokens', ...(estimatedTokens ? ['tokens'] : []), ...(built.defaultedTimings ? ['timings'] : [])];
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: String(doc.instance_id ?? basename(ctx.file).replace(/\.traj(\.json)?$/, '')),
      source: { kind: 'mini-swe-agent', estimated },
      ...(model ? { model } : {}),
      ...(typeof doc.instance_id === 'string' ? { labels: { task: doc.instance_id } } : {}),
      agents: [built.agent],
    };
    return [t];
  },
};

export const sweAgentImporter: Importer = {
  format: 'swe-agent',
  description: 'SWE-agent .traj (messages only: tokens estimated; execution_time for tools)',
  entry: 'file',
  import(ctx) {
    const doc = obj(readJsonDoc(ctx.file, ctx.text), 1, '$');
    if (!Array.isArray(doc.trajectory)) throw new EntryError(1, '$.trajectory', 'missing: this is not a SWE-agent .traj file');
    const history = Array.isArray(doc.history) ? (doc.history as unknown[]) : [];
    const steps = arr(doc.trajectory, 1, '$.trajectory');
    let defaulted = false;
    const sys = history.filter((m) => (m as { role?: string })?.role === 'system');
    const running: unknown[] = [...sys];
    const calls: CallRecord[] = steps.map((s0, i) => {
      const s = obj(s0, 1, `$.trajectory[${i}]`);
      const query = Array.isArray(s.query) && s.query.length ? (s.query as unknown[]) : undefined;
      const input = estimateChatTokens(query ?? running);
      const response = typeof s.response === 'string' ? s.response : messageText(s.response);
      const obs = typeof s.observation === 'string' ? s.observation : messageText(s.observation);
      running.push({ role: 'assistant', content: response }, { role: 'user', content: obs });
      const action = typeof s.action === 'string' ? s.action.trim().split(/\s+/)[0] : '';
      const exec = s.execution_time === undefined ? undefined : num(s.execution_time, 1, `$.trajectory[${i}].execution_time`) * 1000;
      if (exec === undefined) defaulted = true;
      return {
        inputTokens: input,
        outputTokens: estimateTokens(response),
        tools: action ? [{ name: action.slice(0, 64), durationMs: exec, resultTokens: estimateTokens(obs) }] : [],
      };
    });
    if (!calls.length) throw new EntryError(1, '$.trajectory', 'no steps');
    const built = buildAgent('main', null, estimateChatTokens(sys), calls);
    const info = (doc.info ?? {}) as Record<string, unknown>;
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: basename(ctx.file).replace(/\.traj$/, ''),
      source: { kind: 'swe-agent', estimated: ['tokens', 'system_prompt_tokens', ...(defaulted || built.defaultedTimings ? ['timings'] : [])] },
      ...(typeof info.exit_status === 'string' ? { labels: { exit_status: info.exit_status } } : {}),
      agents: [built.agent],
    };
    return [t];
  },
};
