/**
 * `/v1/responses` and `/v1/messages` on the simulator: the body is read into the chat model
 * (endpoint/wire), answered by the same engine path as chat completions, and written back in the
 * caller's API (wire-out.ts). Errors take each API's own error shape.
 */
import type { ServerResponse } from 'node:http';
import { normalizeRequest } from '../../endpoint/index.js';
import { handleCompletion, HttpError } from './completion.js';
import { messagesOut, responsesOut } from './wire-out.js';

type Ctx = Parameters<typeof handleCompletion>[0];

/** The chat-completions body the engine path reads, from a Responses or Messages body. */
export function chatBodyFrom(api: 'responses' | 'messages', body: Record<string, unknown>): Record<string, unknown> {
  const n = normalizeRequest(api, body);
  if (api === 'messages') {
    if (n.maxTokens === undefined) throw new HttpError(400, 'max_tokens: Field required');
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages: at least one message is required');
  }
  if (api === 'responses' && body.input === undefined) throw new HttpError(400, "Missing required parameter: 'input'.");
  const out: Record<string, unknown> = {
    model: body.model,
    messages: n.messages,
    stream: n.stream,
    stream_options: { include_usage: true },
    ...(n.maxTokens !== undefined ? { max_tokens: n.maxTokens } : {}),
    ...(n.tools.length ? { tools: n.tools } : {}),
    ...(n.toolChoice !== undefined ? { tool_choice: n.toolChoice } : {}),
  };
  // The simulator's own switches pass through under their names.
  for (const k of ['ignore_eos', 'min_tokens', 'sim_reasoning_tokens', 'sim_tool_call']) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

export function sendWireError(res: ServerResponse, api: 'responses' | 'messages', e: HttpError): void {
  if (res.headersSent) return void res.end();
  res.writeHead(e.status, { 'content-type': 'application/json', ...e.headers });
  if (api === 'messages') {
    const type = e.status === 429 ? 'rate_limit_error' : e.status === 404 ? 'not_found_error' : e.status >= 500 ? (e.status === 529 || e.status === 503 ? 'overloaded_error' : 'api_error') : 'invalid_request_error';
    res.end(JSON.stringify({ type: 'error', error: { type, message: e.message } }));
  } else res.end(JSON.stringify({ error: { message: e.message, type: e.type, param: null, code: e.status } }));
}

export function handleWire(ctx: Ctx, api: 'responses' | 'messages', body: Record<string, unknown>, res: ServerResponse): void {
  try {
    const chat = chatBodyFrom(api, body);
    const model = typeof body.model === 'string' && body.model ? body.model : ctx.profile.servedModelName;
    const reasoning = typeof body.sim_reasoning_tokens === 'number' ? body.sim_reasoning_tokens : (ctx.opts.reasoningTokens ?? 0);
    const wire = api === 'responses' ? responsesOut({ model, reasoningTokens: reasoning }) : messagesOut({ model });
    handleCompletion(ctx, 'chat', chat, res, wire);
  } catch (e) {
    if (e instanceof HttpError) return sendWireError(res, api, e);
    throw e;
  }
}
