import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { benchProfile, boundRequest, startBudgetProxy, parseUpstream, type BudgetProxy } from '../../src/budget/index.js';
import { isAgentdynoError } from '../../src/core/index.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

let sim: SimServerHandle;
let fake: FakeUpstream;
const proxies: BudgetProxy[] = [];
beforeAll(async () => {
  sim = await startSimServer({ profile: benchProfile(), port: 0, seed: 4 });
  fake = await startFakeUpstream(7);
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await sim?.close();
  await fake?.close();
});
const proxy = async (o: Partial<Parameters<typeof startBudgetProxy>[0]> & { tokens: number }) => {
  const p = await startBudgetProxy({ upstream: o.upstream ?? sim.url, budget: { tokens: o.tokens }, ...o });
  proxies.push(p);
  return p;
};
const post = async (base: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const r = await request(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
};
const usageOf = (t: string) => JSON.parse(t).usage as { prompt_tokens: number; completion_tokens: number };
const TOOL = { type: 'function', function: { name: 'lookup', description: 'Look up a record by its key in the customer database and return every field', parameters: { type: 'object', properties: { key: { type: 'string', description: 'the record key' }, fields: { type: 'array', items: { type: 'string' } } }, required: ['key'] } } };
const msgs = [{ role: 'user', content: 'w w w w' }];

describe('budget proxy reserves the worst case', () => {
  it('n choices: reserves n x max_tokens, so what the server bills stays under the cap', async () => {
    const p = await proxy({ tokens: 2000 });
    let billed = 0;
    for (let i = 0; i < 12; i++) {
      const r = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 300, n: 3, ignore_eos: true });
      if (r.status !== 200) break;
      const u = usageOf(r.text);
      billed += u.prompt_tokens + u.completion_tokens;
      expect(u.completion_tokens).toBeLessThanOrEqual(3 * Number(r.headers['x-agentdyno-budget-max-tokens']));
    }
    expect(billed).toBeGreaterThan(1000);
    expect(billed).toBeLessThanOrEqual(2000);
    expect(p.ledger.state.overrun.tokens).toBe(0);
  });

  it('tool and output schemas are part of the prompt estimate', () => {
    const plain = boundRequest('chat', { messages: msgs });
    const tools = boundRequest('chat', { messages: msgs, tools: [TOOL, TOOL, TOOL], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: TOOL.function.parameters } } });
    expect(tools.texts.length).toBe(plain.texts.length + 4);
    expect(tools.fixedTokens).toBeGreaterThan(plain.fixedTokens);
  });

  it('batch prompts: every element is counted and generates', () => {
    const b = boundRequest('completions', { prompt: ['a b', 'c d', [1, 2, 3]], n: 2, best_of: 3, max_tokens: 5 });
    expect(b.sequences).toBe(9);
    expect(b.texts).toEqual(['a b', 'c d']);
    expect(b.fixedTokens).toBeGreaterThanOrEqual(3);
    const e = boundRequest('embeddings', { input: ['one', 'two', [5, 6]] });
    expect([e.sequences, e.texts.length, e.fixedTokens]).toEqual([0, 2, 2]);
  });

  it('a missing max_tokens reserves what is left and clamps the forwarded request', async () => {
    const p = await proxy({ tokens: 500 });
    const r = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, ignore_eos: true });
    expect(r.status).toBe(200);
    const clamp = Number(r.headers['x-agentdyno-budget-max-tokens']);
    expect(clamp).toBeGreaterThan(300);
    expect(usageOf(r.text).completion_tokens).toBe(clamp);
    expect(p.ledger.state.spent.tokens).toBeLessThanOrEqual(500);
  });

  it('reserves Responses and Messages bodies, and commits their usage (stream or not)', async () => {
    const p = await proxy({ tokens: 100_000, upstream: fake.url });
    const r1 = await post(p.url, '/v1/responses', { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello there' }] }], instructions: 'be brief', max_output_tokens: 50, tools: [{ type: 'function', name: 'f', parameters: {} }], text: { format: { type: 'json_schema', name: 'o', schema: { type: 'object' } } } }, { 'x-run': 'resp' });
    expect(r1.status).toBe(200);
    expect(fake.bodies.get('/v1/responses')?.max_output_tokens).toBe(50);
    const id = JSON.parse(r1.text).id as string;
    // Chaining a response made through the proxy is bounded by what that response cost.
    const r2 = await post(p.url, '/v1/responses', { model: 'm', input: 'and then?', previous_response_id: id, stream: true }, { 'x-run': 'resp' });
    expect(r2.status).toBe(200);
    expect(r2.text).toContain('response.completed');
    const m = await post(p.url, '/v1/messages', { model: 'c', system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'tool_result', tool_use_id: 't', content: 'result text' }] }], stream: true, tools: [{ name: 't', input_schema: { type: 'object' } }] }, { 'x-run': 'resp' });
    expect(m.status).toBe(200);
    expect(typeof fake.bodies.get('/v1/messages')?.max_tokens).toBe('number');
    expect(p.ledger.state.spent.tokens).toBe(fake.billed.get('resp'));
  });

  it('refuses what it cannot bound, with a clear error and nothing reserved', async () => {
    const p = await proxy({ tokens: 10_000, upstream: fake.url });
    const cases: [string, unknown][] = [
      ['/v1/responses', { model: 'm', input: 'x', previous_response_id: 'resp_unknown' }],
      ['/v1/responses', { model: 'm', input: 'x', tools: [{ type: 'web_search' }] }],
      ['/v1/messages', { model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }],
      ['/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] }],
    ];
    for (const [path, body] of cases) {
      const r = await post(p.url, path, body);
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.text).error.code).toBe('budget_unbounded_request');
    }
    const images = await proxy({ tokens: 10_000, upstream: fake.url, imageTokens: 800 });
    expect((await post(images.url, '/v1/chat/completions', cases[3][1])).status).toBe(200);
    const route = await post(p.url, '/v1/images/generations', { prompt: 'x' });
    expect(route.status).toBe(400);
    expect(JSON.parse(route.text).error.code).toBe('budget_unbounded_route');
    expect(p.ledger.state.spent.tokens).toBe(0);
  });

  it('an upstream that reports no usage is charged the whole reservation; one that breaks off too', async () => {
    const p = await proxy({ tokens: 5000, upstream: fake.url });
    const r = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 100 }, { 'x-fault': 'no_usage' });
    expect(r.status).toBe(200);
    const reserved = p.ledger.state.spent.tokens;
    expect(reserved).toBeGreaterThanOrEqual(100);
    const d = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 100, stream: true }, { 'x-fault': 'disconnect' }).catch((e: Error) => ({ status: 0, text: e.message }));
    expect(d.status === 0 || d.status === 200 || d.status === 502).toBe(true);
    expect(p.ledger.state.spent.tokens).toBeGreaterThanOrEqual(2 * reserved - 1);
    const e = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 100 }, { 'x-fault': 'error' });
    expect(e.status).toBe(500); // the upstream's own answer; nothing used, nothing charged
    expect(p.ledger.conservation().ok).toBe(true);
  });
});

