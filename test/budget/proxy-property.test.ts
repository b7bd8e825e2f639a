/**
 * Property: however a client mixes requests (chat, completions, Responses, Messages; n > 1, tool
 * and output schemas, batch prompts, missing max_tokens, streams and not, up to 64 at once) and
 * however the upstream fails (errors, disconnects, no usage), the tokens the upstream bills never
 * exceed the proxy's root budget, and a 402 is only ever sent when committed spend leaves less room
 * than the refused call's smallest version. The upstream is a fake that bills like OpenAI
 * (fake-upstream.ts), independent of the proxy's estimator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { Rng } from '../../src/core/index.js';
import { startBudgetProxy } from '../../src/budget/index.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

const RUNS = 200;
const WORDS = ['the', 'kernel', 'tile', '4096', 'attention', 'ok', '数据', 'überprüfen', 'fn(x)', '{"a":1}', 'tokens', 'budget', 'λ', 'x9f3'];

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream(11);
});
afterAll(async () => {
  await fake?.close();
});

const text = (r: Rng, max: number) => Array.from({ length: r.int(1, max) }, () => WORDS[r.int(0, WORDS.length - 1)]).join(' ');
const schema = (r: Rng) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: r.int(1, 6) }, (_, i) => [`field_${i}`, { type: 'string', description: text(r, 12) }])) });

function randomRequest(r: Rng): { path: string; body: Record<string, unknown> } {
  const api = r.int(0, 3);
  const max = r.next() < 0.15 ? undefined : r.int(1, 600);
  const stream = r.next() < 0.5;
  const tools = r.next() < 0.4 ? Array.from({ length: r.int(1, 3) }, (_, i) => ({ name: `tool_${i}`, description: text(r, 20), parameters: schema(r) })) : [];
  if (api === 0) {
    return { path: '/v1/chat/completions', body: {
      model: 'm', stream, n: r.next() < 0.4 ? r.int(2, 5) : 1, ...(max ? { [r.next() < 0.5 ? 'max_tokens' : 'max_completion_tokens']: max } : {}),
      messages: Array.from({ length: r.int(1, 4) }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: r.next() < 0.3 ? [{ type: 'text', text: text(r, 60) }] : text(r, 60) })),
      ...(tools.length ? { tools: tools.map((f) => ({ type: 'function', function: f })) } : {}),
      ...(r.next() < 0.2 ? { response_format: { type: 'json_schema', json_schema: { name: 'out', schema: schema(r) } } } : {}),
    } };
  }
  if (api === 1) {
    const batch = r.next() < 0.5 ? Array.from({ length: r.int(2, 4) }, () => (r.next() < 0.2 ? Array.from({ length: r.int(1, 30) }, () => r.int(0, 50000)) : text(r, 50))) : text(r, 80);
    return { path: '/v1/completions', body: { model: 'm', stream, prompt: batch, n: r.next() < 0.3 ? r.int(2, 3) : 1, ...(r.next() < 0.1 ? { best_of: 4 } : {}), ...(max ? { max_tokens: max } : {}) } };
  }
  if (api === 2) {
    return { path: '/v1/responses', body: {
      model: 'm', stream, instructions: text(r, 20), ...(max ? { max_output_tokens: max } : {}),
      input: r.next() < 0.5 ? text(r, 60) : [{ role: 'user', content: [{ type: 'input_text', text: text(r, 60) }] }],
      ...(tools.length ? { tools: tools.map((f) => ({ type: 'function', ...f })) } : {}),
      ...(r.next() < 0.2 ? { text: { format: { type: 'json_schema', name: 'o', schema: schema(r) } } } : {}),
    } };
  }
  return { path: '/v1/messages', body: {
    model: 'c', stream, ...(max ? { max_tokens: max } : {}), system: text(r, 20),
    messages: [{ role: 'user', content: [{ type: 'text', text: text(r, 60) }] }],
    ...(tools.length ? { tools: tools.map((f) => ({ name: f.name, description: f.description, input_schema: f.parameters })) } : {}),
  } };
}

describe('budget proxy property: the upstream never bills past the cap', () => {
  it(`holds over ${RUNS} randomized runs with n, tools, batch prompts, streams, concurrency up to 64 and faults`, async () => {
    const master = new Rng(20261201);
    const statuses: Record<number, number> = {};
    let maxConcurrency = 0, multiSeq = 0, tooled = 0, batched = 0, refused402 = 0, faulted = 0;
    for (let run = 0; run < RUNS; run++) {
      const r = master.fork();
      const root = r.int(300, 40_000);
      const proxy = await startBudgetProxy({ upstream: fake.url, budget: { tokens: root }, queueMs: r.next() < 0.5 ? 0 : 60, retryAfterS: 1 });
      const pool = new Pool(proxy.url, { connections: 64 });
      // Most runs are small; one in six is a burst of 64+ calls at up to 64 at once.
      const burst = r.next() < 1 / 6;
      const calls = burst ? r.int(64, 72) : r.int(3, 14);
      const concurrency = burst ? r.int(48, 64) : r.int(1, calls);
      maxConcurrency = Math.max(maxConcurrency, concurrency);
      const runId = `run-${run}`;
      const reqs = Array.from({ length: calls }, () => randomRequest(r));
      const faults = reqs.map(() => (r.next() < 0.15 ? ['error', 'disconnect', 'no_usage'][r.int(0, 2)] : ''));
      const aborts = reqs.map(() => r.next() < 0.05);
      let next = 0;
      const refusals: { spent: number; need: number; left: number }[] = [];
      const worker = async () => {
        while (next < reqs.length) {
          const i = next++;
          const { path, body } = reqs[i];
          if ((body.n as number) > 1) multiSeq++;
          if (body.tools) tooled++;
          if (Array.isArray(body.prompt) && typeof body.prompt[0] !== 'number') batched++;
          if (faults[i]) faulted++;
          const ac = new AbortController();
          try {
            const res = await pool.request({ path, method: 'POST', body: JSON.stringify(body), signal: ac.signal,
              headers: { 'content-type': 'application/json', 'x-run': runId, ...(faults[i] ? { 'x-fault': faults[i] } : {}) } });
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
            if (res.statusCode === 402) {
              refusals.push({ spent: Number(res.headers['x-agentdyno-budget-spent']), need: Number(res.headers['x-agentdyno-budget-need']), left: Number(res.headers['x-agentdyno-budget-left']) });
            }
            if (aborts[i]) ac.abort();
            await res.body.text().catch(() => '');
          } catch {
            statuses[0] = (statuses[0] ?? 0) + 1; // disconnects and aborts
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await pool.close();
      // Let aborted streams settle on both sides before reading the ledger and the bill.
      for (let k = 0; k < 200 && Object.keys(proxy.ledger.state.reservations).length > 0; k++) await new Promise((res) => setTimeout(res, 5));
      await new Promise((res) => setTimeout(res, 2));
      await proxy.close();
      const billed = fake.billed.get(runId) ?? 0;
      const s = proxy.ledger.state;
      const ctx = `run ${run}: root ${root}, billed ${billed}, charged ${s.spent.tokens}`;
      expect(billed, ctx).toBeLessThanOrEqual(root);
      expect(billed, ctx).toBeLessThanOrEqual(s.spent.tokens);
      expect(s.overrun.tokens, ctx).toBe(0);
      expect(proxy.ledger.conservation().ok, ctx).toBe(true);
      for (const x of refusals) {
        refused402++;
        // Committed spend (not mere reservations) left less than the call's smallest version.
        expect(x.spent + x.need, ctx).toBeGreaterThan(root);
        expect(x.left, ctx).toBe(root - x.spent);
      }
    }
    // The runs exercised what they claim to.
    expect(maxConcurrency).toBeGreaterThan(48);
    expect(multiSeq).toBeGreaterThan(100);
    expect(tooled).toBeGreaterThan(100);
    expect(batched).toBeGreaterThan(50);
    expect(faulted).toBeGreaterThan(100);
    expect(refused402).toBeGreaterThan(0);
    expect(statuses[200]).toBeGreaterThan(RUNS);
    console.log(`budget proxy property: ${RUNS} runs held; statuses ${JSON.stringify(statuses)}; 402s ${refused402} (all at the cap); n>1 ${multiSeq}, tools ${tooled}, batch ${batched}, faults ${faulted}`);
  }, 120_000);
});
