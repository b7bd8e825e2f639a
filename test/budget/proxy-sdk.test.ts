/**
 * The official SDKs (`openai`, `@anthropic-ai/sdk`) stream through the budget proxy
 * (src/budget/proxy.ts) to the simulator over chat completions, Responses and Messages; and the
 * acceptance test: 64 concurrent streams never make the simulator bill more than the root budget.
 * "Billed" is read from the simulator's own engine counters (prompt tokens admitted + tokens
 * generated, the figures behind vllm:prompt_tokens_total / generation_tokens_total), so it is
 * independent of the proxy's accounting and of what the clients happened to receive.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLE_HEADER, SPLIT_HEADER, startBudgetProxy, type BudgetProxy } from '../../src/budget/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { fastProfile } from '../sim/helpers.js';

type Api = 'chat' | 'responses' | 'messages';
const APIS: readonly Api[] = ['chat', 'responses', 'messages'];

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});
async function sim(seed: number): Promise<SimServerHandle> {
  const s = await startSimServer({ profile: fastProfile(), port: 0, seed });
  open.push(s);
  return s;
}
async function proxy(upstream: string, tokens: number, queueMs?: number): Promise<BudgetProxy> {
  const p = await startBudgetProxy({ upstream, budget: { tokens }, queueMs });
  open.push(p);
  return p;
}
/** What the simulator billed: every admitted prompt token plus every generated token. */
const billed = (s: SimServerHandle) => {
  const st = s.engine.stats();
  return st.promptTokensTotal + st.generationTokensTotal;
};

interface Seen { tokens: number; text: string; deltas: number; status: number }

/** One streamed call through `base` with the official SDK of `api`; the HTTP status when refused. */
async function stream(base: string, api: Api, prompt: string, maxTokens: number, headers: Record<string, string> = {}): Promise<Seen> {
  // ignore_eos + min_tokens: the simulator generates the whole cap, so every call presses on the budget.
  const force = { ignore_eos: true, min_tokens: maxTokens } as Record<string, unknown>;
  try {
    if (api === 'messages') {
      const c = new Anthropic({ baseURL: base, apiKey: 'sk-ant-test', maxRetries: 0, defaultHeaders: headers });
      let deltas = 0;
      const s = c.messages.stream({ model: 'sim-test', system: 'be terse', max_tokens: maxTokens, messages: [{ role: 'user', content: prompt }], ...force } as Anthropic.MessageStreamParams);
      s.on('text', () => deltas++);
      const m = await s.finalMessage();
      const u = m.usage;
      const text = m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return { tokens: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + u.output_tokens, text, deltas, status: 200 };
    }
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test', maxRetries: 0, defaultHeaders: headers });
    if (api === 'responses') {
      let deltas = 0;
      const s = c.responses.stream({ model: 'sim-test', instructions: 'be terse', input: prompt, max_output_tokens: maxTokens, ...force } as OpenAI.Responses.ResponseCreateParamsStreaming);
      s.on('response.output_text.delta', () => deltas++);
      const r = await s.finalResponse();
      return { tokens: r.usage!.input_tokens + r.usage!.output_tokens, text: r.output_text, deltas, status: 200 };
    }
    let deltas = 0;
    const s = c.chat.completions.stream({ model: 'sim-test', messages: [{ role: 'system', content: 'be terse' }, { role: 'user', content: prompt }], max_tokens: maxTokens, stream_options: { include_usage: true }, ...force } as OpenAI.Chat.ChatCompletionStreamParams);
    s.on('content', () => deltas++);
    const r = await s.finalChatCompletion();
    return { tokens: r.usage!.prompt_tokens + r.usage!.completion_tokens, text: r.choices[0].message.content ?? '', deltas, status: 200 };
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 402 || status === 429) return { tokens: 0, text: '', deltas: 0, status };
    throw e;
  }
}

