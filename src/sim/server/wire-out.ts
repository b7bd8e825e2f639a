/**
 * The simulator speaks the Responses and Messages APIs by translating the chat chunks its one
 * engine path produces (completion.ts) into those APIs' events, chunk by chunk, so every API sees
 * the same token timing. Event and field names follow the `openai` package's ResponseStreamEvent
 * and `@anthropic-ai/sdk`'s RawMessageStreamEvent; the tests drive both SDKs through it.
 */
import { randomBytes } from 'node:crypto';
import { finishToStop } from '../../endpoint/index.js';

/** One SSE event to write: its `event:` name and its data object. */
export type NamedEvent = [name: string, data: unknown];

export interface WireOut {
  readonly api: 'responses' | 'messages';
  /** The engine admitted the request (first event): prompt and cache counts are known. */
  begin(promptTokens: number, cachedTokens: number): NamedEvent[];
  readonly begun: boolean;
  /** One chat chunk (`chat.completion.chunk` or the usage-only chunk). */
  chunk(obj: any): NamedEvent[];
  /** End of stream (instead of `[DONE]`). */
  end(): NamedEvent[];
  /** A whole `chat.completion` as this API's non-streamed body. */
  whole(out: any): unknown;
}

const hex = (n: number) => randomBytes(n).toString('hex');

interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

type Kind = 'reasoning' | 'content' | 'tool';

/** `toolIndex`: the chat delta's tool_calls[].index: parallel calls are separate items/blocks. */
function kindOf(delta: any): { kind: Kind; text: string; toolIndex?: number; tool?: { id: string; name: string } } | null {
  if (!delta) return null;
  if (typeof delta.reasoning_content === 'string') return { kind: 'reasoning', text: delta.reasoning_content };
  if (typeof delta.content === 'string' && delta.content) return { kind: 'content', text: delta.content };
  const t = Array.isArray(delta.tool_calls) ? delta.tool_calls[0] : undefined;
  if (t) return { kind: 'tool', text: String(t.function?.arguments ?? ''), toolIndex: Number(t.index ?? 0), ...(t.function?.name ? { tool: { id: String(t.id), name: String(t.function.name) } } : {}) };
  return null;
}

