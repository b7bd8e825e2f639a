import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { simCountChatTokens, startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { chatBody, dataLines, fastProfile, getText, metricValue, rawPost } from './helpers.js';

let srv: SimServerHandle;
beforeAll(async () => {
  srv = await startSimServer({ profile: fastProfile(), port: 0, seed: 1 });
});
afterAll(async () => srv.close());

describe('sim HTTP server', () => {
  it('streams chat with one token per chunk, role in the first content chunk, usage and [DONE]', async () => {
    const r = await rawPost(srv.url, '/v1/chat/completions', chatBody(30, 7));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    const d = dataLines(r.body);
    expect(d.at(-1)).toBe('[DONE]');
    const chunks = d.slice(0, -1).map((x) => JSON.parse(x));
    const content = chunks.filter((c) => c.choices.length > 0);
    expect(content).toHaveLength(7);
    expect(content[0].choices[0].delta.role).toBe('assistant');
    expect(content[1].choices[0].delta.role).toBeUndefined();
    expect(content[6].choices[0].finish_reason).toBe('length');
    const text = content.map((c) => c.choices[0].delta.content).join('');
    expect(text.split(/\s+/)).toHaveLength(7);
    const usage = chunks.at(-1).usage;
    expect(usage.prompt_tokens).toBe(simCountChatTokens(chatBody(30, 7).messages as never));
    expect(usage.completion_tokens).toBe(7);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(0);
  });

  it('reports cached tokens for a repeated prefix', async () => {
    const body = chatBody(200, 2);
    await rawPost(srv.url, '/v1/chat/completions', body);
    const r = await rawPost(srv.url, '/v1/chat/completions', body);
    const usage = JSON.parse(dataLines(r.body).at(-2)!).usage;
    expect(usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(180);
    expect(usage.prompt_tokens_details.cached_tokens).toBeLessThan(usage.prompt_tokens);
  });

  it('serves non-stream chat and completions with usage; max_completion_tokens wins', async () => {
    const r = await rawPost(srv.url, '/v1/chat/completions', { ...chatBody(5, 9), stream: false, max_completion_tokens: 4 });
    const j = JSON.parse(r.body);
    expect(j.object).toBe('chat.completion');
    expect(j.usage.completion_tokens).toBe(4);
    expect(j.choices[0].message.content.split(' ')).toHaveLength(4);
    const c = JSON.parse((await rawPost(srv.url, '/v1/completions', { prompt: 'a b c d', max_tokens: 3, ignore_eos: true })).body);
    expect(c.object).toBe('text_completion');
    expect(c.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 3 });
  });

  it('streams completions chunks with text', async () => {
    const r = await rawPost(srv.url, '/v1/completions', { prompt: 'a b c', max_tokens: 3, ignore_eos: true, stream: true });
    const d = dataLines(r.body);
    expect(d.at(-1)).toBe('[DONE]');
    const chunks = d.slice(0, -1).map((x) => JSON.parse(x));
    expect(chunks).toHaveLength(3); // no usage without include_usage
    expect(chunks.every((c) => typeof c.choices[0].text === 'string')).toBe(true);
  });

  it('stops early at a random EOS unless ignore_eos or min_tokens force the length', async () => {
    const lens: number[] = [];
    for (let i = 0; i < 8; i++) {
      const j = JSON.parse((await rawPost(srv.url, '/v1/completions', { prompt: 'x y', max_tokens: 500 })).body);
      lens.push(j.usage.completion_tokens);
      if (j.usage.completion_tokens < 500) expect(j.choices[0].finish_reason).toBe('stop');
    }
    expect(Math.min(...lens)).toBeLessThan(500);
    const forced = JSON.parse((await rawPost(srv.url, '/v1/completions', { prompt: 'x y', max_tokens: 60, min_tokens: 60 })).body);
    expect(forced.usage.completion_tokens).toBe(60);
  });

  it('returns an OpenAI-style 400 on context overflow', async () => {
    const r = await rawPost(srv.url, '/v1/chat/completions', chatBody(4000, 200));
    expect(r.status).toBe(400);
    const j = JSON.parse(r.body);
    expect(j.error.type).toBe('invalid_request_error');
    expect(j.error.message).toMatch(/maximum context length is 4096 tokens/);
  });

  it('serves /v1/models with max_model_len, /tokenize, and 404s unknown routes', async () => {
    const m = JSON.parse(await getText(srv.url + '/v1/models'));
    expect(m.data[0]).toMatchObject({ id: 'sim-test', max_model_len: 4096 });
    const t = JSON.parse((await rawPost(srv.url, '/tokenize', { model: 'sim-test', prompt: 'one two three' })).body);
    expect(t).toMatchObject({ count: 3, max_model_len: 4096 });
    expect(t.tokens).toHaveLength(3);
    const msgs = [{ role: 'user', content: 'hi there' }];
    const tc = JSON.parse((await rawPost(srv.url, '/tokenize', { messages: msgs })).body);
    expect(tc.count).toBe(simCountChatTokens(msgs));
    expect((await rawPost(srv.url, '/nope', {})).status).toBe(404);
  });

  it('exposes vLLM-style and DCGM-style metrics labelled as simulated', async () => {
    const m = await getText(srv.url + '/metrics');
    for (const name of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'vllm:prefix_cache_hits_total', 'vllm:prefix_cache_queries_total', 'vllm:generation_tokens_total', 'vllm:prompt_tokens_total', 'agentdyno_sim_driver_lag_seconds_total'])
      expect(() => metricValue(m, name)).not.toThrow();
    expect(metricValue(m, 'vllm:generation_tokens_total')).toBeGreaterThan(0);
    expect(m).toMatch(/# HELP DCGM_FI_DEV_POWER_USAGE .*SIMULATED/);
    const w = metricValue(m, 'DCGM_FI_DEV_POWER_USAGE');
    expect(w).toBeGreaterThanOrEqual(50);
    expect(w).toBeLessThanOrEqual(250);
    const e1 = metricValue(m, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION');
    await new Promise((r) => setTimeout(r, 30));
    const e2 = metricValue(await getText(srv.url + '/metrics'), 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION');
    expect(e2).toBeGreaterThan(e1);
  });

  it('aborts the request in the engine when the client disconnects', async () => {
    await new Promise<void>((resolve) => {
      const req = request(srv.url + '/v1/chat/completions', { method: 'POST' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end(JSON.stringify(chatBody(50, 3000)));
    });
    for (let i = 0; i < 100 && srv.engine.stats().running > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.engine.stats().running).toBe(0);
    expect(srv.engine.stats().kvUsedBlocks).toBe(0);
    expect(srv.engine.stats().requestsAbortedTotal).toBeGreaterThan(0);
  });

  it('accepts any model name unless strictModel is set', async () => {
    const strict = await startSimServer({ profile: fastProfile(), port: 0, strictModel: true });
    try {
      const bad = await rawPost(strict.url, '/v1/completions', { model: 'gpt-x', prompt: 'a', max_tokens: 1 });
      expect(bad.status).toBe(404);
      expect(JSON.parse(bad.body).error.message).toMatch(/gpt-x/);
      expect((await rawPost(strict.url, '/v1/completions', { model: 'sim-test', prompt: 'a', max_tokens: 1 })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('refuses a port in use with an AgentdynoError naming the port', async () => {
    await expect(startSimServer({ profile: fastProfile(), port: srv.port })).rejects.toThrow(new RegExp(`port ${srv.port} is already in use`));
  });
});
