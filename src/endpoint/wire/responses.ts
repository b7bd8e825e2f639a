/**
 * The OpenAI Responses API (`POST /v1/responses`): typed SSE events (`response.created`,
 * `response.output_item.added`, `response.output_text.delta`, `response.reasoning_text.delta`,
 * `response.reasoning_summary_text.delta`, `response.function_call_arguments.delta`,
 * `response.completed` / `response.incomplete` with `usage.input_tokens_details.cached_tokens`).
 * Field names follow the `openai` package's ResponseStreamEvent types.
 */
import type { CompletionRequest } from '../types.js';
import type { NormalizedRequest, NormalizedResponse, WireEventParser, WireMessage, WireSink } from './types.js';

/** Chat messages as Responses input items (tool calls and results become function_call items). */
export function toResponsesInput(messages: readonly { role: string; content: unknown; [k: string]: unknown }[]): unknown[] {
  const items: unknown[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      items.push({ type: 'function_call_output', call_id: String(m.tool_call_id ?? ''), output: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) });
      continue;
    }
    const text = typeof m.content === 'string' ? m.content : m.content == null ? '' : JSON.stringify(m.content);
    if (text || !Array.isArray(m.tool_calls)) items.push({ type: 'message', role: m.role, content: text });
    if (Array.isArray(m.tool_calls))
      for (const t of m.tool_calls as { id?: string; function?: { name?: string; arguments?: string } }[])
        items.push({ type: 'function_call', call_id: String(t.id ?? ''), name: String(t.function?.name ?? 'tool'), arguments: String(t.function?.arguments ?? '{}') });
  }
  return items;
}

export function responsesBody(req: CompletionRequest, model: string): Record<string, unknown> {
  const messages = req.messages ?? [{ role: 'user' as const, content: String(req.prompt ?? '') }];
  return { model, input: toResponsesInput(messages), stream: true, max_output_tokens: req.maxTokens, store: false };
}

/** Responses usage -> the client's Usage. input_tokens already includes the cached ones. */
export function responsesUsage(u: any): { promptTokens: number; completionTokens: number; cachedTokens: number | null; reasoningTokens?: number } {
  const cached = u?.input_tokens_details?.cached_tokens;
  const reasoning = u?.output_tokens_details?.reasoning_tokens;
  return {
    promptTokens: Number(u?.input_tokens ?? 0),
    completionTokens: Number(u?.output_tokens ?? 0),
    cachedTokens: typeof cached === 'number' ? cached : null,
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
  };
}

function finishOf(resp: any): string {
  if (resp?.status === 'incomplete') return resp?.incomplete_details?.reason === 'max_output_tokens' ? 'length' : String(resp?.incomplete_details?.reason ?? 'incomplete');
  const out = Array.isArray(resp?.output) ? resp.output : [];
  return out.some((o: any) => o?.type === 'function_call') ? 'tool_calls' : 'stop';
}

/**
 * Per request: a function_call item's announcement (`output_item.added`) is held until its first
 * argument delta, so one generated token is one event; an announcement never followed by a delta
 * counts when the item is done.
 */
export function responsesParser(): WireEventParser {
  const announced = new Set<number>();
  return {
    event(obj: any, sink: WireSink): void {
      switch (obj.type) {
        case 'response.output_text.delta':
        case 'response.refusal.delta':
          if (typeof obj.delta === 'string' && obj.delta.length > 0) sink.output('content', obj.delta);
          return;
        case 'response.reasoning_text.delta':
        case 'response.reasoning_summary_text.delta':
          if (typeof obj.delta === 'string' && obj.delta.length > 0) sink.output('reasoning', obj.delta);
          return;
        case 'response.output_item.added':
          if (obj.item?.type === 'function_call') {
            announced.add(Number(obj.output_index));
            sink.toolStart?.(String(obj.item.call_id ?? obj.item.id ?? ''), String(obj.item.name ?? 'tool'));
          }
          return;
        case 'response.function_call_arguments.delta':
          announced.delete(Number(obj.output_index));
          if (typeof obj.delta === 'string' && obj.delta.length > 0) sink.output('tool', obj.delta);
          return;
        case 'response.output_item.done':
          if (announced.delete(Number(obj.output_index))) sink.output('tool', null);
          return;
        case 'response.completed':
        case 'response.incomplete':
          if (obj.response?.usage) sink.usage(responsesUsage(obj.response.usage));
          sink.finish(finishOf(obj.response));
          sink.done();
          return;
        case 'response.failed':
          sink.error(obj.response?.error ?? { message: 'response.failed' });
          return;
        case 'error':
          sink.error({ message: obj.message, code: obj.code });
          return;
        default:
      }
    },
  };
}

