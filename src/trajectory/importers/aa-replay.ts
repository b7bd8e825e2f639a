/**
 * Artificial Analysis AgentPerf replay workloads (`aa-agentperf-local`, `agentperf_local/workload/
 * schema.py`): a `manifest.json` (`version`, `mode: single_user_agentic_replay`, `name`, `source`,
 * `tasks[]` with `trace`, `model_calls`, `tool_calls`, `total_recorded_tool_delay_ms`) and
 * `traces/<task>.jsonl`, one line per model turn: the full OpenAI `messages`, `tools`,
 * `target_output_tokens`, the recorded `recorded_prompt_tokens` / `recorded_completion_tokens` /
 * `recorded_total_tokens` / `recorded_model_duration_ms`, and the tool time after the turn
 * (`recorded_tool_calls_after[].duration_ms`, else `simulated_tool_delay_ms_after`).
 * Recorded counts are kept as they are; a turn without them is tokenized here and labelled estimated.
 * Give either a trace JSONL or the manifest (its traces are read and checked against its totals).
 */
import { dirname, join, normalize } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, estimateChatTokens, estimateTokens, int, knownKeys, messageText, num, obj, optNum, readJsonDoc, readJsonl, str, type CallRecord } from './common.js';
import type { ImportContext, Importer } from './types.js';

const ROW_KEYS = [
  'version', 'turn_id', 'task_id', 'conversation_id', 'conversation_idx', 'messages', 'tools', 'target_output_tokens', 'max_output_tokens',
  'recorded_prompt_tokens', 'recorded_completion_tokens', 'recorded_total_tokens', 'recorded_model_duration_ms',
  'simulated_tool_delay_ms_after', 'recorded_tool_calls_after', 'source',
];
const MANIFEST_KEYS = ['version', 'mode', 'name', 'source', 'tasks'];
const TASK_KEYS = ['task_id', 'trace', 'source_recording', 'model_calls', 'tool_calls', 'total_recorded_tool_delay_ms', 'family', 'adapter', 'tool_environment', 'required_context_tokens'];

interface Turn {
  line: number;
  messages: unknown[];
  idx: number;
  call: CallRecord;
  sysTokens: number;
  task?: string;
  toolCalls: number;
  toolDelayMs: number;
}

const URL = 'https://github.com/ArtificialAnalysis/aa-agentperf-local';