describe('budget proxy under concurrency: queue, 429, 402 only at the cap', () => {
  it('64 concurrent calls: none is refused with 402 while committed spend leaves room', async () => {
    // 5 ms steps and 20 tokens a call: calls overlap, each holding 400+ reserved tokens while it
    // spends ~40, so 64 reservations (27k) cannot all be held at once in 6k.
    const slow = await startSimServer({ profile: { ...benchProfile(), stepTimeMs: { a: 5, b: 0, c: 0, d: 0 } }, port: 0, seed: 5 });
    try {
      const p = await proxy({ tokens: 6000, queueMs: 20_000, upstream: slow.url });
      const results = await Promise.all(Array.from({ length: 64 }, () => post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 400, min_tokens: 20 })));
      expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
      expect(results.every((r) => Number(r.headers['x-agentdyno-budget-max-tokens']) === 400)).toBe(true);
      expect(p.ledger.state.spent.tokens).toBeLessThan(6000);
    } finally {
      await slow.close();
    }
  });

  it('without queueing time a call that does not fit gets a retry-able 429, not 402', async () => {
    const p = await proxy({ tokens: 1000, queueMs: 0, retryAfterS: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, () => post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 900, ignore_eos: true })));
    const busy = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 402)).toHaveLength(0);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].headers['retry-after']).toBe('2');
    expect(JSON.parse(busy[0].text).error.code).toBe('budget_busy');
  });

  it('402 once committed spend leaves no room, with the numbers that prove it', async () => {
    const p = await proxy({ tokens: 300 });
    let r;
    for (let i = 0; i < 20; i++) {
      r = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 100, ignore_eos: true });
      if (r.status !== 200) break;
    }
    expect(r!.status).toBe(402);
    const spent = Number(r!.headers['x-agentdyno-budget-spent']);
    const need = Number(r!.headers['x-agentdyno-budget-need']);
    expect(spent).toBe(p.ledger.state.spent.tokens);
    expect(spent + need).toBeGreaterThan(300);
    expect(JSON.parse(r!.text).error.type).toBe('budget_exceeded');
  });
});

