/**
 * Flat call logs rebuilt into agents (conversations.ts):
 * - `openai-chat-log`: JSONL of `{request, response}` pairs (OpenAI chat completions bodies), with
 *   optional `start_time`/`end_time` (ISO or epoch ms) or `timestamp` + `duration_ms`, `ttft_ms`.
 *   Without `response.usage`, tokens are estimated with gpt-tokenizer.
 * - `dynamo`: NVIDIA Dynamo agent-trace JSONL; `request_end` records carry `agent_context`
 *   (`workflow_id`, `program_id`, `parent_program_id`), token counts and timings. Other events are
 *   skipped.
 */
import { basename } from 'node:path';
import type { Trajectory } from '../types.js';
import { EntryError, estimateChatTokens, estimateTokens, int, isoMs, messageText, num, obj, optNum, readJsonl } from './common.js';
import { reconstructConversations, type ConversationCall } from './conversations.js';
import type { Importer } from './types.js';

function timeMs(v: unknown, line: number, field: string): number {
  return typeof v === 'number' ? num(v, line, field) : isoMs(v, line, field);
}

export const openaiChatLogImporter: Importer = {
  format: 'openai-chat-log',
  description: 'JSONL of OpenAI chat request/response pairs (agents rebuilt from message prefixes)',
  entry: 'line',
  import(ctx) {
    const calls: ConversationCall[] = [];
    let estimatedTokens = false;
    let estimatedTimes = false;
    let clock = 0;
    for (const { line, value: v } of readJsonl(ctx.file, ctx.text, ctx.problems)) {
      try {
        if (v.request === undefined || v.response === undefined) throw new EntryError(line, v.request === undefined ? '$.request' : '$.response', 'missing: expected {"request": ..., "response": ...} pairs');
        const req = obj(v.request, line, '$.request');
        const res = obj(v.response, line, '$.response');
        const messages = Array.isArray(req.messages) ? req.messages : undefined;
        if (!messages) throw new EntryError(line, '$.request.messages', 'missing: only chat completions requests are supported');
        const choice = (Array.isArray(res.choices) ? res.choices[0] : undefined) as { message?: Record<string, unknown>; finish_reason?: string } | undefined;
        const usage = res.usage as Record<string, unknown> | undefined;
        let input: number, output: number, cached: number | undefined;
        if (usage) {
          input = int(usage.prompt_tokens, line, '$.response.usage.prompt_tokens');
          output = int(usage.completion_tokens, line, '$.response.usage.completion_tokens');
          const d = usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined;
          if (typeof d?.cached_tokens === 'number') cached = d.cached_tokens;
        } else {
          estimatedTokens = true;
          input = estimateChatTokens(messages);
          output = estimateTokens(messageText(choice?.message ?? ''));
        }
        let start: number, end: number;
        if (v.start_time !== undefined || v.timestamp !== undefined) {
          start = timeMs(v.start_time ?? v.timestamp, line, v.start_time !== undefined ? '$.start_time' : '$.timestamp');
          end = v.end_time !== undefined ? timeMs(v.end_time, line, '$.end_time') : start + (optNum(v.duration_ms, line, '$.duration_ms') ?? 0);
        } else {
          estimatedTimes = true;
          start = clock;
          end = clock;
        }
        clock = Math.max(clock, end) + 1;
        const toolCalls = Array.isArray(choice?.message?.tool_calls) ? (choice!.message!.tool_calls as { function?: { name?: string } }[]) : [];
        calls.push({
          startMs: start, endMs: end, ttftMs: optNum(v.ttft_ms, line, '$.ttft_ms'),
          messages, inputTokens: input, outputTokens: output, cachedTokens: cached,
          finishReason: choice?.finish_reason, toolNames: toolCalls.map((t) => t.function?.name ?? 'tool'),
          model: typeof req.model === 'string' ? req.model : undefined,
        });
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        ctx.problems.push({ file: ctx.file, line: e.line, field: e.field, message: e.message });
      }
    }
    if (!calls.length) return [];
    const estimated = [...(estimatedTokens ? ['tokens'] : []), ...(estimatedTimes ? ['timings'] : [])];
    return reconstructConversations(calls, { idPrefix: basename(ctx.file).replace(/\.jsonl?$/, ''), source: { kind: 'openai-chat-log', ...(estimated.length ? { estimated } : {}) } });
  },
};

export const dynamoImporter: Importer = {
  format: 'dynamo',
  description: 'NVIDIA Dynamo agent trace JSONL (request_end records with agent_context)',
  entry: 'line',
  import(ctx) {
    const calls: ConversationCall[] = [];
    let seen = 0;
    for (const { line, value: v } of readJsonl(ctx.file, ctx.text, ctx.problems)) {
      try {
        const ev = v.event ?? v.event_type ?? v.type;
        if (ev === undefined) throw new EntryError(line, '$.event', 'missing: this is not a Dynamo trace record');
        seen++;
        if (ev !== 'request_end') continue;
        const ac = obj(v.agent_context, line, '$.agent_context');
        const end = timeMs(v.timestamp, line, '$.timestamp');
        const dur = optNum(v.duration_ms ?? v.e2e_latency_ms, line, '$.duration_ms') ?? 0;
        const pid = ac.program_id;
        if (typeof pid !== 'string' || !pid) throw new EntryError(line, '$.agent_context.program_id', 'expected a non-empty string');
        calls.push({
          startMs: end - dur, endMs: end, ttftMs: optNum(v.ttft_ms, line, '$.ttft_ms'),
          inputTokens: int(v.input_tokens, line, '$.input_tokens'),
          outputTokens: int(v.output_tokens, line, '$.output_tokens'),
          cachedTokens: optNum(v.cached_tokens, line, '$.cached_tokens'),
          finishReason: typeof v.finish_reason === 'string' ? v.finish_reason : undefined,
          toolNames: v.finish_reason === 'tool_calls' ? ['tool'] : [],
          identity: {
            programId: pid,
            workflowId: typeof ac.workflow_id === 'string' ? ac.workflow_id : undefined,
            parentProgramId: typeof ac.parent_program_id === 'string' ? ac.parent_program_id : undefined,
          },
          requestId: typeof v.request_id === 'string' ? v.request_id : undefined,
          model: typeof v.model === 'string' ? v.model : undefined,
        });
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        ctx.problems.push({ file: ctx.file, line: e.line, field: e.field, message: e.message });
      }
    }
    if (!calls.length && seen === 0) return [];
    const trajs: Trajectory[] = reconstructConversations(calls, { idPrefix: basename(ctx.file).replace(/\.jsonl?$/, ''), source: { kind: 'dynamo' } });
    return trajs;
  },
};
