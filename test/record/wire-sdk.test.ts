/**
 * The official SDKs through the recording proxy, for each of the three APIs: the stream reaches the
 * client intact, and the recorded trajectory (main agent + a sub-agent tagged by headers) validates
 * with the usage the SDK itself saw.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingProxy } from '../../src/record/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { validateTrajectory, type LlmStep } from '../../src/trajectory/index.js';

let sim: SimServerHandle;
beforeAll(async () => {
  sim = await startSimServer({ port: 0, seed: 11, toolCalls: true });
});
afterAll(async () => sim.close());

const SECRET = 'sk-SECRET-wire-456';
const main = { 'x-agentdyno-agent': 'main', 'x-agentdyno-workflow': 'w1' };
const sub = { 'x-agentdyno-agent': 'helper', 'x-agentdyno-parent-agent': 'main', 'x-agentdyno-workflow': 'w1' };

interface Seen {
  input: number;
  output: number;
}

/** main (stream, tool call) -> sub-agent (whole) -> main again with the tool result (stream). */
async function session(api: 'chat' | 'responses' | 'messages', base: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  if (api === 'messages') {
    const a = (h: Record<string, string>) => new Anthropic({ baseURL: base, apiKey: SECRET, maxRetries: 0, defaultHeaders: h });
    const tool = { name: 'bash', description: 'run', input_schema: { type: 'object' as const, properties: {} } };
    const first = [{ role: 'user' as const, content: 'Fix the bug in parser.c' }];
    const m1 = await a(main).messages.stream({ model: 'm', system: 'You are the main agent.', max_tokens: 16, tools: [tool], messages: first }).finalMessage();
    seen.push({ input: m1.usage.input_tokens + (m1.usage.cache_read_input_tokens ?? 0), output: m1.usage.output_tokens });
    const s = await a(sub).messages.create({ model: 'm', system: 'You are a helper.', max_tokens: 8, messages: [{ role: 'user', content: 'List files.' }] });
    seen.push({ input: s.usage.input_tokens + (s.usage.cache_read_input_tokens ?? 0), output: s.usage.output_tokens });
    const tu = m1.content.find((b) => b.type === 'tool_use');
    if (!tu || tu.type !== 'tool_use') throw new Error('no tool_use');
    const m2 = await a(main)
      .messages.stream({ model: 'm', system: 'You are the main agent.', max_tokens: 16, tools: [tool], messages: [...first, { role: 'assistant', content: m1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: 'parser.c main.c' }] }] })
      .finalMessage();
    seen.push({ input: m2.usage.input_tokens + (m2.usage.cache_read_input_tokens ?? 0), output: m2.usage.output_tokens });
    return seen;
  }
  const o = (h: Record<string, string>) => new OpenAI({ baseURL: `${base}/v1`, apiKey: SECRET, maxRetries: 0, defaultHeaders: h });
  if (api === 'responses') {
    const tool = { type: 'function' as const, name: 'bash', description: 'run', parameters: { type: 'object', properties: {} }, strict: false };
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Fix the bug in parser.c' }];
    const r1 = await o(main).responses.stream({ model: 'm', instructions: 'You are the main agent.', input, tools: [tool], max_output_tokens: 16 }).finalResponse();
    seen.push({ input: r1.usage!.input_tokens, output: r1.usage!.output_tokens });
    const s = await o(sub).responses.create({ model: 'm', instructions: 'You are a helper.', input: 'List files.', max_output_tokens: 8 });
    seen.push({ input: s.usage!.input_tokens, output: s.usage!.output_tokens });
    const fc = r1.output.find((x) => x.type === 'function_call');
    if (!fc || fc.type !== 'function_call') throw new Error('no function_call');
    const r2 = await o(main)
      .responses.stream({ model: 'm', instructions: 'You are the main agent.', input: [...input, { type: 'function_call', call_id: fc.call_id, name: fc.name, arguments: fc.arguments }, { type: 'function_call_output', call_id: fc.call_id, output: 'parser.c main.c' }], tools: [tool], max_output_tokens: 16 })
      .finalResponse();
    seen.push({ input: r2.usage!.input_tokens, output: r2.usage!.output_tokens });
    return seen;
  }
  const tools = [{ type: 'function' as const, function: { name: 'bash', description: 'run', parameters: { type: 'object', properties: {} } } }];
  const msgs: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are the main agent.' }, { role: 'user', content: 'Fix the bug in parser.c' }];
  const c1 = await o(main).chat.completions.stream({ model: 'm', messages: msgs, tools, max_tokens: 16, stream_options: { include_usage: true } }).finalChatCompletion();
  seen.push({ input: c1.usage!.prompt_tokens, output: c1.usage!.completion_tokens });
  const s = await o(sub).chat.completions.create({ model: 'm', messages: [{ role: 'system', content: 'You are a helper.' }, { role: 'user', content: 'List files.' }], max_tokens: 8 });
  seen.push({ input: s.usage!.prompt_tokens, output: s.usage!.completion_tokens });
  const tc = c1.choices[0].message.tool_calls![0];
  const c2 = await o(main)
    .chat.completions.stream({ model: 'm', messages: [...msgs, c1.choices[0].message, { role: 'tool', tool_call_id: tc.id, content: 'parser.c main.c' }], tools, max_tokens: 16, stream_options: { include_usage: true } })
    .finalChatCompletion();
  seen.push({ input: c2.usage!.prompt_tokens, output: c2.usage!.completion_tokens });
  return seen;
}

describe('recording proxy records chat, Responses and Messages sessions of the official SDKs', () => {
  for (const api of ['chat', 'responses', 'messages'] as const) {
    it(`${api}: main + header-tagged sub-agent, usage as the SDK saw it, content kept, no secrets`, async () => {
      const proxy = await startRecordingProxy({ upstream: sim.url, keepContent: true, flushMs: 0 });
      let seen: Seen[];
      try {
        seen = await session(api, proxy.url);
      } finally {
        await proxy.close();
      }
      const trajs = proxy.recorder.trajectories();
      expect(trajs).toHaveLength(1);
      const [t] = trajs;
      expect(validateTrajectory(t)).toEqual([]);
      expect(t.agents.map((a) => [a.id, a.parent])).toEqual([['main', null], ['sub-1', 'main']]);
      const mainLlm = t.agents[0].steps.filter((s): s is LlmStep => s.type === 'llm');
      const subLlm = t.agents[1].steps.filter((s): s is LlmStep => s.type === 'llm');
      expect(mainLlm.map((s) => [s.input_tokens, s.output_tokens])).toEqual([[seen[0].input, seen[0].output], [seen[2].input, seen[2].output]]);
      expect(subLlm.map((s) => [s.input_tokens, s.output_tokens])).toEqual([[seen[1].input, seen[1].output]]);
      expect(mainLlm[0].ttft_ms).toBeGreaterThanOrEqual(0);
      // The tool call and its result are in the recorded content, in the chat model.
      const json = JSON.stringify(t);
      expect(json).toContain('Fix the bug in parser.c');
      expect(json).toContain('parser.c main.c');
      expect(json).toContain('"bash"');
      expect(json).not.toContain(SECRET);
      expect(t.agents[0].steps.map((s) => s.type)).toContain('tool');
    });
  }
});