function parseRow(v: Record<string, unknown>, line: number, keepContent: boolean): { conv: string; turn: Turn } {
  if (v.version === undefined || v.messages === undefined) throw new EntryError(line, v.version === undefined ? '$.version' : '$.messages', 'missing: this is not an AgentPerf replay line');
  if (v.version !== 1) throw new EntryError(line, '$.version', `replay format version ${JSON.stringify(v.version)} is not one this importer knows (1)`);
  knownKeys(v, ROW_KEYS, line, '$', 'AgentPerf');
  const conv = str(v.conversation_id, line, '$.conversation_id');
  const messages = arr(v.messages, line, '$.messages');
  const tools = v.tools === undefined ? [] : arr(v.tools, line, '$.tools');
  const recordedTools = v.recorded_tool_calls_after === undefined ? [] : arr(v.recorded_tool_calls_after, line, '$.recorded_tool_calls_after');
  const delay = optNum(v.simulated_tool_delay_ms_after, line, '$.simulated_tool_delay_ms_after') ?? 0;
  const toolUses = recordedTools.map((r0, k) => {
    const r = obj(r0, line, `$.recorded_tool_calls_after[${k}]`);
    const rc = r.recorded_returncode;
    return {
      name: typeof r.tool_name === 'string' && r.tool_name ? r.tool_name : 'tool',
      durationMs: num(r.duration_ms, line, `$.recorded_tool_calls_after[${k}].duration_ms`),
      ...(typeof rc === 'number' ? { status: rc === 0 ? 'ok' : 'error' } : {}),
    };
  });
  // No recorded tool calls: the delay AgentPerf itself waits after the turn.
  if (!toolUses.length && delay > 0) toolUses.push({ name: 'tool', durationMs: delay });
  const toolDefs = tools.length ? estimateTokens(JSON.stringify(tools)) : 0;
  const sys = messages.filter((m) => (m as { role?: string })?.role === 'system');
  const estimated: string[] = [];
  const prompt = optNum(v.recorded_prompt_tokens, line, '$.recorded_prompt_tokens');
  const completion = optNum(v.recorded_completion_tokens, line, '$.recorded_completion_tokens');
  const total = optNum(v.recorded_total_tokens, line, '$.recorded_total_tokens');
  if (prompt !== undefined && completion !== undefined && total !== undefined && total !== prompt + completion) {
    throw new EntryError(line, '$.recorded_total_tokens', `${total} is not recorded_prompt_tokens + recorded_completion_tokens (${prompt + completion}): the line is inconsistent`);
  }
  let input: number;
  if (prompt !== undefined) input = Math.round(prompt);
  else {
    input = estimateChatTokens(messages) + toolDefs;
    estimated.push('input_tokens');
  }
  let output: number;
  if (completion !== undefined) output = Math.round(completion);
  else {
    // target_output_tokens is the workload's reference length (authored in synthetic traces), not a recorded count.
    output = int(v.target_output_tokens ?? v.max_output_tokens, line, '$.target_output_tokens');
    estimated.push('output_tokens');
  }
  const modelMs = optNum(v.recorded_model_duration_ms, line, '$.recorded_model_duration_ms');
  return {
    conv,
    turn: {
      line,
      messages,
      idx: int(v.conversation_idx ?? 0, line, '$.conversation_idx'),
      sysTokens: estimateChatTokens(sys) + toolDefs,
      task: typeof v.task_id === 'string' ? v.task_id : undefined,
      toolCalls: recordedTools.length,
      toolDelayMs: recordedTools.length ? toolUses.reduce((s, t) => s + (t.durationMs ?? 0), 0) : delay,
      call: {
        inputTokens: input,
        outputTokens: output,
        durationMs: modelMs,
        tools: toolUses,
        estimated,
        ...(keepContent ? { content: { messages, ...(tools.length ? { tools } : {}) } } : {}),
      },
    },
  };
}

function readTrace(ctx: ImportContext, file: string, text: string, problems = ctx.problems): Map<string, Turn[]> {
  const convs = new Map<string, Turn[]>();
  for (const { line, value: v } of readJsonl(file, text, problems)) {
    try {
      const { conv, turn } = parseRow(v, line, ctx.keepContent);
      const list = convs.get(conv) ?? [];
      list.push(turn);
      convs.set(conv, list);
    } catch (e) {
      if (!(e instanceof EntryError)) throw e;
      problems.push({ file, line: e.line, field: e.field, message: e.message });
    }
  }
  return convs;
}

function toTrajectory(conv: string, turns: Turn[], keepContent: boolean, labels: Record<string, unknown>): Trajectory {
  turns.sort((a, b) => a.idx - b.idx);
  // Estimated prompts: the new input is what the history gained after the previous turn's answer
  // (not prompt - (previous prompt + target output), which an authored target makes 0).
  turns.forEach((t, i) => {
    if (i === 0 || !t.call.estimated?.includes('input_tokens')) return;
    const prevLen = turns[i - 1].messages.length;
    t.call.newInputTokens = estimateChatTokens(t.messages.slice(prevLen + 1)) - 3;
  });
  // Kept content: a turn's answer is the assistant message the next turn's history adds after it.
  if (keepContent) {
    turns.forEach((t, i) => {
      const next = turns[i + 1]?.call.content?.messages;
      const mine = t.call.content?.messages;
      const reply = next && mine ? next[mine.length] : undefined;
      if (reply && (reply as { role?: string }).role === 'assistant') t.call.content!.output = messageText({ content: (reply as { content?: unknown }).content ?? '' });
    });
  }
  return {
    format: TRAJECTORY_FORMAT,
    id: conv,
    source: { kind: 'aa-replay', license: 'Apache-2.0', url: URL, estimated: ['system_prompt_tokens', ...(turns.some((t) => t.call.estimated?.length) ? ['tokens'] : [])] },
    labels: { ...(turns[0].task ? { task: turns[0].task } : {}), ...labels },
    // The last turn's tool calls happen after the final answer is replayed: kept, they are recorded.
    agents: [buildAgent('main', null, turns[0].sysTokens, turns.map((t) => t.call)).agent],
  };
}