/** OpenAI Responses API. */
export function responsesOut(o: { model: string; reasoningTokens: number }): WireOut {
  const id = `resp_${hex(12)}`;
  const created = Math.floor(Date.now() / 1000);
  let seq = 0;
  let begun = false;
  let usage: ChatUsage | null = null;
  let finish: string | null = null;
  const output: any[] = [];
  let cur: { kind: Kind; item: any; text: string; toolIndex?: number } | null = null;
  const ev = (type: string, fields: Record<string, unknown>): NamedEvent => [type, { type, sequence_number: seq++, ...fields }];
  const base = (status: string, out: any[], u: ChatUsage | null) => ({
    id, object: 'response', created_at: created, status, model: o.model, output: out, output_text: undefined,
    error: null, incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null, metadata: {}, parallel_tool_calls: true, temperature: 1, top_p: 1, tool_choice: 'auto', tools: [],
    usage: u ? responsesUsage(u, o.reasoningTokens) : null,
  });
  const close = (): NamedEvent[] => {
    if (!cur) return [];
    const c = cur;
    cur = null;
    const i = output.length - 1;
    const item = c.item;
    if (c.kind === 'reasoning') {
      item.content = [{ type: 'reasoning_text', text: c.text }];
      return [
        ev('response.reasoning_text.done', { item_id: item.id, output_index: i, content_index: 0, text: c.text }),
        ev('response.content_part.done', { item_id: item.id, output_index: i, content_index: 0, part: { type: 'reasoning_text', text: c.text } }),
        ev('response.output_item.done', { output_index: i, item }),
      ];
    }
    if (c.kind === 'content') {
      const part = { type: 'output_text', text: c.text, annotations: [], logprobs: [] };
      item.content = [part];
      item.status = 'completed';
      return [
        ev('response.output_text.done', { item_id: item.id, output_index: i, content_index: 0, text: c.text, logprobs: [] }),
        ev('response.content_part.done', { item_id: item.id, output_index: i, content_index: 0, part }),
        ev('response.output_item.done', { output_index: i, item }),
      ];
    }
    item.arguments = c.text;
    item.status = 'completed';
    return [ev('response.function_call_arguments.done', { item_id: item.id, output_index: i, name: item.name, arguments: c.text }), ev('response.output_item.done', { output_index: i, item })];
  };
  const open = (k: { kind: Kind; toolIndex?: number; tool?: { id: string; name: string } }): NamedEvent[] => {
    const i = output.length;
    let item: any;
    const evs: NamedEvent[] = [];
    if (k.kind === 'reasoning') {
      item = { type: 'reasoning', id: `rs_${hex(8)}`, summary: [], content: [] };
      output.push(item);
      evs.push(ev('response.output_item.added', { output_index: i, item: { ...item, content: [] } }));
      evs.push(ev('response.content_part.added', { item_id: item.id, output_index: i, content_index: 0, part: { type: 'reasoning_text', text: '' } }));
    } else if (k.kind === 'content') {
      item = { type: 'message', id: `msg_${hex(8)}`, status: 'in_progress', role: 'assistant', content: [] };
      output.push(item);
      evs.push(ev('response.output_item.added', { output_index: i, item: { ...item, content: [] } }));
      evs.push(ev('response.content_part.added', { item_id: item.id, output_index: i, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }));
    } else {
      item = { type: 'function_call', id: `fc_${hex(8)}`, call_id: k.tool?.id ?? `call_${hex(6)}`, name: k.tool?.name ?? 'tool', arguments: '', status: 'in_progress' };
      output.push(item);
      evs.push(ev('response.output_item.added', { output_index: i, item: { ...item } }));
    }
    cur = { kind: k.kind, item, text: '', toolIndex: k.toolIndex };
    return evs;
  };
  const finalStatus = () => (finish === 'length' || finish === 'abort' ? 'incomplete' : 'completed');
  return {
    api: 'responses',
    get begun() {
      return begun;
    },
    begin() {
      begun = true;
      const r = base('in_progress', [], null);
      return [ev('response.created', { response: r }), ev('response.in_progress', { response: r })];
    },
    chunk(obj) {
      if (obj.usage) usage = obj.usage;
      const ch = obj.choices?.[0];
      if (!ch) return [];
      if (ch.finish_reason) finish = ch.finish_reason;
      const k = kindOf(ch.delta);
      if (!k) return [];
      const evs: NamedEvent[] = [];
      if (!cur || cur.kind !== k.kind || cur.toolIndex !== k.toolIndex) evs.push(...close(), ...open(k));
      const c = cur!;
      c.text += k.text;
      const i = output.length - 1;
      if (k.text) {
        if (k.kind === 'reasoning') evs.push(ev('response.reasoning_text.delta', { item_id: c.item.id, output_index: i, content_index: 0, delta: k.text }));
        else if (k.kind === 'content') evs.push(ev('response.output_text.delta', { item_id: c.item.id, output_index: i, content_index: 0, delta: k.text, logprobs: [] }));
        else evs.push(ev('response.function_call_arguments.delta', { item_id: c.item.id, output_index: i, delta: k.text }));
      }
      return evs;
    },
    end() {
      const evs = close();
      const status = finalStatus();
      evs.push(ev(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: base(status, output, usage) }));
      return evs;
    },
    whole(out) {
      const m = out.choices?.[0]?.message ?? {};
      finish = out.choices?.[0]?.finish_reason ?? null;
      const items: any[] = [];
      if (m.reasoning_content) items.push({ type: 'reasoning', id: `rs_${hex(8)}`, summary: [], content: [{ type: 'reasoning_text', text: m.reasoning_content }] });
      if (typeof m.content === 'string') items.push({ type: 'message', id: `msg_${hex(8)}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: m.content, annotations: [], logprobs: [] }] });
      for (const t of m.tool_calls ?? []) items.push({ type: 'function_call', id: `fc_${hex(8)}`, call_id: t.id, name: t.function.name, arguments: t.function.arguments, status: 'completed' });
      const r = base(finalStatus(), items, out.usage ?? null);
      return { ...r, output_text: items.filter((x) => x.type === 'message').map((x) => x.content[0].text).join('') };
    },
  };
}

function responsesUsage(u: ChatUsage, reasoningTokens: number) {
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: Math.min(reasoningTokens, u.completion_tokens) },
    total_tokens: u.prompt_tokens + u.completion_tokens,
  };
}

/** Anthropic Messages API. Cache reads are reported apart from `input_tokens`, as Anthropic does. */
export function messagesOut(o: { model: string }): WireOut {
  const id = `msg_${hex(12)}`;
  let begun = false;
  let usage: ChatUsage | null = null;
  let finish: string | null = null;
  let prompt = 0;
  let cached = 0;
  let index = -1;
  let cur: Kind | null = null;
  let curToolIndex: number | undefined;
  const ev = (type: string, fields: Record<string, unknown>): NamedEvent => [type, { type, ...fields }];
  const close = (): NamedEvent[] => {
    if (cur === null) return [];
    const evs: NamedEvent[] = [];
    if (cur === 'reasoning') evs.push(ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: `sim-${hex(8)}` } }));
    evs.push(ev('content_block_stop', { index }));
    cur = null;
    return evs;
  };
  const open = (k: { kind: Kind; toolIndex?: number; tool?: { id: string; name: string } }): NamedEvent[] => {
    index++;
    cur = k.kind;
    curToolIndex = k.toolIndex;
    const block =
      k.kind === 'reasoning' ? { type: 'thinking', thinking: '', signature: '' }
      : k.kind === 'content' ? { type: 'text', text: '', citations: null }
      : { type: 'tool_use', id: `toolu_${(k.tool?.id ?? hex(6)).replace(/^call_/, '')}`, name: k.tool?.name ?? 'tool', input: {} };
    return [ev('content_block_start', { index, content_block: block })];
  };
  const usageBody = (u: ChatUsage) => {
    const c = u.prompt_tokens_details?.cached_tokens ?? 0;
    return { input_tokens: u.prompt_tokens - c, cache_creation_input_tokens: 0, cache_read_input_tokens: c, output_tokens: u.completion_tokens };
  };
  return {
    api: 'messages',
    get begun() {
      return begun;
    },
    begin(promptTokens, cachedTokens) {
      begun = true;
      prompt = promptTokens;
      cached = cachedTokens;
      const message = {
        id, type: 'message', role: 'assistant', model: o.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: prompt - cached, cache_creation_input_tokens: 0, cache_read_input_tokens: cached, output_tokens: 0 },
      };
      return [ev('message_start', { message }), ['ping', { type: 'ping' }]];
    },
    chunk(obj) {
      if (obj.usage) usage = obj.usage;
      const ch = obj.choices?.[0];
      if (!ch) return [];
      if (ch.finish_reason) finish = ch.finish_reason;
      const k = kindOf(ch.delta);
      if (!k) return [];
      const evs: NamedEvent[] = [];
      if (cur !== k.kind || curToolIndex !== k.toolIndex) evs.push(...close(), ...open(k));
      if (k.text) {
        const delta = k.kind === 'reasoning' ? { type: 'thinking_delta', thinking: k.text } : k.kind === 'content' ? { type: 'text_delta', text: k.text } : { type: 'input_json_delta', partial_json: k.text };
        evs.push(ev('content_block_delta', { index, delta }));
      }
      return evs;
    },
    end() {
      const evs = close();
      evs.push(ev('message_delta', { delta: { stop_reason: finishToStop(finish), stop_sequence: null }, usage: usage ? usageBody(usage) : { output_tokens: 0 } }));
      evs.push(ev('message_stop', {}));
      return evs;
    },
    whole(out) {
      const m = out.choices?.[0]?.message ?? {};
      const content: unknown[] = [];
      if (m.reasoning_content) content.push({ type: 'thinking', thinking: m.reasoning_content, signature: `sim-${hex(8)}` });
      if (typeof m.content === 'string') content.push({ type: 'text', text: m.content, citations: null });
      for (const t of m.tool_calls ?? []) {
        let input: unknown = {};
        try {
          input = JSON.parse(t.function.arguments || '{}');
        } catch {
          input = { raw: t.function.arguments };
        }
        content.push({ type: 'tool_use', id: `toolu_${String(t.id).replace(/^call_/, '')}`, name: t.function.name, input });
      }
      return { id, type: 'message', role: 'assistant', model: o.model, content, stop_reason: finishToStop(out.choices?.[0]?.finish_reason), stop_sequence: null, usage: out.usage ? usageBody(out.usage) : undefined };
    },
  };
}
