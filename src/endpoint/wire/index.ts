/** The four wire APIs behind one client model (see types.ts for the timing rules they share). */
import type { CompletionRequest, Usage } from '../types.js';
import { chatBody, chatParser, normalizeChatRequest, normalizeChatResponse } from './chat.js';
import { ANTHROPIC_VERSION, messagesBody, messagesParser, normalizeMessagesRequest, normalizeMessagesResponse } from './messages.js';
import { normalizeResponsesRequest, normalizeResponsesResponse, responsesBody, responsesParser } from './responses.js';
import type { NormalizedRequest, NormalizedResponse, OutputKind, WireApi, WireEventParser, WireMessage, WireSink } from './types.js';

export * from './types.js';
export { ANTHROPIC_VERSION, finishToStop, stopToFinish, toMessagesInput } from './messages.js';
export { toResponsesInput, responsesUsage } from './responses.js';

export interface WireAdapter {
  api: WireApi;
  /** Path below the server root. */
  path: string;
  body(req: CompletionRequest, model: string): Record<string, unknown>;
  /** A parser for one request's stream. */
  parser(): WireEventParser;
}

export const WIRE: Record<WireApi, WireAdapter> = {
  chat: { api: 'chat', path: '/v1/chat/completions', body: chatBody, parser: () => chatParser },
  completions: { api: 'completions', path: '/v1/completions', body: chatBody, parser: () => chatParser },
  responses: { api: 'responses', path: '/v1/responses', body: responsesBody, parser: responsesParser },
  messages: { api: 'messages', path: '/v1/messages', body: messagesBody, parser: messagesParser },
};

/** Request headers an API needs beyond JSON + SSE, given the key (or null). */
export function authHeaders(api: WireApi, key: string | null): Record<string, string> {
  if (api === 'messages') return { 'anthropic-version': ANTHROPIC_VERSION, ...(key ? { 'x-api-key': key } : {}) };
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Which API a request path speaks (…/v1/chat/completions, …/v1/responses, …/v1/messages), or null. */
export function apiOfPath(path: string): WireApi | null {
  const p = path.split('?')[0].replace(/\/+$/, '');
  if (p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/completions')) return 'completions';
  if (p.endsWith('/responses')) return 'responses';
  if (p.endsWith('/messages')) return 'messages';
  return null;
}

export function normalizeRequest(api: WireApi, body: Record<string, unknown>): NormalizedRequest {
  if (api === 'responses') return normalizeResponsesRequest(body);
  if (api === 'messages') return normalizeMessagesRequest(body);
  return normalizeChatRequest(body, api);
}

export function normalizeResponse(api: WireApi, json: unknown): NormalizedResponse {
  if (api === 'responses') return normalizeResponsesResponse(json);
  if (api === 'messages') return normalizeMessagesResponse(json);
  return normalizeChatResponse(json);
}

/**
 * Builds the assistant message of a stream from its events, with the same parser the client uses
 * (the recording proxy's view of a response).
 */
export class WireAccumulator implements WireSink {
  text = '';
  reasoning = '';
  readonly calls: NonNullable<WireMessage['tool_calls']> = [];
  lastUsage: Usage | null = null;
  finishReason: string | undefined;
  sawDone = false;
  errored: unknown = undefined;
  /** Set by the owner: called once, on the first output-carrying event. */
  onFirstOutput?: (kind: OutputKind) => void;
  private first = true;
  private readonly parser: WireEventParser;

  constructor(readonly api: WireApi) {
    this.parser = WIRE[api].parser();
  }

  /** Feed one parsed `data:` payload. */
  feed(obj: unknown): void {
    if (obj && typeof obj === 'object') this.parser.event(obj, this);
  }

  output(kind: OutputKind, text: string | null): void {
    if (this.first) {
      this.first = false;
      this.onFirstOutput?.(kind);
    }
    if (text === null) return;
    if (kind === 'content') this.text += text;
    else if (kind === 'reasoning') this.reasoning += text;
    else if (this.calls.length) this.calls[this.calls.length - 1].function.arguments += text;
  }
  toolStart(id: string, name: string): void {
    this.calls.push({ id, type: 'function', function: { name, arguments: '' } });
  }
  usage(u: Usage): void {
    this.lastUsage = u;
  }
  finish(reason: string): void {
    this.finishReason = reason;
  }
  done(): void {
    this.sawDone = true;
  }
  error(e: unknown): void {
    this.errored ??= e;
  }

  result(keepContent: boolean): NormalizedResponse {
    const u = this.lastUsage;
    return {
      message: {
        role: 'assistant',
        content: keepContent ? this.text : null,
        ...(this.calls.length ? { tool_calls: this.calls.map((c) => (keepContent ? c : { ...c, function: { name: c.function.name, arguments: '' } })) } : {}),
        ...(keepContent && this.reasoning ? { reasoning_content: this.reasoning } : {}),
      },
      finishReason: this.finishReason,
      usage: u ? { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, ...(u.cachedTokens !== null ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}) } : undefined,
    };
  }
}