describe('official SDKs stream through the budget proxy', () => {
  for (const api of APIS) {
    it(`${api}: streams arrive whole, the ledger commits what the simulator billed, a spent budget answers 402`, async () => {
      const s = await sim(21);
      const budget = 400;
      const p = await proxy(s.url, budget);
      const seen: Seen[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await stream(p.url, api, `call ${i} read the file and fix the bug`, 40);
        seen.push(r);
        if (r.status !== 200) break;
        expect(r.deltas).toBeGreaterThan(0);
        expect(r.text.length).toBeGreaterThan(0);
      }
      const ok = seen.filter((r) => r.status === 200);
      const last = seen[seen.length - 1];
      expect(ok.length).toBeGreaterThanOrEqual(3);
      expect(last.status, 'the budget runs out within 20 calls of ~50 tokens').toBe(402);
      const fromClients = ok.reduce((a, r) => a + r.tokens, 0);
      // Three views agree: the simulator's counters, the usage the SDK parsed, the proxy's ledger.
      expect(billed(s)).toBe(fromClients);
      expect(p.ledger.state.spent.tokens).toBe(fromClients);
      expect(billed(s)).toBeLessThanOrEqual(budget);
      expect(p.ledger.state.overrun.tokens).toBe(0);
    }, 60_000);
  }

  it('sub-agent handles split by header: each SDK spends from its own child, none past its share', async () => {
    const s = await sim(22);
    const p = await proxy(s.url, 2000);
    // The first call splits root into three children of 300 and runs on the remainder.
    const first = await new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'k', maxRetries: 0 }).chat.completions
      .create({ model: 'sim-test', messages: [{ role: 'user', content: 'plan' }], max_tokens: 5 }, { headers: { [SPLIT_HEADER]: '300,300,300' } })
      .withResponse();
    const children = String(first.response.headers.get('x-agentdyno-budget-children')).split(',');
    expect(children).toHaveLength(3);
    const perChild = await Promise.all(children.map(async (h, i) => {
      let spent = 0;
      for (let k = 0; k < 30; k++) {
        const r = await stream(p.url, APIS[i], `sub-agent ${i} step ${k}`, 30, { [HANDLE_HEADER]: h });
        if (r.status !== 200) {
          expect(r.status).toBe(402);
          break;
        }
        spent += r.tokens;
      }
      return spent;
    }));
    for (const [i, h] of children.entries()) {
      expect(perChild[i]).toBeGreaterThan(150);
      expect(perChild[i]).toBeLessThanOrEqual(300);
      expect(p.ledger.state.handles[h].spent.tokens).toBe(perChild[i]);
    }
    expect(billed(s)).toBeLessThanOrEqual(2000);
  }, 60_000);
});

describe('acceptance: 64 concurrent streams never make the simulator bill past the root budget', () => {
  for (const [name, budget, queueMs] of [['tight budget, calls queue', 3000, undefined], ['tight budget, no queueing (429s)', 3000, 0], ['budget that fits most', 9000, undefined]] as const) {
    it(name, async () => {
      const s = await sim(23);
      const p = await proxy(s.url, budget, queueMs);
      const rs = await Promise.all(Array.from({ length: 64 }, (_, i) => stream(p.url, APIS[i % 3], `stream ${i} ${'word '.repeat(i % 17)}`, 60 + (i % 5) * 30)));
      const fromClients = rs.reduce((a, r) => a + r.tokens, 0);
      const b = billed(s);
      expect(b, `simulator billed ${b} under a root budget of ${budget}`).toBeLessThanOrEqual(budget);
      expect(fromClients).toBe(b); // no call was billed without its usage reaching the client
      expect(p.ledger.state.overrun.tokens).toBe(0);
      expect(p.ledger.state.spent.tokens).toBe(b);
      // The test must press on the budget: some streams refused, and most of the budget used.
      const refused = rs.filter((r) => r.status !== 200).length;
      if (budget < 5000) {
        expect(refused).toBeGreaterThan(0);
        expect(b).toBeGreaterThan(budget * 0.5);
      }
      expect(rs.filter((r) => r.status === 200).length).toBeGreaterThan(10);
      // Queued calls get their turn as others settle, so every API gets through (first come wins without a queue).
      if (queueMs !== 0) for (const api of APIS) expect(rs.some((r, i) => r.status === 200 && APIS[i % 3] === api)).toBe(true);
    }, 120_000);
  }
});
