import { afterEach, describe, expect, it } from 'vitest';
import { EndpointClient, requestMetrics } from '../../src/endpoint/index.js';
import { chatDelta, DONE, ev, sleep, sseHead, startServer, streamTokens, tok, usageEv, type TestServer } from './helpers.js';

let server: TestServer | undefined;
let client: EndpointClient | undefined;
afterEach(async () => {
  await client?.close(true);
  await server?.close();
  client = server = undefined;
});

const chat = (extra: Record<string, unknown> = {}) => ({
  api: 'chat' as const,
  messages: [{ role: 'user' as const, content: 'hi' }],
  maxTokens: 8,
  ...extra,
});

describe('request shape', () => {
  it('sends a streaming chat request with forced length, usage and extra body, to /v1 with or without it in the base URL', async () => {
    server = await startServer((_q, res) => streamTokens(res, 3));
    for (const base of [server.url, `${server.url}/v1`, `${server.url}/v1/`]) {
      const c = new EndpointClient({ baseUrl: base, model: 'm1', headers: { 'x-extra': 'yes' } });
      const r = await c.send(chat({ forceOutputLength: true, extraBody: { temperature: 0 }, requestId: 'rq-1' }));
      await c.close();
      expect(r.ok).toBe(true);
    }
    expect(server.requests.map((q) => q.path)).toEqual(Array(3).fill('/v1/chat/completions'));
    const q = server.requests[0];
    expect(q.body).toMatchObject({
      model: 'm1',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 8,
      max_completion_tokens: 8,
      min_tokens: 8,
      ignore_eos: true,
      temperature: 0,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(q.headers['x-extra']).toBe('yes');
    expect(q.headers['x-request-id']).toBe('rq-1');
    expect(q.headers.authorization).toBeUndefined();
  });

  it('uses /v1/completions with prompt and no max_completion_tokens or forcing unless asked', async () => {
    server = await startServer((_q, res) => {
      sseHead(res);
      res.write(ev({ choices: [{ index: 0, text: 'Hello', finish_reason: null }] }));
      res.write(ev({ choices: [{ index: 0, text: ' world', finish_reason: 'length' }] }));
      res.write(usageEv(3, 2));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send({ api: 'completions', prompt: 'p', maxTokens: 2, keepOutputText: true });
    expect(server.requests[0].path).toBe('/v1/completions');
    expect(server.requests[0].body).toMatchObject({ prompt: 'p', max_tokens: 2, stream: true });
    expect(server.requests[0].body.max_completion_tokens).toBeUndefined();
    expect(server.requests[0].body.ignore_eos).toBeUndefined();
    expect(r).toMatchObject({ ok: true, finishReason: 'length', outputText: 'Hello world' });
    expect(r.usage).toEqual({ promptTokens: 3, completionTokens: 2, cachedTokens: null });
  });
});

describe('SSE parsing', () => {
  it('parses events split across TCP writes byte by byte', async () => {
    const payload = chatDelta({ role: 'assistant', content: 'é€' }) + tok('b') + chatDelta({ content: 'c' }, 'stop') + usageEv(5, 3) + DONE;
    server = await startServer(async (_q, res) => {
      sseHead(res);
      const bytes = Buffer.from(payload);
      for (let i = 0; i < bytes.length; i++) {
        res.write(bytes.subarray(i, i + 1));
        if (i % 7 === 0) await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat({ keepOutputText: true }));
    expect(r.ok).toBe(true);
    expect(r.outputText).toBe('é€bc'); // multi-byte characters survive being split
    expect(r.tokenChunkPieces.reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.usage?.completionTokens).toBe(3);
  });

  it('handles many events in one write, CRLF, data: without space, comment pings, multi-line whitespace', async () => {
    server = await startServer((_q, res) => {
      sseHead(res);
      const crlf = (o: unknown) => `data:${JSON.stringify(o)}\r\n\r\n`;
      res.write(': ping\n\n');
      res.write(
        crlf({ choices: [{ index: 0, delta: { content: 'a' } }] }) +
          ': keep-alive\r\n\r\n' +
          crlf({ choices: [{ index: 0, delta: { content: 'b' } }] }) +
          crlf({ choices: [{ index: 0, delta: { content: 'c' }, finish_reason: 'stop' }] }) +
          crlf({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 3 } }) +
          'data:[DONE]\r\n\r\n',
      );
      res.end();
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat({ keepOutputText: true }));
    expect(r.ok).toBe(true);
    expect(r.outputText).toBe('abc');
    // three output events in one body chunk: one arrival, three pieces
    expect(r.tokenChunkTimesNs.length).toBe(1);
    expect(r.tokenChunkPieces).toEqual([3]);
  });

  it('does not count a role-only first chunk as the first token', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      res.write(chatDelta({ role: 'assistant', content: '' }));
      await sleep(40);
      res.write(tok('x'));
      res.write(chatDelta({ content: 'y' }, 'stop'));
      res.write(usageEv(1, 2, 0));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat());
    expect(r.ok).toBe(true);
    expect(r.tFirstByteNs).not.toBeNull();
    // the role chunk arrived alone, 40 ms before the first token: it is the first byte, not a token
    expect(r.tFirstTokenNs! > r.tFirstByteNs!).toBe(true);
    expect(r.tokenChunkPieces.reduce((a, b) => a + b, 0)).toBe(2);
    expect(r.usage?.cachedTokens).toBe(0);
  });

  it('counts N-token chunks by usage and keeps per-chunk pieces', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      for (let i = 0; i < 3; i++) {
        res.write(tok('ab')); // server packs 2 tokens in each event (spec decode / stream interval)
        await sleep(15);
      }
      res.write(chatDelta({}, 'length'));
      res.write(usageEv(100, 6, 64));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat());
    expect(r.ok).toBe(true);
    expect(r.tokenChunkTimesNs.length).toBe(3);
    expect(r.usage).toEqual({ promptTokens: 100, completionTokens: 6, cachedTokens: 64 });
    const m = requestMetrics(r);
    expect(m.outputTokens).toBe(6);
    expect(r.finishReason).toBe('length');
  });

  it('counts reasoning_content and tool_calls deltas as visible output; TTFO is the first non-reasoning one', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      res.write(chatDelta({ reasoning_content: 'think' }));
      await sleep(30);
      res.write(chatDelta({ reasoning: 'more' }));
      await sleep(30);
      res.write(chatDelta({ tool_calls: [{ index: 0, id: 't1', function: { name: 'ls', arguments: '' } }] }));
      res.write(chatDelta({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, 'tool_calls'));
      res.write(usageEv(10, 4));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat());
    expect(r.ok).toBe(true);
    expect(r.tokenChunkPieces.reduce((a, b) => a + b, 0)).toBe(4);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.tFirstContentNs! > r.tFirstTokenNs!).toBe(true);
  });

  it('keeps one arrival time per output-carrying chunk, in order', async () => {
    server = await startServer((_q, res) => streamTokens(res, 5, 10));
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat());
    expect(r.ok).toBe(true);
    expect(r.tokenChunkTimesNs.length).toBe(5);
    for (let i = 1; i < 5; i++) expect(r.tokenChunkTimesNs[i] > r.tokenChunkTimesNs[i - 1]).toBe(true);
    expect(r.tFirstTokenNs).toBe(r.tokenChunkTimesNs[0]);
    expect(r.tLastTokenNs).toBe(r.tokenChunkTimesNs[4]);
    expect(r.tEndNs >= r.tLastTokenNs!).toBe(true);
    expect(r.tSendNs <= r.tHeadersNs!).toBe(true);
  });
});
