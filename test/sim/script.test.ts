/**
 * Scripted playback: a session recorded through the proxy (with content) is played back to the
 * official SDKs over all three APIs; same replies, recorded usage; divergence is a 400 naming the turn.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingProxy } from '../../src/record/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { validateTrajectory, type LlmStep, type Trajectory } from '../../src/trajectory/index.js';

const tools = [{ type: 'function' as const, function: { name: 'bash', description: 'run', parameters: { type: 'object', properties: {} } } }];
const sys = { role: 'system' as const, content: 'You are the main agent.' };
const user = { role: 'user' as const, content: 'Fix the bug in parser.c' };

let recorded: Trajectory;
let replies: OpenAI.Chat.ChatCompletionMessage[] = [];
let play: SimServerHandle;

beforeAll(async () => {
  const sim = await startSimServer({ port: 0, seed: 21, toolCalls: true });
  const proxy = await startRecordingProxy({ upstream: sim.url, keepContent: true, flushMs: 0 });
  const c = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'k', maxRetries: 0 });
  const r1 = await c.chat.completions.stream({ model: 'm', messages: [sys, user], tools, max_tokens: 12, stream_options: { include_usage: true } }).finalChatCompletion();
  const m1 = r1.choices[0].message;
  const tc = m1.tool_calls![0];
  // Second turn offers no tools, so the engine answers in text.
  const r2 = await c.chat.completions.create({ model: 'm', messages: [sys, user, m1, { role: 'tool', tool_call_id: tc.id, content: 'parser.c main.c' }], max_tokens: 8 });
  replies = [m1, r2.choices[0].message];
  await proxy.close();
  await sim.close();
  [recorded] = proxy.recorder.trajectories();
  play = await startSimServer({ port: 0, script: recorded, scriptTimeScale: 0 });
});
afterAll(async () => play?.close());

describe('sim --script plays a recorded session back', () => {
  it('the recording validates and keeps both assistant turns', () => {
    expect(validateTrajectory(recorded)).toEqual([]);
    const llm = recorded.agents[0].steps.filter((s): s is LlmStep => s.type === 'llm');
    expect(llm).toHaveLength(2);
    expect(llm.every((s) => s.content?.response)).toBe(true);
  });

  it('chat (openai SDK): the recorded tool call, then the recorded text, with recorded usage', async () => {
    const c = new OpenAI({ baseURL: `${play.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const r1 = await c.chat.completions.stream({ model: 'm', messages: [sys, user], tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const tc = r1.choices[0].message.tool_calls![0];
    expect(tc.type === 'function' && tc.function.name).toBe('bash');
    expect(tc.type === 'function' && tc.function.arguments).toBe(replies[0].tool_calls![0].type === 'function' ? replies[0].tool_calls![0].function.arguments : '');
    const llm = recorded.agents[0].steps.filter((s): s is LlmStep => s.type === 'llm');
    expect(r1.usage?.prompt_tokens).toBe(llm[0].input_tokens);
    expect(r1.usage?.completion_tokens).toBe(llm[0].output_tokens);
    const r2 = await c.chat.completions.create({ model: 'm', messages: [sys, user, r1.choices[0].message, { role: 'tool', tool_call_id: tc.id, content: 'different output is fine by position' }] });
    expect(r2.choices[0].message.content).toBe(replies[1].content);
  });

  it('Responses (openai SDK) and Messages (anthropic SDK) get the same turns', async () => {
    const o = new OpenAI({ baseURL: `${play.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const rr = await o.responses.stream({ model: 'm', instructions: sys.content, input: user.content, tools: [{ type: 'function', name: 'bash', parameters: {}, strict: false }] }).finalResponse();
    const fc = rr.output.find((x) => x.type === 'function_call');
    expect(fc && fc.type === 'function_call' && fc.name).toBe('bash');
    const a = new Anthropic({ baseURL: play.url, apiKey: 'k', maxRetries: 0 });
    const m1 = await a.messages.stream({ model: 'm', system: sys.content, max_tokens: 50, messages: [{ role: 'user', content: user.content }] }).finalMessage();
    const tu = m1.content.find((b) => b.type === 'tool_use');
    expect(tu && tu.type === 'tool_use' && tu.name).toBe('bash');
    const m2 = await a.messages.create({ model: 'm', system: sys.content, max_tokens: 50, messages: [{ role: 'user', content: user.content }, { role: 'assistant', content: m1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu!.type === 'tool_use' ? tu!.id : '', content: 'x' }] }] });
    expect(m2.content[0].type === 'text' && m2.content[0].text).toBe(replies[1].content);
  });

  it('a request past the script, or from an unknown agent, is a 400 naming the turn', async () => {
    const c = new OpenAI({ baseURL: `${play.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const past = [sys, user, replies[0], { role: 'tool' as const, tool_call_id: 'x', content: 'x' }, { role: 'assistant' as const, content: 'done' }, { role: 'user' as const, content: 'more?' }];
    const e1 = await c.chat.completions.create({ model: 'm', messages: past as OpenAI.Chat.ChatCompletionMessageParam[] }).catch((e) => e);
    expect(e1).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String(e1.message)).toMatch(/agent main has 2 recorded turn\(s\); this request is turn 3/);
    const a = new Anthropic({ baseURL: play.url, apiKey: 'k', maxRetries: 0 });
    // Only one agent is recorded, so an unknown opening still maps to it; a wrong shape is refused.
    const e2 = await a.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }, { role: 'user', content: 'z' }] }).catch((e) => e);
    expect(e2).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String(e2.message)).toMatch(/turn 2: recorded request had 4 messages, this one has 3/);
  });

  it('strict mode refuses a changed tool result, naming the message', async () => {
    const strict = await startSimServer({ port: 0, script: recorded, scriptTimeScale: 0, scriptStrict: true });
    try {
      const c = new OpenAI({ baseURL: `${strict.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const tc = replies[0].tool_calls![0];
      const e = await c.chat.completions.create({ model: 'm', messages: [sys, user, replies[0], { role: 'tool', tool_call_id: tc.id, content: 'not what was recorded' }] }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.BadRequestError);
      expect(String(e.message)).toMatch(/turn 2: message 4 \(tool\) differs from the recording/);
    } finally {
      await strict.close();
    }
  });

  // Found by recording a real Codex CLI rollout: two parallel calls became one item whose arguments
  // were both calls' JSON run together (Codex: "trailing characters at line 1 column 13").
  it('parallel tool calls stay separate calls on all three APIs (streamed)', async () => {
    const calls = [
      { id: 'call_a', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
      { id: 'call_b', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"cat notes.txt"}' } },
    ];
    const script = {
      format: 'agentdyno.trajectory.v1', id: 'parallel', source: { kind: 'synthetic', license: 'CC0-1.0 (hand-written for tests)' },
      agents: [{ id: 'main', parent: null, system_prompt_tokens: 5, steps: [{ type: 'llm', input_tokens: 40, output_tokens: 20, cached_tokens: 0, ttft_ms: 5, duration_ms: 10, content: { response: { role: 'assistant', content: null, tool_calls: calls } } }] }],
    } as Trajectory;
    const s = await startSimServer({ port: 0, script, scriptTimeScale: 0 });
    try {
      const o = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const chat = await o.chat.completions.stream({ model: 'm', messages: [user], stream_options: { include_usage: true } }).finalChatCompletion();
      expect(chat.choices[0].message.tool_calls!.map((t) => (t.type === 'function' ? [t.id, t.function.arguments] : []))).toEqual(calls.map((c) => [c.id, c.function.arguments]));
      const rr = await o.responses.stream({ model: 'm', input: user.content }).finalResponse();
      const fcs = rr.output.filter((x) => x.type === 'function_call');
      expect(fcs.map((x) => (x.type === 'function_call' ? [x.call_id, x.arguments] : []))).toEqual(calls.map((c) => [c.id, c.function.arguments]));
      const a = new Anthropic({ baseURL: s.url, apiKey: 'k', maxRetries: 0 });
      const m = await a.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: user.content }] }).finalMessage();
      const uses = m.content.filter((b) => b.type === 'tool_use');
      expect(uses.map((b) => (b.type === 'tool_use' ? b.input : null))).toEqual(calls.map((c) => JSON.parse(c.function.arguments)));
    } finally {
      await s.close();
    }
  });
});
