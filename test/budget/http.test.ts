import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { monotonicClock } from '../../src/core/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import {
  BudgetLedger, CHILDREN_HEADER, HANDLE_HEADER, SPLIT_HEADER, benchProfile, runBench, startBenchTargets, startBudgetProxy, withBudget,
  type BudgetHandle, type BudgetProxy, type FaultName,
} from '../../src/budget/index.js';

let sim: SimServerHandle;
let proxy: BudgetProxy;
beforeAll(async () => {
  sim = await startSimServer({ profile: benchProfile(), port: 0, seed: 3 });
  proxy = await startBudgetProxy({ upstream: sim.url, budget: { tokens: 400 } });
});
afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const r = await request(`${proxy.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
};

describe('budget bench over HTTP against the simulator', () => {
  it('runs every policy and fault over real HTTP; affine/adaptive stay within budget', async () => {
    const faults: FaultName[] = ['none', 'retry_5xx', 'cancelled_stream', 'missing_usage', 'ignore_max_tokens', 'tokenizer_mismatch', 'tool_loop'];
    const targets = await startBenchTargets({ seed: 5, faults, shards: 1 });
    try {
      const { summaries } = await runBench({
        policies: ['naive', 'affine', 'adaptive'], trials: 14, seed: 5, faults, clock: monotonicClock, concurrency: 14,
        modelFor: (f) => targets.modelFor(f), maxWidth: 12, maxDepth: 2,
      });
      const by = Object.fromEntries(summaries.map((s) => [s.policy, s]));
      expect(by.naive.violations).toBeGreaterThan(0);
      for (const p of ['affine', 'adaptive']) {
        expect(by[p].violationsExcludingServerFaults, p).toBe(0);
        expect(by[p].conservationFailures, p).toBe(0);
        expect(by[p].completion, p).toBeGreaterThan(0);
      }
      // The server that ignores max_tokens is caught call by call.
      expect(by.affine.serverIgnoredMaxTokensCalls + by.naive.serverIgnoredMaxTokensCalls).toBeGreaterThan(0);
    } finally {
      await targets.close();
    }
  });
});

describe('budget proxy', () => {
  it('clamps max_tokens, splits handles by header, and refuses a spent handle with 402', async () => {
    const msg = { model: 'sim-small', messages: [{ role: 'user', content: 'w w w w' }] };
    const a = await post('/v1/chat/completions', { ...msg, max_tokens: 10 }, { [SPLIT_HEADER]: '100,100' });
    expect(a.status).toBe(200);
    expect(a.headers[CHILDREN_HEADER]).toBe('root/0,root/1');
    expect(a.headers[HANDLE_HEADER]).toBe('root/rest');
    // Streamed call on a child: usage is read from the stream and committed.
    const b = await post('/v1/chat/completions', { ...msg, max_tokens: 5000, stream: true }, { [HANDLE_HEADER]: 'root/0' });
    expect(b.status).toBe(200);
    const clamped = Number(b.headers['x-agentdyno-budget-max-tokens']);
    expect(clamped).toBeLessThan(100);
    expect(b.text).toContain('[DONE]');
    const spentChild = proxy.ledger.state.handles['root/0'].spent.tokens;
    expect(spentChild).toBeGreaterThan(0);
    expect(spentChild).toBeLessThanOrEqual(100);
    // Spend the child down, then it is refused.
    let last = 200;
    for (let i = 0; i < 20 && last === 200; i++) last = (await post('/v1/chat/completions', { ...msg, max_tokens: 50 }, { [HANDLE_HEADER]: 'root/0' })).status;
    expect(last).toBe(402);
    const refused = await post('/v1/chat/completions', { ...msg, max_tokens: 50 }, { [HANDLE_HEADER]: 'root/0' });
    expect(JSON.parse(refused.text).error.type).toBe('budget_exceeded');
    // The consumed root is refused with a clear 409.
    const consumed = await post('/v1/chat/completions', msg, { [HANDLE_HEADER]: 'root' });
    expect(consumed.status).toBe(409);
    expect(JSON.parse(consumed.text).error.message).toMatch(/already consumed/);
    expect(proxy.ledger.conservation().ok).toBe(true);
    expect(proxy.ledger.state.spent.tokens).toBeLessThanOrEqual(400);
  });
});

describe('withBudget', () => {
  it('clamps and charges calls made through an OpenAI-style client', async () => {
    const ledger = new BudgetLedger({ tokens: 120 });
    const root: BudgetHandle = ledger.root();
    const seen: number[] = [];
    const fake = {
      chat: { completions: { create: async (body: Record<string, unknown>) => {
        seen.push(body.max_tokens as number);
        return { choices: [], usage: { prompt_tokens: 10, completion_tokens: body.max_tokens as number } };
      } } },
    };
    const client = withBudget(fake, root);
    await client.chat.completions.create({ messages: [{ role: 'user', content: 'hello there' }], max_tokens: 1000 });
    expect(seen[0]).toBeLessThan(120);
    await expect(client.chat.completions.create({ messages: [{ role: 'user', content: 'again' }], max_tokens: 1000 })).rejects.toThrow(/not enough/);
    expect(ledger.conservation().ok).toBe(true);
    expect(ledger.state.spent.tokens).toBeLessThanOrEqual(120);
  });
});
