import { describe, expect, it } from 'vitest';
import { startSimServer, type SimServerOptions } from '../../src/sim/index.js';
import { chatBody, dataLines, fastProfile, rawPost } from './helpers.js';

async function withServer<T>(opts: SimServerOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const srv = await startSimServer({ profile: fastProfile(), port: 0, seed: 3, ...opts });
  try {
    return await fn(srv.url);
  } finally {
    await srv.close();
  }
}
const stream = (url: string, out = 8, extra: Record<string, unknown> = {}) => rawPost(url, '/v1/chat/completions', chatBody(20, out, extra));

describe('sim SSE habits', () => {
  it('N tokens per chunk', async () => {
    await withServer({ tokensPerChunk: 3 }, async (url) => {
      const d = dataLines((await stream(url, 8)).body).slice(0, -1).map((x) => JSON.parse(x));
      const pieces = d.filter((c) => c.choices.length).map((c) => c.choices[0].delta.content.trim().split(/\s+/).length);
      expect(pieces).toEqual([3, 3, 2]);
      expect(d.at(-1).usage.completion_tokens).toBe(8);
    });
  });

  it('role-only first chunk', async () => {
    await withServer({ roleChunk: true }, async (url) => {
      const d = dataLines((await stream(url, 3)).body);
      expect(JSON.parse(d[0]).choices[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(JSON.parse(d[1]).choices[0].delta.role).toBeUndefined();
    });
  });

  it('CRLF line endings and data: without a space', async () => {
    await withServer({ crlf: true, dataNoSpace: true }, async (url) => {
      const body = (await stream(url, 3)).body;
      expect(body).toMatch(/^data:\{/);
      expect(body).toContain('\r\n\r\ndata:{');
      expect(body.replace(/\r\n/g, '')).not.toContain('\n');
      expect(body.endsWith('data:[DONE]\r\n\r\n')).toBe(true);
    });
  });

  it(': ping comment lines', async () => {
    // A slow profile step so the stream lasts long enough for pings.
    const p = fastProfile();
    const slow = { ...p, stepTimeMs: { ...p.stepTimeMs, a: 15 } };
    await withServer({ profile: slow, pingMs: 10 }, async (url) => {
      const body = (await stream(url, 10)).body;
      expect(body).toMatch(/^: ping$/m);
    });
  });

  it('stall: a pause mid-stream', async () => {
    await withServer({ stallProb: 1, stallMs: 300 }, async (url) => {
      const t0 = Date.now();
      const r = await stream(url, 6);
      expect(dataLines(r.body).at(-1)).toBe('[DONE]');
      // Generation itself takes ~10 ms with this profile; the held delivery shows as the stall.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    });
  });
});

describe('sim faults', () => {
  it('connection reset mid-stream', async () => {
    await withServer({ resetProb: 1 }, async (url) => {
      const r = await stream(url, 20);
      expect(r.error?.code).toMatch(/ECONNRESET|aborted/);
      expect(r.body).not.toContain('[DONE]');
      expect(dataLines(r.body).length).toBeGreaterThan(0);
    });
  });

  it('429 with Retry-After, 500 and 503 with OpenAI-style bodies', async () => {
    await withServer({ rateLimitProb: 1, retryAfterS: 7 }, async (url) => {
      const r = await stream(url);
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('7');
      expect(JSON.parse(r.body).error.type).toBe('rate_limit_error');
    });
    await withServer({ error500Prob: 1 }, async (url) => expect((await stream(url)).status).toBe(500));
    await withServer({ error503Prob: 1 }, async (url) => {
      const r = await stream(url);
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('1');
    });
  });

  it('faults are drawn by probability from a seeded rng', async () => {
    const run = () =>
      withServer({ rateLimitProb: 0.5, seed: 11 }, async (url) => {
        const codes: number[] = [];
        for (let i = 0; i < 12; i++) codes.push((await rawPost(url, '/v1/completions', { prompt: 'a', max_tokens: 1 })).status);
        return codes;
      });
    const a = await run();
    expect(a).toContain(429);
    expect(a).toContain(200);
    expect(await run()).toEqual(a);
  });

  it('malformed SSE: a non-JSON data line', async () => {
    await withServer({ malformedProb: 1 }, async (url) => {
      const d = dataLines((await stream(url, 10)).body);
      const bad = d.filter((x) => x !== '[DONE]' && !(() => { try { JSON.parse(x); return true; } catch { return false; } })());
      expect(bad).toHaveLength(1);
      expect(d.at(-1)).toBe('[DONE]');
    });
  });

  it('early close: the stream ends without finish_reason or [DONE]', async () => {
    await withServer({ earlyCloseProb: 1 }, async (url) => {
      const r = await stream(url, 20);
      expect(r.error).toBeUndefined();
      const d = dataLines(r.body);
      expect(d).not.toContain('[DONE]');
      expect(d.length).toBe(10);
      expect(d.every((x) => JSON.parse(x).choices[0].finish_reason === null)).toBe(true);
    });
  });

  it('omit usage', async () => {
    await withServer({ omitUsage: true }, async (url) => {
      const d = dataLines((await stream(url, 4)).body).slice(0, -1).map((x) => JSON.parse(x));
      expect(d.some((c) => c.usage)).toBe(false);
      const j = JSON.parse((await rawPost(url, '/v1/completions', { prompt: 'a', max_tokens: 2 })).body);
      expect(j.usage).toBeUndefined();
    });
  });

  it('ignoreMaxTokens: generates past max_tokens', async () => {
    await withServer({ ignoreMaxTokens: 2 }, async (url) => {
      const d = dataLines((await stream(url, 10)).body).slice(0, -1).map((x) => JSON.parse(x));
      expect(d.at(-1).usage.completion_tokens).toBe(20);
      // The tokens are really streamed, not just reported in usage.
      const streamed = d.filter((c) => c.choices.length && typeof c.choices[0].delta.content === 'string')
        .reduce((a, c) => a + c.choices[0].delta.content.trim().split(/\s+/).filter(Boolean).length, 0);
      expect(streamed).toBe(20);
    });
  });

  it('reasoning_content then content, and streamed tool_calls', async () => {
    await withServer({ reasoningTokens: 3 }, async (url) => {
      const d = dataLines((await stream(url, 6)).body).slice(0, -1).map((x) => JSON.parse(x)).filter((c) => c.choices.length);
      expect(d.slice(0, 3).every((c) => typeof c.choices[0].delta.reasoning_content === 'string')).toBe(true);
      expect(d.slice(3).every((c) => typeof c.choices[0].delta.content === 'string')).toBe(true);
    });
    await withServer({}, async (url) => {
      const tools = [{ type: 'function', function: { name: 'run_tests', parameters: { type: 'object' } } }];
      const d = dataLines((await stream(url, 5, { tools, tool_choice: 'required' })).body).slice(0, -1).map((x) => JSON.parse(x)).filter((c) => c.choices.length);
      const calls = d.map((c) => c.choices[0].delta.tool_calls[0]);
      expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'run_tests' } });
      expect(calls[0].id).toMatch(/^call_/);
      expect(calls.slice(1).every((t) => t.id === undefined && t.index === 0)).toBe(true);
      const args = calls.map((t) => t.function.arguments).join('');
      expect(JSON.parse(args).query.split(' ')).toHaveLength(5);
      expect(d.at(-1).choices[0].finish_reason).toBe('length');
    });
  });
});
