import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingProxy, Recorder } from '../../src/record/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { validateTrajectory, type LlmStep, type Trajectory } from '../../src/trajectory/index.js';

let sim: SimServerHandle;
beforeAll(async () => {
  sim = await startSimServer({ port: 0, seed: 7, toolCalls: true });
});
afterAll(async () => {
  await sim.close();
});

const SECRET = 'sk-SECRET-do-not-store-123';
const tools = [{ type: 'function', function: { name: 'bash', description: 'run', parameters: { type: 'object', properties: {} } } }];

async function chat(base: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, ...headers },
    body: JSON.stringify({ model: 'm', max_tokens: 8, ...body }),
  });
  const text = await r.body.text();
  return { status: r.statusCode, text };
}

const sseChunks = (text: string) => text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { choices: unknown[]; usage?: unknown });

async function session(keepContent: boolean): Promise<{ trajs: Trajectory[]; file: string; streamedNoUsage: string; streamedUsage: string }> {
  const out = join(mkdtempSync(join(tmpdir(), 'rec-')), 'rec.jsonl');
  const proxy = await startRecordingProxy({ upstream: sim.url, out, keepContent, flushMs: 0 });
  const sys = { role: 'system', content: 'You are the main agent.' };
  const user = { role: 'user', content: 'Fix the bug.' };
  // 1. main agent, streaming without include_usage, asks for a tool
  const a = await chat(proxy.url, { messages: [sys, user], tools, stream: true }, { 'x-request-id': 'req-1' });
  const chunks = sseChunks(a.text);
  const toolCall = { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{}' } }] };
  // 2. while it waits on the tool: a fresh conversation = sub-agent (non-streaming)
  const b = await chat(proxy.url, { messages: [{ role: 'system', content: 'You are a helper.' }, { role: 'user', content: 'List files.' }] });
  expect(b.status).toBe(200);
  // 3. main agent continues (extends its earlier messages), asks for usage itself
  const c = await chat(proxy.url, { messages: [sys, user, toolCall, { role: 'tool', tool_call_id: 'c1', content: 'ok' }], stream: true, stream_options: { include_usage: true } });
  await proxy.close();
  expect(chunks.length).toBeGreaterThan(0);
  return { trajs: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Trajectory), file: readFileSync(out, 'utf8'), streamedNoUsage: a.text, streamedUsage: c.text };
}

describe('recording proxy against the sim', () => {
  it('passes streams through, strips only the usage chunk it added, and rebuilds main + sub-agent', async () => {
    const r = await session(false);
    expect(sseChunks(r.streamedNoUsage).some((c) => c.usage)).toBe(false);
    expect(r.streamedNoUsage.trim().endsWith('data: [DONE]')).toBe(true);
    expect(sseChunks(r.streamedUsage).some((c) => c.usage && c.choices.length === 0)).toBe(true);
    expect(r.trajs).toHaveLength(1);
    const [t] = r.trajs;
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.source.kind).toBe('proxy');
    expect(t.agents.map((a) => [a.id, a.parent])).toEqual([['main', null], ['sub-1', 'main']]);
    const steps = t.agents[0].steps;
    expect(steps.map((s) => s.type)).toEqual(['llm', 'spawn', 'tool', 'llm']);
    const l = steps.filter((s): s is LlmStep => s.type === 'llm');
    expect(l[0].input_tokens).toBeGreaterThan(0);
    expect(l[0].output_tokens).toBeGreaterThan(0);
    expect(l[0].ttft_ms).toBeGreaterThanOrEqual(0);
    expect(l[1].new_input_tokens).toBeLessThan(l[1].input_tokens);
    expect(l[0].content).toBeUndefined();
    expect((t as unknown as { meta: unknown }).meta).toEqual({ request_ids: [{ agent: 'main', call: 0, request_id: 'req-1' }] });
  });

  it('never stores API keys or auth headers; content only with keepContent', async () => {
    const plain = await session(false);
    expect(plain.file).not.toContain(SECRET);
    expect(plain.file).not.toMatch(/authorization|x-api-key|Bearer/i);
    expect(plain.file).not.toContain('Fix the bug.');
    const kept = await session(true);
    expect(kept.file).not.toContain(SECRET);
    expect(kept.file).toContain('Fix the bug.');
  });

  it('upstream down: 502 with the URL, nothing recorded', async () => {
    const proxy = await startRecordingProxy({ upstream: 'http://127.0.0.1:1', flushMs: 0 });
    const r = await chat(proxy.url, { messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(502);
    expect(r.text).toContain('http://127.0.0.1:1');
    expect(proxy.recorder.calls).toHaveLength(0);
    await proxy.close();
  });
});

describe('recording proxy: pass-through edges and the output file', () => {
  it('periodic flushes plus the final write on close lose nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rec-')), 'rec.jsonl');
    const proxy = await startRecordingProxy({ upstream: sim.url, out, flushMs: 20 });
    const n = 12;
    await Promise.all(
      Array.from({ length: n }, (_, i) => chat(proxy.url, { messages: [{ role: 'user', content: `job ${i}` }], stream: i % 2 === 0 })),
    );
    await new Promise((r) => setTimeout(r, 60)); // at least one periodic rewrite in between
    await chat(proxy.url, { messages: [{ role: 'user', content: 'last one' }], stream: true });
    await proxy.close();
    const trajs = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Trajectory);
    expect(trajs).toHaveLength(n + 1);
    expect(trajs.every((t) => validateTrajectory(t).length === 0)).toBe(true);
  });

  it('non-chat routes and error statuses pass through untouched and are not recorded', async () => {
    const proxy = await startRecordingProxy({ upstream: `${sim.url}/v1`, flushMs: 0 });
    const models = await request(`${proxy.url}/v1/models`);
    expect(models.statusCode).toBe(200);
    expect(((await models.body.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const bad = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.text()).toContain('JSON');
    proxy.flush();
    expect(proxy.recorder.calls).toHaveLength(0);
    await proxy.close();
  });

  it('a client that goes away mid-stream does not break the proxy', async () => {
    const proxy = await startRecordingProxy({ upstream: sim.url, flushMs: 0 });
    const ac = new AbortController();
    const r = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 4000, stream: true, messages: [{ role: 'user', content: 'long' }] }),
      signal: ac.signal,
    });
    for await (const _ of r.body) {
      ac.abort();
      break;
    }
    // The proxy still serves the next request.
    const ok = await chat(proxy.url, { messages: [{ role: 'user', content: 'after' }], stream: true });
    expect(ok.status).toBe(200);
    expect(ok.text.trim().endsWith('data: [DONE]')).toBe(true);
    proxy.flush();
    expect(proxy.recorder.calls).toHaveLength(1); // the abandoned stream is not recorded
    await proxy.close(); // and its upstream request was aborted (close would wait for it otherwise)
  });
});

