/**
 * Writes a scripted turn (script.ts) in the caller's API: chat chunks, or the Responses / Messages
 * events the same translators produce (wire-out.ts), paced by the recorded ttft_ms and duration_ms.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeRequest, type WireApi } from '../../endpoint/index.js';
import { HttpError, sendError } from './completion.js';
import { SseWriter } from './output.js';
import type { SimServerOptions } from './options.js';
import { matchTurn, replyPieces, type SimScript } from './script.js';
import { messagesOut, responsesOut } from './wire-out.js';
import { sendWireError } from './wire-front.js';

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms).unref?.()) : Promise.resolve());

export async function handleScript(script: SimScript, opts: SimServerOptions, api: WireApi, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const wireApi = api === 'responses' || api === 'messages' ? api : null;
  const fail = (e: HttpError) => (wireApi ? sendWireError(res, wireApi, e) : sendError(res, e));
  if (api === 'completions') return fail(new HttpError(400, 'agentdyno sim --script answers chat completions, Responses and Messages requests, not /v1/completions', 'script_divergence'));
  let turn;
  try {
    const n = normalizeRequest(api, body);
    const hdr = req.headers['x-agentdyno-agent'];
    turn = matchTurn(script, n.messages, typeof hdr === 'string' ? hdr : undefined, { strict: opts.scriptStrict });
  } catch (e) {
    if (e instanceof HttpError) return fail(e);
    throw e;
  }
  const scale = opts.scriptTimeScale ?? 1;
  const step = turn.step;
  const reply = turn.reply;
  const id = `chatcmpl-script-${turn.agent}-${turn.turn}`;
  const model = typeof body.model === 'string' && body.model ? body.model : 'agentdyno-script';
  const created = Math.floor(Date.now() / 1000);
  const cached = step.cached_tokens ?? 0;
  const usage = { prompt_tokens: step.input_tokens, completion_tokens: step.output_tokens, total_tokens: step.input_tokens + step.output_tokens, prompt_tokens_details: { cached_tokens: cached } };
  const finish = reply.tool_calls?.length ? 'tool_calls' : 'stop';
  const ttftMs = (step.ttft_ms ?? 0) * scale;
  const totalMs = Math.max(ttftMs, (step.duration_ms ?? step.ttft_ms ?? 0) * scale);
  const wire = wireApi === 'responses' ? responsesOut({ model, reasoningTokens: 0 }) : wireApi === 'messages' ? messagesOut({ model }) : undefined;
  const headers = { 'x-agentdyno-script-turn': `${script.id}/${turn.agent}/${turn.turn + 1}` };
  let gone = false;
  res.on('close', () => (gone = true));

  if (body.stream !== true) {
    await sleep(totalMs);
    if (gone) return;
    const out = { id, object: 'chat.completion', created, model, choices: [{ index: 0, message: reply, logprobs: null, finish_reason: finish }], usage };
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    return void res.end(JSON.stringify(wire ? wire.whole(out) : out));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  res.flushHeaders();
  const w = new SseWriter(res, opts);
  const send = (evs: [string, unknown][]) => {
    for (const [name, data] of evs) w.named(name, data);
  };
  const emit = (obj: unknown) => (wire ? send(wire.chunk(obj)) : w.event(obj));
  const pieces = replyPieces(reply);
  await sleep(ttftMs);
  if (gone) return;
  if (wire) send(wire.begin(step.input_tokens, cached));
  const gap = pieces.length > 1 ? (totalMs - ttftMs) / (pieces.length - 1) : 0;
  const started = new Set<number>();
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) await sleep(gap);
    if (gone) return;
    const p = pieces[i];
    const delta: Record<string, unknown> = i === 0 ? { role: 'assistant' } : {};
    if (p.kind === 'reasoning') delta.reasoning_content = p.text;
    else if (p.kind === 'content') delta.content = p.text;
    else {
      const c = reply.tool_calls![p.call!];
      delta.tool_calls = [started.has(p.call!) ? { index: p.call, function: { arguments: p.text } } : { index: p.call, id: c.id, type: 'function', function: { name: c.function.name, arguments: p.text } }];
      started.add(p.call!);
    }
    emit({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: i === pieces.length - 1 ? finish : null }] });
  }
  if (pieces.length === 0) emit({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: finish }] });
  const so = body.stream_options as { include_usage?: boolean } | undefined;
  if (wire || so?.include_usage) emit({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
  if (wire) send(wire.end());
  else w.done();
  w.end();
}
