/** OpenAI chat completions and completions: `choices[].delta` / `choices[].text` chunks, `[DONE]`. */
import { AgentdynoError } from '../../core/index.js';
import type { CompletionRequest } from '../types.js';
import type { NormalizedRequest, NormalizedResponse, WireEventParser, WireMessage, WireSink } from './types.js';

export function chatBody(req: CompletionRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, stream: true, stream_options: { include_usage: true }, max_tokens: req.maxTokens };
  if (req.api === 'chat') {
    if (!req.messages) throw new AgentdynoError('chat request without messages', { code: 'E_INTERNAL', where: `request ${req.requestId ?? ''}`.trim() });
    body.messages = req.messages;
    body.max_completion_tokens = req.maxTokens;
  } else {
    if (req.prompt === undefined) throw new AgentdynoError('completions request without prompt', { code: 'E_INTERNAL', where: `request ${req.requestId ?? ''}`.trim() });
    body.prompt = req.prompt;
  }
  return body;
}

/** Stateless: every chunk says all it means. One piece per choice that carried output. */
export const chatParser: WireEventParser = {
  event(obj: any, sink: WireSink): void {
    const choices = obj.choices;
    if (Array.isArray(choices)) {
      for (let i = 0; i < choices.length; i++) {
        const c = choices[i];
        if (!c) continue;
        const d = c.delta;
        if (d) {
          if (typeof d.content === 'string' && d.content.length > 0) sink.output('content', d.content);
          else if (Array.isArray(d.tool_calls) && d.tool_calls.length > 0) {
            if (sink.toolStart) for (const t of d.tool_calls) if (t?.function?.name) sink.toolStart(String(t.id ?? ''), String(t.function.name));
            sink.output('tool', d.tool_calls.map((t: any) => t?.function?.arguments ?? '').join(''));
          } else if (d.reasoning_content || d.reasoning) sink.output('reasoning', String(d.reasoning_content || d.reasoning));
        } else if (typeof c.text === 'string' && c.text.length > 0) sink.output('content', c.text);
        if (c.finish_reason) sink.finish(String(c.finish_reason));
      }
    }
    const u = obj.usage;
    if (u && typeof u === 'object') {
      const cached = u.prompt_tokens_details?.cached_tokens;
      const reasoning = u.completion_tokens_details?.reasoning_tokens;
      sink.usage({
        promptTokens: Number(u.prompt_tokens ?? 0),
        completionTokens: Number(u.completion_tokens ?? 0),
        cachedTokens: typeof cached === 'number' ? cached : null,
        ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
      });
    }
  },
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

/** A chat or completions request body as the common model (already chat: a light copy). */
export function normalizeChatRequest(body: Record<string, unknown>, api: 'chat' | 'completions'): NormalizedRequest {
  const tools = Array.isArray(body.tools) ? (body.tools as NormalizedRequest['tools']) : [];
  return {
    api,
    messages: api === 'chat' && Array.isArray(body.messages) ? (body.messages as WireMessage[]) : [],
    ...(api === 'completions' ? { prompt: body.prompt } : {}),
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    stream: body.stream === true,
    tools,
    toolChoice: body.tool_choice,
  };
}

export function normalizeChatResponse(j: any): NormalizedResponse {
  const ch = j?.choices?.[0];
  const m = ch?.message ?? (typeof ch?.text === 'string' ? { role: 'assistant', content: ch.text } : { role: 'assistant', content: null });
  return { message: m as WireMessage, finishReason: ch?.finish_reason ?? undefined, usage: j?.usage, model: j?.model };
}