function importManifest(ctx: ImportContext, doc: Record<string, unknown>): Trajectory[] {
  knownKeys(doc, MANIFEST_KEYS, 1, '$', 'AgentPerf manifest');
  if (doc.version !== 1) throw new EntryError(1, '$.version', `manifest version ${JSON.stringify(doc.version)} is not one this importer knows (1)`);
  const tasks = arr(doc.tasks, 1, '$.tasks');
  const out: Trajectory[] = [];
  tasks.forEach((t0, i) => {
    const p = `$.tasks[${i}]`;
    const t = obj(t0, 1, p);
    knownKeys(t, TASK_KEYS, 1, p, 'AgentPerf manifest');
    const rel = str(t.trace, 1, `${p}.trace`);
    if (rel.startsWith('/') || normalize(rel).startsWith('..')) throw new EntryError(1, `${p}.trace`, 'trace paths must stay within the manifest directory');
    const file = join(dirname(ctx.file), rel);
    const text = ctx.readFile(file);
    if (text === undefined) throw new EntryError(1, `${p}.trace`, `${file} is missing: the manifest names it, so the workload is incomplete`);
    const problems: typeof ctx.problems = [];
    const convs = readTrace(ctx, file, text, problems);
    if (problems.length) {
      ctx.problems.push(...problems);
      return;
    }
    const turns = [...convs.values()].flat();
    const expect = { model_calls: int(t.model_calls, 1, `${p}.model_calls`), tool_calls: int(t.tool_calls, 1, `${p}.tool_calls`) };
    if (turns.length !== expect.model_calls) throw new EntryError(1, `${p}.model_calls`, `manifest says ${expect.model_calls} model calls, ${file} has ${turns.length} lines`);
    const tools = turns.reduce((s, x) => s + x.toolCalls, 0);
    if (tools !== expect.tool_calls) throw new EntryError(1, `${p}.tool_calls`, `manifest says ${expect.tool_calls} tool calls, ${file} records ${tools}`);
    const delay = num(t.total_recorded_tool_delay_ms, 1, `${p}.total_recorded_tool_delay_ms`);
    const got = turns.reduce((s, x) => s + x.toolDelayMs, 0);
    if (Math.abs(got - delay) > 0.01) throw new EntryError(1, `${p}.total_recorded_tool_delay_ms`, `manifest says ${delay} ms of tool delay, ${file} records ${got.toFixed(6)} ms`);
    const labels = { ...(typeof t.family === 'string' ? { family: t.family } : {}), ...(typeof t.adapter === 'string' ? { adapter: t.adapter } : {}), ...(typeof doc.name === 'string' ? { workload: doc.name } : {}) };
    for (const [conv, list] of convs) out.push(toTrajectory(conv, list, ctx.keepContent, labels));
    if (t.tool_environment !== undefined) ctx.leftOut.push({ what: `${String(t.task_id)}: tool_environment`, why: 'live tool mode (Docker) is not replayed; recorded tool durations are' });
  });
  return out;
}

export const aaReplayImporter: Importer = {
  format: 'aa-replay',
  description: 'Artificial Analysis AgentPerf replay JSONL or its manifest.json (recorded prompt/completion tokens and model durations kept)',
  entry: 'line',
  import(ctx) {
    if (ctx.text.trimStart().startsWith('{') && /"mode"\s*:\s*"single_user_agentic_replay"/.test(ctx.text.slice(0, 4096))) {
      return importManifest(ctx, obj(readJsonDoc(ctx.file, ctx.text), 1, '$'));
    }
    const convs = readTrace(ctx, ctx.file, ctx.text);
    return [...convs].map(([conv, turns]) => toTrajectory(conv, turns, ctx.keepContent, {}));
  },
};