describe('Recorder (pure)', () => {
  it('uses nvext.agent_context program ids over message matching', () => {
    const rec = new Recorder();
    const u = { prompt_tokens: 100, completion_tokens: 10 };
    rec.add({ startMs: 0, endMs: 10, requestMessages: [{ role: 'user', content: 'a' }], usage: u, agentContext: { workflow_id: 'w', program_id: 'p1' } });
    rec.add({ startMs: 20, endMs: 30, requestMessages: [{ role: 'user', content: 'zzz' }], usage: u, agentContext: { workflow_id: 'w', program_id: 'p2', parent_program_id: 'p1' } });
    rec.add({ startMs: 40, endMs: 50, requestMessages: [{ role: 'user', content: 'other' }], usage: u, agentContext: { workflow_id: 'w', program_id: 'p1' } });
    const [t, ...rest] = rec.trajectories();
    expect(rest).toHaveLength(0);
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.agents.map((a) => [a.id, a.parent, a.steps.filter((s) => s.type === 'llm').length])).toEqual([['main', null, 2], ['sub-1', 'main', 1]]);
  });

  it('a new conversation with nobody waiting on a tool is a new trajectory', () => {
    const rec = new Recorder();
    const u = { prompt_tokens: 10, completion_tokens: 1 };
    rec.add({ startMs: 0, endMs: 1, requestMessages: [{ role: 'user', content: 'a' }], usage: u, finishReason: 'stop' });
    rec.add({ startMs: 2, endMs: 3, requestMessages: [{ role: 'user', content: 'b' }], usage: u, finishReason: 'stop' });
    expect(rec.trajectories()).toHaveLength(2);
  });

  it('labels tokens as estimated when the upstream sent no usage, and only then', () => {
    const withUsage = new Recorder();
    withUsage.add({ startMs: 0, endMs: 1, requestMessages: [{ role: 'user', content: 'a b c' }], usage: { prompt_tokens: 10, completion_tokens: 1 }, finishReason: 'stop' });
    const [measured] = withUsage.trajectories();
    expect(measured.source.estimated ?? []).not.toContain('tokens');
    expect((measured.agents[0].steps[0] as LlmStep).input_tokens).toBe(10);
    const noUsage = new Recorder();
    noUsage.add({ startMs: 0, endMs: 1, requestMessages: [{ role: 'user', content: 'a b c' }], finishReason: 'stop' });
    const [est] = noUsage.trajectories();
    expect(noUsage.estimated).toBe(true);
    expect(est.source.estimated).toContain('tokens');
    expect(validateTrajectory(est)).toEqual([]);
    expect((est.agents[0].steps[0] as LlmStep).input_tokens).toBeGreaterThan(0);
  });
});
