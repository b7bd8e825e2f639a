/**
 * The Anthropic Messages API (`POST /v1/messages`): `message_start` (input usage), per block
 * `content_block_start` / `content_block_delta` (text_delta, thinking_delta, input_json_delta,
 * signature_delta) / `content_block_stop`, `message_delta` (stop_reason, cumulative usage),
 * `message_stop`, `ping`, `error`. Field names follow `@anthropic-ai/sdk`'s RawMessageStreamEvent.
 * Anthropic's `input_tokens` excludes cache reads and writes: the prompt is their sum.
 */
import type { CompletionRequest, Usage } from '../types.js';
import type { NormalizedRequest, NormalizedResponse, WireEventParser, WireMessage, WireSink } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Chat messages as a Messages body's `system` + `messages` (tool results are user tool_result blocks). */
export function toMessagesInput(messages: readonly { role: string; content: unknown; [k: string]: unknown }[]): { system?: string; messages: unknown[] } {
  const sys: string[] = [];
  const out: { role: 'user' | 'assistant'; content: unknown[] }[] = [];
  const push = (role: 'user' | 'assistant', block: unknown) => {
    const last = out[out.length - 1];
    if (last?.role === role) last.content.push(block);
    else out.push({ role, content: [block] });
  };
  for (const m of messages) {
    const text = typeof m.content === 'string' ? m.content : m.content == null ? '' : JSON.stringify(m.content);
    if (m.role === 'system') sys.push(text);
    else if (m.role === 'tool') push('user', { type: 'tool_result', tool_use_id: String(m.tool_call_id ?? ''), content: text });
    else if (m.role === 'assistant') {
      if (text) push('assistant', { type: 'text', text });
      for (const t of (m.tool_calls ?? []) as { id?: string; function?: { name?: string; arguments?: string } }[]) {
        let input: unknown = {};
        try {
          input = JSON.parse(t.function?.arguments || '{}');
        } catch {
          input = { raw: t.function?.arguments };
        }
        push('assistant', { type: 'tool_use', id: String(t.id ?? ''), name: String(t.function?.name ?? 'tool'), input });
      }
    } else push('user', { type: 'text', text });
  }
  return { ...(sys.length ? { system: sys.join('\n\n') } : {}), messages: out };
}

export function messagesBody(req: CompletionRequest, model: string): Record<string, unknown> {
  const messages = req.messages ?? [{ role: 'user' as const, content: String(req.prompt ?? '') }];
  return { model, ...toMessagesInput(messages), max_tokens: req.maxTokens, stream: true };
}

export function stopToFinish(stop: unknown): string {
  if (stop === 'end_turn' || stop === 'stop_sequence') return 'stop';
  if (stop === 'max_tokens') return 'length';
  if (stop === 'tool_use') return 'tool_calls';
  return String(stop);
}

export function finishToStop(fr: string | null | undefined): string {
  if (fr === 'length') return 'max_tokens';
  if (fr === 'tool_calls') return 'tool_use';
  return 'end_turn';
}

interface Counts {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  cacheSeen: boolean;
}

const usageOf = (c: Counts): Usage => ({ promptTokens: c.input + c.cacheRead + c.cacheWrite, completionTokens: c.output, cachedTokens: c.cacheSeen ? c.cacheRead : null });

function take(c: Counts, u: any): void {
  if (!u || typeof u !== 'object') return;
  if (typeof u.input_tokens === 'number') c.input = u.input_tokens;
  if (typeof u.output_tokens === 'number') c.output = u.output_tokens;
  if (typeof u.cache_read_input_tokens === 'number') (c.cacheRead = u.cache_read_input_tokens), (c.cacheSeen = true);
  if (typeof u.cache_creation_input_tokens === 'number') c.cacheWrite = u.cache_creation_input_tokens;
}

