/**
 * The usage each API reports, from a JSON body or from its stream events, as prompt + completion
 * tokens. Anthropic's input_tokens leave out cache reads and writes, which still fill the context,
 * so they are added; Responses and chat already include cached tokens in the prompt count.
 */
import type { UsageReport } from './ops.js';
import type { ProxyApi } from './proxy-apis.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Usage object of one API as a report; null when incomplete. */
export function usageOf(api: ProxyApi, u: unknown): UsageReport | null {
  const o = obj(u);
  if (!o) return null;
  if (api === 'responses') {
    const p = num(o.input_tokens), c = num(o.output_tokens);
    return p === undefined || c === undefined ? null : { promptTokens: p, completionTokens: c, cachedTokens: num(obj(o.input_tokens_details)?.cached_tokens) ?? null };
  }
  if (api === 'messages') {
    const p = num(o.input_tokens), c = num(o.output_tokens);
    if (p === undefined || c === undefined) return null;
    const read = num(o.cache_read_input_tokens) ?? 0, write = num(o.cache_creation_input_tokens) ?? 0;
    return { promptTokens: p + read + write, completionTokens: c, cachedTokens: read };
  }
  const p = num(o.prompt_tokens);
  const c = api === 'embeddings' ? (num(o.completion_tokens) ?? 0) : num(o.completion_tokens);
  return p === undefined || c === undefined ? null : { promptTokens: p, completionTokens: c, cachedTokens: num(obj(o.prompt_tokens_details)?.cached_tokens) ?? null };
}

/** Usage and response id of a whole JSON response body. */
export function usageOfBody(api: ProxyApi, body: unknown): { usage: UsageReport | null; responseId: string | null } {
  const o = obj(body);
  return { usage: usageOf(api, o?.usage), responseId: api === 'responses' && typeof o?.id === 'string' ? o.id : null };
}

/** Follows a stream's events; `usage` is what the last complete report said. */
export class StreamUsage {
  usage: UsageReport | null = null;
  responseId: string | null = null;
  /** Anthropic: message_start's input counts wait for message_delta's output count. */
  private anthropicStart: Record<string, unknown> | null = null;
  constructor(private readonly api: ProxyApi) {}

  event(data: string): void {
    if (data === '[DONE]' || data === '') return;
    let ev: Record<string, unknown> | undefined;
    try {
      ev = obj(JSON.parse(data));
    } catch {
      return; // not JSON: passed through, counted by nobody
    }
    if (!ev) return;
    if (this.api === 'responses') {
      const r = obj(ev.response);
      if (r && typeof r.id === 'string') this.responseId = r.id;
      const u = usageOf('responses', r?.usage);
      if (u) this.usage = u;
      return;
    }
    if (this.api === 'messages') {
      if (ev.type === 'message_start') {
        this.anthropicStart = obj(obj(ev.message)?.usage) ?? {};
        return;
      }
      if (ev.type === 'message_delta' && this.anthropicStart) {
        // message_delta's usage is cumulative and may repeat (newer API) the input counts.
        const u = usageOf('messages', { ...this.anthropicStart, ...obj(ev.usage) });
        if (u) this.usage = u;
      }
      return;
    }
    const u = usageOf(this.api, ev.usage);
    if (u) this.usage = u;
  }
}