const textOf = (c: unknown): string => {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p: any) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : '')).join('');
  return c == null ? '' : JSON.stringify(c);
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

export function normalizeResponsesRequest(body: Record<string, unknown>): NormalizedRequest {
  const messages: WireMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions) messages.push({ role: 'system', content: body.instructions });
  const input = body.input;
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) {
    // Consecutive output items (reasoning, assistant text, function calls) are one assistant turn.
    let turn: WireMessage | null = null;
    const assistant = (): WireMessage => {
      if (!turn) messages.push((turn = { role: 'assistant', content: null }));
      return turn;
    };
    for (const it of input as any[]) {
      if (!it || typeof it !== 'object') continue;
      const type = it.type ?? (it.role ? 'message' : undefined);
      if (type === 'message' && it.role === 'assistant') {
        const m = assistant();
        m.content = (m.content ?? '') + textOf(it.content);
      } else if (type === 'function_call') {
        const m = assistant();
        (m.tool_calls ??= []).push({ id: String(it.call_id ?? it.id ?? ''), type: 'function', function: { name: String(it.name ?? 'tool'), arguments: String(it.arguments ?? '') } });
      } else if (type === 'reasoning') {
        const t = textOf(it.summary) || textOf(it.content);
        const m = assistant();
        if (t) m.reasoning_content = (m.reasoning_content ?? '') + t;
      } else if (type === 'message') {
        turn = null;
        const role = it.role === 'developer' ? 'system' : it.role;
        if (role === 'system' || role === 'user') messages.push({ role, content: textOf(it.content) });
      } else if (type === 'function_call_output') {
        turn = null;
        messages.push({ role: 'tool', tool_call_id: String(it.call_id ?? ''), content: textOf(it.output) });
      }
    }
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as any[]).filter((t) => t?.type === 'function').map((t) => ({ type: 'function' as const, function: { name: String(t.name), description: t.description, parameters: t.parameters } }))
    : [];
  const tc = body.tool_choice as any;
  const toolChoice = tc && typeof tc === 'object' && tc.type === 'function' ? { type: 'function', function: { name: tc.name } } : tc;
  const effort = (body.reasoning as any)?.effort;
  return {
    api: 'responses',
    messages,
    maxTokens: num(body.max_output_tokens),
    stream: body.stream === true,
    tools,
    toolChoice,
    ...(typeof effort === 'string' && effort !== 'none' && effort !== 'minimal' ? { reasoningBudget: effort === 'high' ? 256 : effort === 'low' ? 16 : 64 } : {}),
  };
}

export function normalizeResponsesResponse(j: any): NormalizedResponse {
  const out = Array.isArray(j?.output) ? j.output : [];
  let text = '';
  let reasoning = '';
  const calls: NonNullable<WireMessage['tool_calls']> = [];
  for (const o of out) {
    if (o?.type === 'message') text += (o.content ?? []).map((c: any) => (c?.type === 'output_text' ? c.text : c?.type === 'refusal' ? c.refusal : '')).join('');
    else if (o?.type === 'reasoning') reasoning += textOf(o.content) || textOf(o.summary);
    else if (o?.type === 'function_call') calls.push({ id: String(o.call_id ?? o.id ?? ''), type: 'function', function: { name: String(o.name), arguments: String(o.arguments ?? '') } });
  }
  const u = j?.usage ? responsesUsage(j.usage) : undefined;
  return {
    message: { role: 'assistant', content: calls.length && !text ? null : text, ...(calls.length ? { tool_calls: calls } : {}), ...(reasoning ? { reasoning_content: reasoning } : {}) },
    finishReason: finishOf(j),
    usage: u ? { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, ...(u.cachedTokens !== null ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}) } : undefined,
    model: j?.model,
  };
}
