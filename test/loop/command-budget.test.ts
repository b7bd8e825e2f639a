/**
 * The command agent's budget gate under fan-out: a main agent and 4 sub-agents (separate
 * conversations, told apart by their openings only) call the simulator through the recording
 * proxy with the gate, over all three APIs with the official SDKs, under a random budget B; in 100
 * randomized trials the usage the clients themselves saw never adds up past B, the ledger reports
 * no overrun, and refused calls get HTTP 402. Plus 64 concurrent streams on one handle.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentBudgetTree } from '../../src/budget/index.js';
import { Rng } from '../../src/core/index.js';
import { BudgetGate } from '../../src/loop/agents/command-gate.js';
import { startRecordingProxy } from '../../src/record/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { fastProfile } from '../sim/helpers.js';

let sim: SimServerHandle;
beforeAll(async () => {
  sim = await startSimServer({ profile: fastProfile(), port: 0, seed: 9 });
});
afterAll(async () => sim.close());

type Api = 'chat' | 'responses' | 'messages';

/** One call; returns the tokens the client saw in usage (0 when refused), and whether it was refused. */
async function call(base: string, api: Api, system: string, user: string, maxTokens: number): Promise<{ tokens: number; refused: boolean }> {
  try {
    if (api === 'messages') {
      const c = new Anthropic({ baseURL: base, apiKey: 'k', maxRetries: 0 });
      const m = await c.messages.stream({ model: 'm', system, max_tokens: maxTokens, messages: [{ role: 'user', content: user }] }).finalMessage();
      return { tokens: m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) + (m.usage.cache_creation_input_tokens ?? 0) + m.usage.output_tokens, refused: false };
    }
    const c = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
    if (api === 'responses') {
      const r = await c.responses.stream({ model: 'm', instructions: system, input: user, max_output_tokens: maxTokens }).finalResponse();
      return { tokens: r.usage!.input_tokens + r.usage!.output_tokens, refused: false };
    }
    const r = await c.chat.completions.stream({ model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: user }], max_tokens: maxTokens, stream_options: { include_usage: true } }).finalChatCompletion();
    return { tokens: r.usage!.prompt_tokens + r.usage!.completion_tokens, refused: false };
  } catch (e) {
    if ((e as { status?: number }).status === 402) return { tokens: 0, refused: true };
    throw e;
  }
}

describe('command agent budget gate: fan-out to 4 sub-agents under B', () => {
  it('100 randomized trials never spend more than B across main and sub-agents', async () => {
    const rng = new Rng(2026);
    let refusals = 0;
    let nearFull = 0;
    for (let trial = 0; trial < 100; trial++) {
      const budget = 150 + Math.floor(rng.next() * 800);
      const tree = new AgentBudgetTree({ tokens: budget }, { subagentShare: 0.1 + rng.next() * 0.3 });
      const gate = new BudgetGate(tree);
      const proxy = await startRecordingProxy({ upstream: sim.url, gate, flushMs: 0, isMainAgent: (n) => n.messages.some((m) => m.role === 'system' && m.content === 'main agent') });
      const api = (): Api => (['chat', 'responses', 'messages'] as const)[Math.floor(rng.next() * 3)];
      const words = () => Array.from({ length: 1 + Math.floor(rng.next() * 40) }, (_, i) => `w${i}`).join(' ');
      let seen = 0;
      try {
        const agentRun = async (system: string, calls: number) => {
          for (let k = 0; k < calls; k++) {
            const r = await call(proxy.url, api(), system, `${words()} trial ${trial}`, 1 + Math.floor(rng.next() * 64));
            seen += r.tokens;
            if (r.refused) {
              refusals++;
              return;
            }
          }
        };
        await agentRun('main agent', 1);
        await Promise.all([1, 2, 3, 4].map((i) => agentRun(`sub-agent ${i}`, 1 + Math.floor(rng.next() * 4))).concat(agentRun('main agent', 1 + Math.floor(rng.next() * 3))));
      } finally {
        await proxy.close();
      }
      tree.endIteration();
      const rep = tree.report();
      expect(seen, `trial ${trial}: clients saw ${seen} tokens under a budget of ${budget}`).toBeLessThanOrEqual(budget);
      expect(rep.spentTokens).toBe(seen); // the ledger charged exactly what the server reported
      expect(rep.overrunTokens).toBe(0);
      expect(rep.nodes.filter((n) => n.parent === 'main').length).toBeGreaterThanOrEqual(1);
      expect(tree.ledger.conservation().ok).toBe(true);
      if (seen > budget * 0.5) nearFull++;
    }
    // The trials must actually press on the budget, or they prove nothing.
    expect(refusals, `refusals ${refusals}, near-full ${nearFull}`).toBeGreaterThan(10);
    expect(nearFull, `refusals ${refusals}, near-full ${nearFull}`).toBeGreaterThan(5);
  }, 300_000);

  it('64 concurrent streams on one agent never spend more than the root', async () => {
    const budget = 3000;
    const tree = new AgentBudgetTree({ tokens: budget });
    const gate = new BudgetGate(tree);
    const proxy = await startRecordingProxy({ upstream: sim.url, gate, flushMs: 0 });
    let rs: { tokens: number; refused: boolean }[];
    try {
      rs = await Promise.all(Array.from({ length: 64 }, (_, i) => call(proxy.url, (['chat', 'responses', 'messages'] as const)[i % 3], 'one agent', `stream ${i % 3} of many words here`, 200)));
    } finally {
      await proxy.close();
    }
    const seen = rs.reduce((a, r) => a + r.tokens, 0);
    expect(seen).toBeLessThanOrEqual(budget);
    expect(rs.some((r) => r.refused)).toBe(true);
    expect(tree.report().overrunTokens).toBe(0);
  }, 120_000);
});
