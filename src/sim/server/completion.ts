/**
 * One /v1/chat/completions or /v1/completions request: tokenize, check context, decide the output
 * length (max_tokens, min_tokens, ignore_eos, random EOS), draw faults, feed the engine, and
 * stream or return the result.
 */
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Rng } from '../../core/index.js';
import type { SimProfile } from '../profile.js';
import type { SimTokenEvent } from '../engine/engine.js';
import { hashChatPrompt, hashCompletionPrompt, simSchemaText, type SimChatMessage } from '../tokenize.js';
import { handleChoices, isBatchPrompt } from './choices.js';
import type { RealtimeDriver } from './driver.js';
import type { SimServerOptions } from './options.js';
import { OutputPlan, SseWriter, type PieceKind } from './output.js';
import type { WireOut } from './wire-out.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) return void res.end();
  res.writeHead(e.status, { 'content-type': 'application/json', ...e.headers });
  res.end(JSON.stringify({ error: { message: e.message, type: e.type, param: null, code: e.status }, object: 'error' }));
}

interface Ctx {
  profile: SimProfile;
  driver: RealtimeDriver;
  opts: SimServerOptions;
  rng: Rng;
}

function intField(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new HttpError(400, `${key} must be a non-negative integer (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * `wire`: answer in the Responses or Messages API instead (the body was normalized to chat by
 * wire-front.ts; the chat chunks produced here are translated as they are written).
 */
export function handleCompletion(ctx: Ctx, api: 'chat' | 'completions', body: Record<string, unknown>, res: ServerResponse, wire?: WireOut): void {
  const { profile, opts, rng } = ctx;
  // Faults that replace the whole response, drawn first.
  const u = rng.next();
  let acc = 0;
  const retryAfter = String(opts.retryAfterS ?? 1);
  if (u < (acc += opts.rateLimitProb ?? 0)) throw new HttpError(429, 'Rate limit exceeded (simulated by agentdyno sim).', 'rate_limit_error', { 'retry-after': retryAfter });
  if (u < (acc += opts.error500Prob ?? 0)) throw new HttpError(500, 'Internal server error (simulated by agentdyno sim).', 'internal_server_error');
  if (u < (acc += opts.error503Prob ?? 0)) throw new HttpError(503, 'Service unavailable (simulated by agentdyno sim).', 'service_unavailable', { 'retry-after': retryAfter });

  if (opts.strictModel && body.model !== profile.servedModelName)
    throw new HttpError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError');
  // n choices and batch prompts generate several sequences, each billed (choices.ts).
  const n = intField(body, 'n') ?? 1;
  if (n === 0) throw new HttpError(400, 'n must be at least 1');
  if (n > 1 || (api === 'completions' && isBatchPrompt(body.prompt) && (body.prompt as unknown[]).length > 1)) {
    return handleChoices(ctx, api, body, res, n, intField(body, 'max_completion_tokens') ?? intField(body, 'max_tokens'));
  }
  const bs = profile.kvCache.blockSize;
  let hasher;
  if (api === 'chat') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array');
    hasher = hashChatPrompt(body.messages as SimChatMessage[], bs, simSchemaText(body));
  } else {
    let p = body.prompt;
    if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
    if (typeof p !== 'string' && !(Array.isArray(p) && p.every((x) => typeof x === 'number'))) throw new HttpError(400, 'prompt must be a string or an array of token ids');
    hasher = hashCompletionPrompt(p as string | number[], bs);
  }
  const promptTokens = hasher.tokens;
  if (promptTokens === 0) throw new HttpError(400, 'prompt is empty');
  const maxTokens = intField(body, 'max_completion_tokens') ?? intField(body, 'max_tokens');
  const minTokens = intField(body, 'min_tokens') ?? 0;
  const maxLen = profile.maxModelLen;
  if (promptTokens >= maxLen || promptTokens + (maxTokens ?? 0) > maxLen) {
    const what = api === 'chat' ? 'messages' : 'prompt';
    throw new HttpError(
      400,
      `This model's maximum context length is ${maxLen} tokens. However, you requested ${promptTokens + (maxTokens ?? 0)} tokens (${promptTokens} in the ${what}, ${maxTokens ?? 0} in the completion). Please reduce the length of the ${what} or completion.`,
    );
  }
  if (Math.ceil((promptTokens + 1) / bs) > profile.kvCache.numBlocks)
    throw new HttpError(400, `prompt of ${promptTokens} tokens cannot fit in the simulated KV cache (${profile.kvCache.numBlocks} blocks of ${bs} tokens)`);
  if (maxTokens === 0) throw new HttpError(400, 'max_tokens must be at least 1');
  const ignoreEos = body.ignore_eos === true;
  let limit = maxTokens ?? maxLen - promptTokens;
  if (opts.ignoreMaxTokens) {
    const factor = typeof opts.ignoreMaxTokens === 'number' ? opts.ignoreMaxTokens : 1.5;
    limit = Math.min(maxLen - promptTokens, Math.ceil(limit * factor));
  }
  let outputTokens = limit;
  let finishReason: 'stop' | 'length' | 'tool_calls' = 'length';
  if (!ignoreEos) {
    const eosAt = Math.max(1, Math.ceil(rng.exponential(profile.generation.eosMeanTokens)), minTokens);
    if (eosAt < limit) {
      outputTokens = eosAt;
      finishReason = 'stop';
    }
  }

  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: string } }[]) : [];
  const choice = body.tool_choice as unknown;
  const named = choice && typeof choice === 'object' ? (choice as { function?: { name?: string } }).function?.name : undefined;
  const wantTool = api === 'chat' && tools.length > 0 && choice !== 'none' && (opts.toolCalls === true || choice === 'required' || !!named || body.sim_tool_call === true);
  const tool = wantTool ? { name: named ?? tools[0]?.function?.name ?? 'tool', id: `call_${randomBytes(6).toString('hex')}` } : null;
  if (tool && finishReason === 'stop') finishReason = 'tool_calls';
  const reasoningReq = typeof body.sim_reasoning_tokens === 'number' ? body.sim_reasoning_tokens : (opts.reasoningTokens ?? 0);
  const reasoningTokens = api === 'chat' ? Math.max(0, Math.min(Math.floor(reasoningReq), outputTokens - 1)) : 0;
  const plan = new OutputPlan(reasoningTokens, tool);

  const stream = body.stream === true;
  const so = body.stream_options as { include_usage?: boolean } | undefined;
  const includeUsage = !opts.omitUsage && (stream ? so?.include_usage === true : true);
  // Mid-stream faults, placed halfway through the output.
  const midAt = Math.max(1, Math.floor(outputTokens / 2));
  const fault = stream
    ? {
        reset: rng.next() < (opts.resetProb ?? 0),
        early: rng.next() < (opts.earlyCloseProb ?? 0),
        malformed: rng.next() < (opts.malformedProb ?? 0),
        stall: rng.next() < (opts.stallProb ?? 0),
      }
    : { reset: false, early: false, malformed: false, stall: false };

  const id = `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(8).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' && body.model ? body.model : profile.servedModelName;
  const object = api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  let finished = false;
  res.on('close', () => {
    if (!finished) ctx.driver.abort(id);
  });

  const usage = (ev: SimTokenEvent) => ({
    prompt_tokens: ev.promptTokens,
    completion_tokens: ev.generatedTokens,
    total_tokens: ev.promptTokens + ev.generatedTokens,
    prompt_tokens_details: { cached_tokens: ev.cachedTokens },
  });

  if (!stream) {
    const text: Record<PieceKind, string> = { reasoning: '', content: '', tool: '' };
    ctx.driver.submit({ id, promptTokens, blockHashes: hasher.blockHashes, outputTokens, finishReason }, (ev) => {
      for (let i = ev.generatedTokens - ev.newTokens; i < ev.generatedTokens; i++) text[plan.kind(i)] += plan.piece(i, i === outputTokens - 1);
      if (!ev.finished) return;
      finished = true;
      const fr = ev.finishReason === 'abort' ? 'abort' : ev.finishReason;
      const out: Record<string, unknown> =
        api === 'chat'
          ? {
              id, object: 'chat.completion', created, model,
              choices: [{
                index: 0,
                message: {
                  role: 'assistant',
                  content: tool ? null : text.content,
                  ...(reasoningTokens ? { reasoning_content: text.reasoning } : {}),
                  ...(tool ? { tool_calls: [{ id: tool.id, type: 'function', function: { name: tool.name, arguments: text.tool } }] } : {}),
                },
                logprobs: null,
                finish_reason: fr,
              }],
            }
          : { id, object: 'text_completion', created, model, choices: [{ index: 0, text: text.content, logprobs: null, finish_reason: fr }] };
      if (includeUsage) out.usage = usage(ev);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(wire ? wire.whole(out) : out));
    });
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const w = new SseWriter(res, opts);
  const send = (evs: [string, unknown][]) => {
    for (const [name, data] of evs) w.named(name, data);
  };
  const emit = wire ? (obj: unknown) => send(wire.chunk(obj)) : (obj: unknown) => w.event(obj);
  const perChunk = opts.tokensPerChunk ?? 1;
  let roleSent = false;
  let toolStarted = false;
  const mk = (choice: Record<string, unknown>) => ({ id, object, created, model, choices: [{ index: 0, ...choice, logprobs: null }] });
  if (opts.roleChunk && api === 'chat' && !wire) {
    w.event(mk({ delta: { role: 'assistant', content: '' }, finish_reason: null }));
    roleSent = true;
  }
  let pending: { kind: PieceKind; text: string; n: number } | null = null;
  const flush = (fr: string | null) => {
    if (!pending && fr === null) return;
    const kind = pending?.kind ?? plan.kind(Math.max(0, outputTokens - 1));
    const t = pending?.text ?? '';
    pending = null;
    if (api === 'completions') return emit(mk({ text: t, finish_reason: fr }));
    const delta: Record<string, unknown> = {};
    if (!roleSent) {
      delta.role = 'assistant';
      roleSent = true;
    }
    if (kind === 'reasoning') delta.reasoning_content = t;
    else if (kind === 'content') delta.content = t;
    else if (tool) {
      delta.tool_calls = [toolStarted ? { index: 0, function: { arguments: t } } : { index: 0, id: tool.id, type: 'function', function: { name: tool.name, arguments: t } }];
      toolStarted = true;
    }
    emit(mk({ delta, finish_reason: fr }));
  };

  ctx.driver.submit({ id, promptTokens, blockHashes: hasher.blockHashes, outputTokens, finishReason }, (ev) => {
    if (w.isEnded) return;
    if (wire && !wire.begun) send(wire.begin(ev.promptTokens, ev.cachedTokens));
    for (let i = ev.generatedTokens - ev.newTokens; i < ev.generatedTokens; i++) {
      const kind = plan.kind(i);
      if (pending && pending.kind !== kind) flush(null);
      if (!pending) pending = { kind, text: '', n: 0 };
      pending.text += plan.piece(i, i === outputTokens - 1);
      pending.n++;
      if (pending.n >= perChunk && !ev.finished) flush(null);
    }
    if (ev.finished) {
      finished = true;
      flush(ev.finishReason);
      if (includeUsage) emit({ id, object, created, model, choices: [], usage: usage(ev) });
      if (wire) send(wire.end());
      else w.done();
      w.end();
      return;
    }
    if (ev.newTokens > 0 && ev.generatedTokens === midAt) {
      if (fault.stall) w.stall(opts.stallMs ?? 1000);
      if (fault.malformed) w.malformed();
      if (fault.reset) {
        ctx.driver.abort(id);
        finished = true;
        w.reset();
      } else if (fault.early) {
        ctx.driver.abort(id);
        finished = true;
        w.end();
      }
    }
  });
}
