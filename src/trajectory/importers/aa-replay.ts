/**
 * Artificial Analysis AgentPerf replay traces (`aa-agentperf-local:docs/FORMATS.md`): one line per
 * model turn with the full OpenAI `messages` history, `tools`, `target_output_tokens` and the tool
 * time after the turn (`recorded_tool_calls_after[].duration_ms`, else
 * `simulated_tool_delay_ms_after`). No token counts are recorded: prompts are tokenized here.
 */
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, estimateChatTokens, estimateTokens, int, num, optNum, readJsonl, str, type CallRecord } from './common.js';
import type { Importer } from './types.js';

interface Turn {
  line: number;
  idx: number;
  call: CallRecord;
  sysTokens: number;
  task?: string;
}

export const aaReplayImporter: Importer = {
  format: 'aa-replay',
  description: 'Artificial Analysis AgentPerf replay JSONL (tokens estimated with gpt-tokenizer)',
  entry: 'line',
  import(ctx) {
    const convs = new Map<string, Turn[]>();
    for (const { line, value: v } of readJsonl(ctx.file, ctx.text, ctx.problems)) {
      try {
        if (v.version === undefined || v.messages === undefined) throw new EntryError(line, v.version === undefined ? '$.version' : '$.messages', 'missing: this is not an AgentPerf replay line');
        if (v.version !== 1) throw new EntryError(line, '$.version', `replay format version ${JSON.stringify(v.version)} is newer than this importer knows (1)`);
        const conv = str(v.conversation_id, line, '$.conversation_id');
        const messages = arr(v.messages, line, '$.messages');
        const tools = v.tools === undefined ? [] : arr(v.tools, line, '$.tools');
        const recorded = v.recorded_tool_calls_after === undefined ? [] : arr(v.recorded_tool_calls_after, line, '$.recorded_tool_calls_after');
        const delay = optNum(v.simulated_tool_delay_ms_after, line, '$.simulated_tool_delay_ms_after');
        const toolUses = recorded.map((r0, k) => {
          const r = r0 as Record<string, unknown>;
          return { name: typeof r.tool_name === 'string' && r.tool_name ? r.tool_name : 'tool', durationMs: num(r.duration_ms ?? delay ?? 0, line, `$.recorded_tool_calls_after[${k}].duration_ms`) };
        });
        if (!toolUses.length && delay) toolUses.push({ name: 'tool', durationMs: delay });
        const sys = messages.filter((m) => (m as { role?: string })?.role === 'system');
        const toolDefs = tools.length ? estimateTokens(JSON.stringify(tools)) : 0;
        const turn: Turn = {
          line,
          idx: int(v.conversation_idx ?? 0, line, '$.conversation_idx'),
          sysTokens: estimateChatTokens(sys) + toolDefs,
          task: typeof v.task_id === 'string' ? v.task_id : undefined,
          call: {
            inputTokens: estimateChatTokens(messages) + toolDefs,
            outputTokens: int(v.target_output_tokens ?? v.max_output_tokens, line, '$.target_output_tokens'),
            tools: toolUses,
          },
        };
        const list = convs.get(conv) ?? [];
        list.push(turn);
        convs.set(conv, list);
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        ctx.problems.push({ file: ctx.file, line: e.line, field: e.field, message: e.message });
      }
    }
    return [...convs].map(([conv, turns]): Trajectory => {
      turns.sort((a, b) => a.idx - b.idx);
      // The last turn's tool calls happen after the final answer is replayed: keep them, they are recorded.
      return {
        format: TRAJECTORY_FORMAT,
        id: conv,
        source: { kind: 'aa-replay', license: 'Apache-2.0', url: 'https://github.com/ArtificialAnalysis/aa-agentperf-local', estimated: ['tokens', 'system_prompt_tokens'] },
        ...(turns[0].task ? { labels: { task: turns[0].task } } : {}),
        agents: [buildAgent('main', null, turns[0].sysTokens, turns.map((t) => t.call)).agent],
      };
    });
  },
};
