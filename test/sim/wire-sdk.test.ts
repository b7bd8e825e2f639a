/**
 * The official SDKs (`openai`, `@anthropic-ai/sdk`) as real clients of the simulator's Responses
 * and Messages front ends, and agentdyno's own client on the same streams: one engine, three APIs.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointClient } from '../../src/endpoint/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { fastProfile } from './helpers.js';

let srv: SimServerHandle;
let tools: SimServerHandle;
beforeAll(async () => {
  srv = await startSimServer({ profile: fastProfile(), port: 0, seed: 3 });
  tools = await startSimServer({ profile: fastProfile(), port: 0, seed: 4, toolCalls: true, reasoningTokens: 3 });
});
afterAll(async () => {
  await srv.close();
  await tools.close();
});

const long = 'please read the file and run the tests then fix the kernel bug '.repeat(20);
const openai = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
const anthropic = (url: string) => new Anthropic({ baseURL: url, apiKey: 'sk-ant-test', maxRetries: 0 });
// Simulator switches ride in the body: the SDKs pass unknown fields through.
const forced = (n: number) => ({ ignore_eos: true, min_tokens: n }) as Record<string, unknown>;

describe('Responses API through the openai SDK', () => {
  it('streams text deltas; finalResponse has the text and usage with cached tokens on a repeat', async () => {
    const c = openai(srv.url);
    const params = { model: 'sim-test', instructions: 'You are terse.', input: long, max_output_tokens: 9, ...forced(9) } as OpenAI.Responses.ResponseCreateParamsStreaming;
    const first = await c.responses.stream(params).finalResponse();
    const s = c.responses.stream(params);
    const deltas: string[] = [];
    const types = new Set<string>();
    s.on('event', (e) => types.add(e.type));
    s.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const r = await s.finalResponse();
    expect(deltas).toHaveLength(9);
    expect(r.output_text).toBe(deltas.join(''));
    expect(r.output_text.split(' ')).toHaveLength(9);
    expect(r.status).toBe('incomplete'); // forced length: max_output_tokens reached
    expect(r.usage?.output_tokens).toBe(9);
    expect(r.usage?.input_tokens).toBe(first.usage?.input_tokens);
    expect(first.usage?.input_tokens_details.cached_tokens).toBe(0);
    expect(r.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(100);
    expect([...types]).toEqual(expect.arrayContaining(['response.created', 'response.output_item.added', 'response.content_part.added', 'response.output_text.done', 'response.output_item.done', 'response.incomplete']));
  });

  it('streams reasoning then a function call; non-streamed create returns the same shape', async () => {
    const c = openai(tools.url);
    const fn = { type: 'function' as const, name: 'bash', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false };
    const s = c.responses.stream({ model: 'sim-test', input: [{ role: 'user', content: 'list files' }], tools: [fn], max_output_tokens: 12 });
    const kinds: string[] = [];
    s.on('event', (e) => {
      if (e.type.endsWith('.delta')) kinds.push(e.type);
    });
    const r = await s.finalResponse();
    expect(kinds[0]).toBe('response.reasoning_text.delta');
    expect(kinds.at(-1)).toBe('response.function_call_arguments.delta');
    const call = r.output.find((o) => o.type === 'function_call');
    expect(call && call.type === 'function_call' && call.name).toBe('bash');
    expect(call && call.type === 'function_call' && JSON.parse(call.arguments)).toHaveProperty('query');
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(3);
    const whole = await c.responses.create({ model: 'sim-test', input: 'hi', tools: [fn], max_output_tokens: 6 });
    expect(whole.output.some((o) => o.type === 'function_call' && o.name === 'bash')).toBe(true);
    expect(whole.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('answers a bad request with a typed error the SDK raises', async () => {
    const c = openai(srv.url);
    await expect(c.responses.create({ model: 'sim-test' } as never)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('Messages API through the @anthropic-ai/sdk', () => {
  it('streams text; finalMessage has text, stop reason and usage with cache reads apart from input', async () => {
    const c = anthropic(srv.url);
    const params = { model: 'sim-test', system: 'You answer in haiku.', max_tokens: 8, messages: [{ role: 'user' as const, content: long.replace(/kernel/g, 'parser') }], ...forced(8) } as Anthropic.MessageCreateParamsNonStreaming;
    const first = await c.messages.stream(params).finalMessage();
    const s = c.messages.stream(params);
    const texts: string[] = [];
    s.on('text', (t) => texts.push(t));
    const m = await s.finalMessage();
    expect(texts).toHaveLength(8);
    expect(m.content[0].type).toBe('text');
    expect(m.content[0].type === 'text' && m.content[0].text).toBe(texts.join(''));
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(8);
    expect(m.usage.cache_read_input_tokens).toBeGreaterThan(100);
    expect(m.usage.cache_read_input_tokens).toBeGreaterThan(first.usage.cache_read_input_tokens ?? 0);
    // Anthropic's input_tokens excludes cache reads: the sum is the whole prompt, the same both times.
    const whole = (u: Anthropic.Usage) => u.input_tokens + (u.cache_read_input_tokens ?? 0);
    expect(whole(m.usage)).toBe(whole(first.usage));
    expect(m.usage.input_tokens).toBeLessThan(whole(m.usage));
  });

  it('streams thinking then a tool_use block; non-streamed create returns the same shape', async () => {
    const c = anthropic(tools.url);
    const tool = { name: 'bash', description: 'run', input_schema: { type: 'object' as const, properties: { cmd: { type: 'string' } } } };
    const s = c.messages.stream({ model: 'sim-test', max_tokens: 12, tools: [tool], messages: [{ role: 'user', content: 'list files' }] });
    const m = await s.finalMessage();
    expect(m.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const tu = m.content[1];
    expect(tu.type === 'tool_use' && tu.name).toBe('bash');
    expect(tu.type === 'tool_use' && tu.input).toHaveProperty('query');
    expect(m.stop_reason === 'tool_use' || m.stop_reason === 'max_tokens').toBe(true);
    const whole = await c.messages.create({ model: 'sim-test', max_tokens: 6, tools: [tool], messages: [{ role: 'user', content: 'hi' }] });
    expect(whole.content.some((b) => b.type === 'tool_use' && b.name === 'bash')).toBe(true);
  });

  it('a missing max_tokens is a 400 the SDK raises as BadRequestError', async () => {
    const c = anthropic(srv.url);
    await expect(c.messages.create({ model: 'sim-test', messages: [{ role: 'user', content: 'x' }] } as never)).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe('agentdyno EndpointClient speaks all three APIs with one timing rule', () => {
  for (const api of ['chat', 'responses', 'messages'] as const) {
    it(`${api}: usage, TTFT at the first reasoning token, TTFO at the first answer token`, async () => {
      const r1 = await startSimServer({ profile: fastProfile(), port: 0, seed: 5, reasoningTokens: 4 });
      const client = new EndpointClient({ baseUrl: r1.url, model: 'sim-test' });
      try {
        const req = { api, messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: long }], maxTokens: 10, forceOutputLength: true, keepOutputText: true };
        const a = await client.send(req);
        const b = await client.send(req);
        for (const r of [a, b]) {
          expect(r.errorMessage).toBeNull();
          expect(r.ok).toBe(true);
          expect(r.usage?.completionTokens).toBe(10);
          expect(r.tokenChunkPieces.reduce((x, y) => x + y, 0)).toBe(10); // one event per token, announcements not counted
          expect(r.tFirstTokenNs).not.toBeNull();
          expect(r.tFirstContentNs! > r.tFirstTokenNs!).toBe(true); // 4 reasoning tokens come first
          expect(r.outputText!.split(' ')).toHaveLength(6); // answer text only
        }
        expect(a.usage!.promptTokens).toBe(b.usage!.promptTokens);
        expect(b.usage!.cachedTokens).toBeGreaterThan(100);
        if (api === 'responses') expect(b.usage!.reasoningTokens).toBe(4);
      } finally {
        await client.close();
        await r1.close();
      }
    });
  }
});
