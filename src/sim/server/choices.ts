/**
 * Requests that generate more than one sequence: `n` > 1 choices, and completions batch prompts
 * (`prompt: [..]`, one prompt per element). Like OpenAI and vLLM, every sequence is generated and
 * billed: usage.prompt_tokens sums the prompts (a prompt shared by n choices counts once) and
 * usage.completion_tokens sums every choice. Choice index = prompt index x n + choice number.
 * Mid-stream faults (reset, early close) hit the first sequence half-way, as in completion.ts.
 */
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Rng } from '../../core/index.js';
import type { SimProfile } from '../profile.js';
import type { SimTokenEvent } from '../engine/engine.js';
import { hashChatPrompt, hashCompletionPrompt, simSchemaText, type SimChatMessage, type SimPromptHasher } from '../tokenize.js';
import type { RealtimeDriver } from './driver.js';
import type { SimServerOptions } from './options.js';
import { HttpError } from './completion.js';
import { OutputPlan, SseWriter } from './output.js';

interface Ctx {
  profile: SimProfile;
  driver: RealtimeDriver;
  opts: SimServerOptions;
  rng: Rng;
}

/** A completions prompt that is a batch: an array of strings or of token-id arrays. */
export function isBatchPrompt(p: unknown): boolean {
  return Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string' || Array.isArray(x));
}

function prompts(api: 'chat' | 'completions', body: Record<string, unknown>, bs: number): SimPromptHasher[] {
  if (api === 'chat') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array');
    return [hashChatPrompt(body.messages as SimChatMessage[], bs, simSchemaText(body))];
  }
  const list = isBatchPrompt(body.prompt) ? (body.prompt as unknown[]) : [body.prompt];
  return list.map((p, i) => {
    if (typeof p !== 'string' && !(Array.isArray(p) && p.every((x) => typeof x === 'number'))) throw new HttpError(400, `prompt[${i}] must be a string or an array of token ids`);
    return hashCompletionPrompt(p as string | number[], bs);
  });
}