/** Per request: usage is cumulative across message_start and message_delta; tool_use announcements wait for their first delta. */
export function messagesParser(): WireEventParser {
  const c: Counts = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, cacheSeen: false };
  const announced = new Set<number>();
  return {
    event(obj: any, sink: WireSink): void {
      switch (obj.type) {
        case 'message_start':
          take(c, obj.message?.usage);
          return;
        case 'content_block_start': {
          const b = obj.content_block;
          if (b?.type === 'tool_use' || b?.type === 'server_tool_use') {
            announced.add(Number(obj.index));
            sink.toolStart?.(String(b.id ?? ''), String(b.name ?? 'tool'));
          } else if (b?.type === 'text' && typeof b.text === 'string' && b.text) sink.output('content', b.text);
          else if (b?.type === 'thinking' && typeof b.thinking === 'string' && b.thinking) sink.output('reasoning', b.thinking);
          return;
        }
        case 'content_block_delta': {
          const d = obj.delta;
          if (d?.type === 'text_delta' && d.text) sink.output('content', d.text);
          else if (d?.type === 'thinking_delta' && d.thinking) sink.output('reasoning', d.thinking);
          else if (d?.type === 'input_json_delta' && d.partial_json) {
            announced.delete(Number(obj.index));
            sink.output('tool', d.partial_json);
          }
          return;
        }
        case 'content_block_stop':
          if (announced.delete(Number(obj.index))) sink.output('tool', null);
          return;
        case 'message_delta':
          take(c, obj.usage);
          if (obj.delta?.stop_reason) sink.finish(stopToFinish(obj.delta.stop_reason));
          sink.usage(usageOf(c));
          return;
        case 'message_stop':
          sink.done();
          return;
        case 'error':
          sink.error(obj.error ?? obj);
          return;
        default:
      }
    },
  };
}

const blocksText = (c: unknown): string => {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((b: any) => (b?.type === 'text' ? b.text : '')).join('');
  return '';
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

export function normalizeMessagesRequest(body: Record<string, unknown>): NormalizedRequest {
  const messages: WireMessage[] = [];
  const sys = blocksText(body.system);
  if (sys) messages.push({ role: 'system', content: sys });
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as any[]) {
    if (!m || (m.role !== 'user' && m.role !== 'assistant')) continue;
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    const blocks: any[] = Array.isArray(m.content) ? m.content : [];
    if (m.role === 'assistant') {
      const text = blocks.filter((b) => b?.type === 'text').map((b) => b.text).join('');
      const thinking = blocks.filter((b) => b?.type === 'thinking').map((b) => b.thinking).join('');
      const calls = blocks.filter((b) => b?.type === 'tool_use').map((b) => ({ id: String(b.id), type: 'function' as const, function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) } }));
      messages.push({ role: 'assistant', content: calls.length && !text ? null : text, ...(calls.length ? { tool_calls: calls } : {}), ...(thinking ? { reasoning_content: thinking } : {}) });
    } else {
      // Tool results first (they answer the previous assistant turn), then the user's own text.
      for (const b of blocks) if (b?.type === 'tool_result') messages.push({ role: 'tool', tool_call_id: String(b.tool_use_id), content: blocksText(b.content) });
      const text = blocks.filter((b) => b?.type === 'text').map((b) => b.text).join('');
      if (text || !blocks.some((b) => b?.type === 'tool_result')) messages.push({ role: 'user', content: text });
    }
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as any[]).filter((t) => t?.name && (t.type === undefined || t.type === 'custom')).map((t) => ({ type: 'function' as const, function: { name: String(t.name), description: t.description, parameters: t.input_schema } }))
    : [];
  const tc = body.tool_choice as any;
  const toolChoice = !tc ? undefined : tc.type === 'any' ? 'required' : tc.type === 'none' ? 'none' : tc.type === 'tool' ? { type: 'function', function: { name: tc.name } } : 'auto';
  const th = body.thinking as any;
  return {
    api: 'messages',
    messages,
    maxTokens: num(body.max_tokens),
    stream: body.stream === true,
    tools,
    toolChoice,
    ...(th?.type === 'enabled' && typeof th.budget_tokens === 'number' ? { reasoningBudget: th.budget_tokens } : {}),
  };
}

export function normalizeMessagesResponse(j: any): NormalizedResponse {
  const blocks: any[] = Array.isArray(j?.content) ? j.content : [];
  const text = blocks.filter((b) => b?.type === 'text').map((b) => b.text).join('');
  const thinking = blocks.filter((b) => b?.type === 'thinking').map((b) => b.thinking).join('');
  const calls = blocks.filter((b) => b?.type === 'tool_use').map((b) => ({ id: String(b.id), type: 'function' as const, function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) } }));
  const c: Counts = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, cacheSeen: false };
  take(c, j?.usage);
  const u = usageOf(c);
  return {
    message: { role: 'assistant', content: calls.length && !text ? null : text, ...(calls.length ? { tool_calls: calls } : {}), ...(thinking ? { reasoning_content: thinking } : {}) },
    finishReason: j?.stop_reason ? stopToFinish(j.stop_reason) : undefined,
    usage: j?.usage ? { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, ...(u.cachedTokens !== null ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}) } : undefined,
    model: j?.model,
  };
}