describe('budget proxy forwarding and credentials', () => {
  it('forwards non-chat routes with body and key; the client\'s own Authorization when it has no key', async () => {
    const keyed = await proxy({ tokens: 1000, upstream: fake.url, apiKey: 'upstream-key-123456' });
    const models = await request(`${keyed.url}/v1/models`, { headers: { 'x-need-key': '1', authorization: 'Bearer client-key' } });
    expect(models.statusCode).toBe(200);
    await models.body.text();
    const tk = await post(keyed.url, '/tokenize', { prompt: 'one two three' });
    expect(JSON.parse(tk.text).count).toBe(3);
    expect(fake.auth.at(-1)).toBe('Bearer upstream-key-123456');
    const open = await proxy({ tokens: 1000, upstream: fake.url });
    await post(open.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 5 }, { authorization: 'Bearer the-clients-own' });
    expect(fake.auth.at(-1)).toBe('Bearer the-clients-own');
    await post(open.url, '/v1/messages', { model: 'c', max_tokens: 5, messages: msgs }, { 'x-api-key': 'anthropic-own-key' });
    expect(fake.auth.at(-1)).toBe('anthropic-own-key');
  });

  it('strips every echo of its upstream key: error bodies, headers, streams cut mid-key', async () => {
    const key = 'upstream-key-123456';
    const p = await proxy({ tokens: 10_000, upstream: fake.url, apiKey: key });
    const err = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 5 }, { 'x-fault': 'echo' });
    expect(err.status).toBe(401);
    expect(JSON.stringify(err.headers) + err.text).not.toContain(key);
    expect(err.text).toContain('[redacted]');
    const s = await post(p.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 5, stream: true }, { 'x-fault': 'echo' });
    expect(s.text).not.toContain(key);
    expect(s.text).toContain('[redacted]');
    const m = await request(`${p.url}/v1/models`, { headers: { 'x-fault': 'echo' } });
    expect(await m.body.text()).not.toContain(key);
    // URL credentials become Basic auth and are stripped the same way.
    const u = await proxy({ tokens: 10_000, upstream: fake.url.replace('http://', 'http://me:url-secret-998877@') });
    expect(u.upstream).not.toContain('url-secret-998877');
    const e2 = await post(u.url, '/v1/chat/completions', { model: 'm', messages: msgs, max_tokens: 5 }, { 'x-fault': 'echo' });
    expect(fake.auth.at(-1)).toMatch(/^Basic /);
    expect(e2.text).not.toContain(fake.auth.at(-1)!.slice(6));
  });

  it('checks --upstream at start (E_USAGE), without printing URL credentials', async () => {
    for (const bad of ['not-a-url', 'ftp://host/x', 'http://user:pw-secret-1@:99999']) {
      const e = await startBudgetProxy({ upstream: bad, budget: { tokens: 10 } }).catch((x: unknown) => x);
      expect(isAgentdynoError(e) && e.code).toBe('E_USAGE');
      expect(String((e as Error).message)).not.toContain('pw-secret-1');
    }
    expect(parseUpstream('https://api.example.com/v1/').base).toBe('https://api.example.com');
  });
});
