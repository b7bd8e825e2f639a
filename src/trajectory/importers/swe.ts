/**
 * SWE-agent `.traj` (`SWE-agent/SWE-agent:tests/test_data/trajectories/…`): `history[]` is every
 * message the agent exchanged (`role`, `content`, `agent`, `is_demo` on the demonstration,
 * `thought`/`action` on assistant turns), `trajectory[]` the steps (`response`, `thought`, `action`,
 * `observation`, `state`, optional `query`, `execution_time` s), `info.model_stats` the run's totals
 * (`tokens_sent`, `tokens_received`, `api_calls`). Per-call tokens are not recorded: each call's
 * prompt is tokenized from the history before it (demonstration and issue included), then the
 * estimates are scaled to the recorded totals and the calibration is reported.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, estimateChatTokens, estimateTokens, messageText, num, obj, readJsonDoc, type CallRecord } from './common.js';
import type { ImportFidelity } from '../types.js';
import type { Importer } from './types.js';

/** Scale estimates so they sum to a recorded total; the rounding residual is what is left over. */
function calibrate(values: number[], recorded: number): { scaled: number[]; residual: number; before: number } {
  const before = values.reduce((a, b) => a + b, 0);
  if (before <= 0) return { scaled: values, residual: recorded, before };
  const k = recorded / before;
  const scaled = values.map((v) => Math.round(v * k));
  return { scaled, residual: recorded - scaled.reduce((a, b) => a + b, 0), before };
}

export const sweAgentImporter: Importer = {
  format: 'swe-agent',
  description: 'SWE-agent .traj (history per call, tokens estimated and calibrated to info.model_stats.tokens_sent)',
  entry: 'file',
  import(ctx) {
    const doc = obj(readJsonDoc(ctx.file, ctx.text), 1, '$');
    if (!Array.isArray(doc.trajectory)) throw new EntryError(1, '$.trajectory', 'missing: this is not a SWE-agent .traj file (a file with only "history" is a demonstration, not a run)');
    const history = Array.isArray(doc.history) ? (doc.history as Record<string, unknown>[]) : [];
    const steps = arr(doc.trajectory, 1, '$.trajectory');
    const info = (doc.info ?? {}) as Record<string, unknown>;
    const stats = (info.model_stats ?? undefined) as Record<string, unknown> | undefined;
    // Each assistant message of the primary agent's history is one model call; its prompt is every
    // message before it (system, demonstration, issue, earlier turns): what SWE-agent sent.
    const calls: { input: number; output: number; at: number; ctx: unknown[] }[] = [];
    const primary = history.filter((m) => m.agent === undefined || m.agent === 'primary');
    primary.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const before = primary.slice(0, i);
      calls.push({ input: estimateChatTokens(before), output: estimateTokens(messageText(m)), at: i, ctx: before });
    });
    if (primary.length !== history.length) ctx.leftOut.push({ what: `${history.length - primary.length} history messages of other agents`, why: 'only the primary agent is replayed' });
    // No history (older runs): the steps' own query, else the running transcript of responses and observations.
    if (!calls.length) {
      const running: unknown[] = [];
      steps.forEach((s0, i) => {
        const s = obj(s0, 1, `$.trajectory[${i}]`);
        const query = Array.isArray(s.query) && s.query.length ? (s.query as unknown[]) : undefined;
        const response = typeof s.response === 'string' ? s.response : messageText(s.response);
        calls.push({ input: estimateChatTokens(query ?? running), output: estimateTokens(response), at: i, ctx: query ?? [...running] });
        running.push({ role: 'assistant', content: response }, { role: 'user', content: typeof s.observation === 'string' ? s.observation : messageText(s.observation) });
      });
    }
    if (!calls.length) throw new EntryError(1, '$.trajectory', 'no steps');
    let inputs = calls.map((c) => c.input);
    let outputs = calls.map((c) => c.output);
    let calibration: { field: string; recorded: number; estimatedBefore: number; residual: number } | undefined;
    if (stats && typeof stats.tokens_sent === 'number' && stats.tokens_sent > 0) {
      const apiCalls = typeof stats.api_calls === 'number' ? stats.api_calls : undefined;
      if (apiCalls !== undefined && apiCalls !== calls.length) ctx.leftOut.push({ what: `calibration check`, why: `info.model_stats.api_calls is ${apiCalls} but the history has ${calls.length} model calls` });
      const c = calibrate(inputs, stats.tokens_sent);
      inputs = c.scaled;
      // The rounding residual goes on the largest call, so the sum equals the recorded total exactly.
      const big = inputs.indexOf(Math.max(...inputs));
      inputs[big] += c.residual;
      calibration = { field: 'info.model_stats.tokens_sent', recorded: stats.tokens_sent, estimatedBefore: c.before, residual: stats.tokens_sent - inputs.reduce((a, b) => a + b, 0) };
      if (typeof stats.tokens_received === 'number' && stats.tokens_received > 0) {
        const o = calibrate(outputs, stats.tokens_received);
        outputs = o.scaled;
        outputs[outputs.indexOf(Math.max(...outputs))] += o.residual;
      }
    }
    let defaulted = false;
    const records: CallRecord[] = calls.map((c, k) => {
      const s = (steps[k] ?? {}) as Record<string, unknown>;
      const action = typeof s.action === 'string' ? s.action.trim().split(/\s+/)[0] : '';
      const exec = s.execution_time === undefined ? undefined : num(s.execution_time, 1, `$.trajectory[${k}].execution_time`) * 1000;
      if (action && exec === undefined) defaulted = true;
      const obs = typeof s.observation === 'string' ? s.observation : messageText(s.observation);
      return {
        inputTokens: inputs[k],
        outputTokens: outputs[k],
        estimated: ['input_tokens', 'output_tokens'],
        tools: action ? [{ name: action.slice(0, 64), durationMs: exec, resultTokens: estimateTokens(obs) }] : [],
        ...(ctx.keepContent ? { content: { messages: c.ctx } } : {}),
      };
    });
    const sys = primary.filter((m) => m.role === 'system');
    const built = buildAgent('main', null, estimateChatTokens(sys), records);
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: basename(ctx.file).replace(/\.traj$/, ''),
      source: {
        kind: 'swe-agent',
        estimated: ['tokens', 'system_prompt_tokens', ...(defaulted || built.defaultedTimings ? ['timings'] : [])],
        ...(calibration ? { fidelity: { leftOut: [], calibration } as unknown as ImportFidelity } : {}),
      },
      ...(typeof info.exit_status === 'string' ? { labels: { exit_status: info.exit_status } } : {}),
      agents: [built.agent],
    };
    return [t];
  },
};