export function handleChoices(ctx: Ctx, api: 'chat' | 'completions', body: Record<string, unknown>, res: ServerResponse, n: number, maxTokens: number | undefined): void {
  const { profile, opts, rng } = ctx;
  const maxLen = profile.maxModelLen;
  const hashers = prompts(api, body, profile.kvCache.blockSize);
  hashers.forEach((h, i) => {
    if (h.tokens === 0) throw new HttpError(400, `prompt ${i} is empty`);
    if (h.tokens >= maxLen || h.tokens + (maxTokens ?? 0) > maxLen) {
      throw new HttpError(400, `This model's maximum context length is ${maxLen} tokens. However, you requested ${h.tokens + (maxTokens ?? 0)} tokens (${h.tokens} in prompt ${i}, ${maxTokens ?? 0} in the completion). Please reduce the length of the prompt or completion.`);
    }
  });
  if (maxTokens === 0) throw new HttpError(400, 'max_tokens must be at least 1');
  const minTokens = typeof body.min_tokens === 'number' ? body.min_tokens : 0;
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: string } }[]) : [];
  const wantTool = api === 'chat' && tools.length > 0 && body.tool_choice !== 'none' && (opts.toolCalls === true || body.tool_choice === 'required' || body.sim_tool_call === true);
  const id = `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(8).toString('hex')}`;

  interface Seq { id: string; index: number; prompt: number; outputTokens: number; finishReason: 'stop' | 'length' | 'tool_calls'; plan: OutputPlan; text: string; done: boolean; ev: SimTokenEvent | null }
  const seqs: Seq[] = [];
  hashers.forEach((h, p) => {
    for (let c = 0; c < n; c++) {
      let limit = maxTokens ?? maxLen - h.tokens;
      if (opts.ignoreMaxTokens) limit = Math.min(maxLen - h.tokens, Math.ceil(limit * (typeof opts.ignoreMaxTokens === 'number' ? opts.ignoreMaxTokens : 1.5)));
      let outputTokens = limit;
      let finishReason: Seq['finishReason'] = 'length';
      if (body.ignore_eos !== true) {
        const eosAt = Math.max(1, Math.ceil(rng.exponential(profile.generation.eosMeanTokens)), minTokens);
        if (eosAt < limit) [outputTokens, finishReason] = [eosAt, 'stop'];
      }
      const tool = wantTool ? { name: tools[0]?.function?.name ?? 'tool', id: `call_${randomBytes(6).toString('hex')}` } : null;
      if (tool && finishReason === 'stop') finishReason = 'tool_calls';
      seqs.push({ id: `${id}-${seqs.length}`, index: seqs.length, prompt: p, outputTokens, finishReason, plan: new OutputPlan(0, tool), text: '', done: false, ev: null });
    }
  });

  const stream = body.stream === true;
  const includeUsage = !opts.omitUsage && (stream ? (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true : true);
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' && body.model ? body.model : profile.servedModelName;
  let finished = false;
  res.on('close', () => {
    if (!finished) for (const s of seqs) ctx.driver.abort(s.id);
  });
  const usage = () => {
    // Each prompt once (its first sequence's counts), every sequence's output.
    let prompt = 0, cached = 0, completion = 0;
    for (const s of seqs) {
      completion += s.ev?.generatedTokens ?? 0;
      if (s.index % n === 0) (prompt += hashers[s.prompt].tokens, cached += s.ev?.cachedTokens ?? 0);
    }
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
  };
  const message = (s: Seq) => {
    const tool = s.plan.tool;
    return api === 'chat'
      ? { index: s.index, message: { role: 'assistant', content: tool ? null : s.text, ...(tool ? { tool_calls: [{ id: tool.id, type: 'function', function: { name: tool.name, arguments: s.text } }] } : {}) }, logprobs: null, finish_reason: s.ev?.finishReason ?? s.finishReason }
      : { index: s.index, text: s.text, logprobs: null, finish_reason: s.ev?.finishReason ?? s.finishReason };
  };
  const fault = stream ? { reset: rng.next() < (opts.resetProb ?? 0), early: rng.next() < (opts.earlyCloseProb ?? 0) } : { reset: false, early: false };
  const w = stream ? new SseWriter(res, opts) : null;
  if (w) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
  }
  const object = api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const perChunk = opts.tokensPerChunk ?? 1;

  for (const s of seqs) {
    let pending = '';
    let count = 0;
    let started = false;
    const flush = (fr: string | null) => {
      if (!w || (!pending && fr === null)) return;
      const tool = s.plan.tool;
      const delta: Record<string, unknown> = started ? {} : { role: 'assistant' };
      if (tool) delta.tool_calls = [started ? { index: 0, function: { arguments: pending } } : { index: 0, id: tool.id, type: 'function', function: { name: tool.name, arguments: pending } }];
      else delta.content = pending;
      started = true;
      const choice = api === 'chat' ? { index: s.index, delta, logprobs: null, finish_reason: fr } : { index: s.index, text: pending, logprobs: null, finish_reason: fr };
      w.event({ id, object, created, model, choices: [choice] });
      pending = '';
      count = 0;
    };
    ctx.driver.submit({ id: s.id, promptTokens: hashers[s.prompt].tokens, blockHashes: hashers[s.prompt].blockHashes, outputTokens: s.outputTokens, finishReason: s.finishReason }, (ev) => {
      if (w?.isEnded) return;
      s.ev = ev;
      for (let i = ev.generatedTokens - ev.newTokens; i < ev.generatedTokens; i++) {
        const piece = s.plan.piece(i, i === s.outputTokens - 1);
        s.text += piece;
        pending += piece;
        if (++count >= perChunk && !ev.finished) flush(null);
      }
      if (ev.finished) {
        flush(ev.finishReason);
        s.done = true;
      } else if (w && s.index === 0 && ev.newTokens > 0 && ev.generatedTokens === Math.max(1, Math.floor(s.outputTokens / 2)) && (fault.reset || fault.early)) {
        finished = true;
        for (const x of seqs) ctx.driver.abort(x.id);
        return fault.reset ? w.reset() : w.end();
      }
      if (!seqs.every((x) => x.done)) return;
      finished = true;
      if (w) {
        if (includeUsage) w.event({ id, object, created, model, choices: [], usage: usage() });
        w.done();
        return w.end();
      }
      const out: Record<string, unknown> = { id, object: api === 'chat' ? 'chat.completion' : 'text_completion', created, model, choices: seqs.map(message) };
      if (includeUsage) out.usage = usage();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  }
}
