import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { benchProfile } from '../../src/budget/index.js';

// The simulator bills like OpenAI / vLLM: n choices and batch prompts are all generated and counted,
// tool and output schemas are part of the prompt.
let sim: SimServerHandle;
beforeAll(async () => {
  sim = await startSimServer({ profile: benchProfile(), port: 0, seed: 9 });
});
afterAll(async () => {
  await sim?.close();
});

const post = async (path: string, body: unknown) => {
  const r = await request(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: r.statusCode, text: await r.body.text() };
};
const msgs = [{ role: 'user', content: 'one two three four' }];
const TOOL = { type: 'function', function: { name: 'get_weather', description: 'Get the weather of a city in a unit of your choice', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] } } };

describe('sim: n, batch prompts and schemas count like real servers', () => {
  it('n choices: n sequences generated, completion tokens summed, prompt counted once', async () => {
    const one = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 7, ignore_eos: true })).text);
    const three = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 7, ignore_eos: true, n: 3 })).text);
    expect(three.choices).toHaveLength(3);
    expect(three.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
    expect(three.usage.completion_tokens).toBe(21);
    expect(three.usage.prompt_tokens).toBe(one.usage.prompt_tokens);
  });

  it('streams n choices by index and reports the summed usage at the end', async () => {
    const r = await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 5, ignore_eos: true, n: 2, stream: true, stream_options: { include_usage: true } });
    const events = r.text.split('\n').filter((l) => l.startsWith('data: ') && !l.includes('[DONE]')).map((l) => JSON.parse(l.slice(6)));
    const idx = new Set(events.flatMap((e) => e.choices.map((c: { index: number }) => c.index)));
    expect([...idx].sort()).toEqual([0, 1]);
    expect(events.at(-1).usage.completion_tokens).toBe(10);
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('completions batch prompts: one choice per prompt x n, prompts summed', async () => {
    const r = JSON.parse((await post('/v1/completions', { model: 'm', prompt: ['a b c', 'd e f g h', [1, 2]], max_tokens: 4, ignore_eos: true, n: 2 })).text);
    expect(r.choices).toHaveLength(6);
    expect(r.usage.prompt_tokens).toBe(3 + 5 + 2);
    expect(r.usage.completion_tokens).toBe(24);
  });

  it('tools and a json_schema response_format are prompt tokens', async () => {
    const plain = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 1 })).text).usage.prompt_tokens;
    const tools = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 1, tools: [TOOL, TOOL] })).text).usage.prompt_tokens;
    const schema = JSON.parse((await post('/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 1, response_format: { type: 'json_schema', json_schema: { name: 'w', schema: TOOL.function.parameters } } })).text).usage.prompt_tokens;
    expect(tools - plain).toBeGreaterThan(40);
    expect(schema - plain).toBeGreaterThan(10);
    // /tokenize agrees with what a call is billed.
    const tk = JSON.parse((await post('/tokenize', { messages: msgs, tools: [TOOL, TOOL] })).text);
    expect(tk.count).toBe(tools);
  });
});
