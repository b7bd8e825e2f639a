import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { EndpointClient, type RequestResult } from '../../src/endpoint/index.js';
import { chatDelta, DONE, dump, ev, sleep, sseHead, startServer, tok, usageEv, type TestServer } from './helpers.js';

let server: TestServer | undefined;
let client: EndpointClient | undefined;
afterEach(async () => {
  await client?.close(true);
  await server?.close();
  client = server = undefined;
});

const chat = { api: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 4 };

async function run(handler: Parameters<typeof startServer>[0], timeoutMs?: number, req: Partial<typeof chat> & Record<string, unknown> = {}): Promise<RequestResult> {
  server = await startServer(handler);
  client = new EndpointClient({ baseUrl: server.url, model: 'm', timeoutMs });
  return client.send({ ...chat, ...req });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('fault classification (never throws)', () => {
  it('refused: nothing listening', async () => {
    client = new EndpointClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, model: 'm' });
    const r = await client.send(chat);
    expect(r).toMatchObject({ ok: false, errorClass: 'refused', httpStatus: null, tFirstByteNs: null });
  });

  it('reset: socket destroyed mid-stream keeps the timings seen so far', async () => {
    const r = await run(async (_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      await sleep(20);
      res.socket?.destroy();
    });
    expect(r).toMatchObject({ ok: false, errorClass: 'reset', httpStatus: 200 });
    expect(r.tokenChunkTimesNs.length).toBe(1);
  });

  it('http_429 with Retry-After seconds and HTTP-date', async () => {
    let n = 0;
    const r1 = await run((_q, res) => {
      n++;
      const ra = n === 1 ? '2' : new Date(Date.now() + 5000).toUTCString();
      res.writeHead(429, { 'retry-after': ra, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow down' } }));
    });
    expect(r1).toMatchObject({ ok: false, errorClass: 'http_429', httpStatus: 429, retryAfterMs: 2000 });
    expect(r1.errorMessage).toContain('slow down');
    const r2 = await client!.send(chat);
    expect(r2.errorClass).toBe('http_429');
    expect(r2.retryAfterMs).toBeGreaterThan(2000);
    expect(r2.retryAfterMs).toBeLessThanOrEqual(5000);
  });

  it('http_5xx, http_4xx and context_overflow from status and body', async () => {
    const bodies: Record<string, [number, string]> = {
      a: [500, 'internal error'],
      b: [404, JSON.stringify({ error: { message: 'model not found' } })],
      c: [400, JSON.stringify({ object: 'error', message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens" })],
      d: [400, JSON.stringify({ error: { message: 'bad temperature' } })],
    };
    server = await startServer((q, res) => {
      const [status, body] = bodies[q.headers['x-request-id'] as string];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const cls = async (id: string) => (await client!.send({ ...chat, requestId: id })).errorClass;
    expect(await cls('a')).toBe('http_5xx');
    expect(await cls('b')).toBe('http_4xx');
    expect(await cls('c')).toBe('context_overflow');
    expect(await cls('d')).toBe('http_4xx');
  });

  it('malformed_sse: a data line that is not JSON, and a non-SSE line', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      res.write('data: {"choices": [ {"delta": \n\n');
      res.write(tok('b'));
      res.end(DONE);
    });
    expect(r).toMatchObject({ ok: false, errorClass: 'malformed_sse' });
    expect(r.tokenChunkTimesNs.length).toBe(1);
    await server!.close();
    await client!.close(true);
    const r2 = await run((_q, res) => {
      sseHead(res);
      res.end('{"choices": []}\n\n');
    });
    expect(r2.errorClass).toBe('malformed_sse');
  });

  it('malformed_sse: server ignored stream:true and answered JSON', async () => {
    const r = await run((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: 'x' } }] }));
    });
    expect(r.errorClass).toBe('malformed_sse');
  });

  it('early_close: clean end without [DONE] or finish_reason', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      res.end(tok('b'));
    });
    expect(r).toMatchObject({ ok: false, errorClass: 'early_close', httpStatus: 200 });
    expect(r.tokenChunkPieces.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('missing_usage: completed stream without usage is ok:false with timings kept', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      res.write(chatDelta({ content: 'b' }, 'stop'));
      res.end(DONE);
    });
    expect(r).toMatchObject({ ok: false, errorClass: 'missing_usage', finishReason: 'stop', usage: null });
    expect(r.tFirstTokenNs).not.toBeNull();
    // Both writes may arrive in one socket read (then one entry of 2 pieces): count pieces, not reads.
    expect(r.tokenChunkPieces.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('in-stream error event is classified (vLLM style)', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(ev({ error: { object: 'error', message: 'maximum context length exceeded', code: 400 } }));
      res.end(DONE);
    });
    expect(r.errorClass).toBe('context_overflow');
  });

  it('no_answer: no response headers within timeoutMs', async () => {
    const r = await run(() => {
      /* never answer */
    }, 300);
    expect(r).toMatchObject({ ok: false, errorClass: 'no_answer', httpStatus: null });
  });

  it('timeout: a gap between chunks beyond timeoutMs', async () => {
    const r = await run(async (_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      await sleep(2000);
      res.end(DONE);
    }, 300);
    expect(r).toMatchObject({ ok: false, errorClass: 'timeout', httpStatus: 200 });
    expect(r.tokenChunkTimesNs.length).toBe(1);
  });

  it('aborted: caller signal mid-stream, and a signal aborted before sending', async () => {
    const ac = new AbortController();
    const p = run(async (_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      await sleep(50);
      ac.abort();
      await sleep(500);
      res.end(DONE);
    }, undefined, { signal: ac.signal });
    const r = await p;
    expect(r).toMatchObject({ ok: false, errorClass: 'aborted' });
    expect(r.tokenChunkTimesNs.length).toBe(1);
    const r2 = await client!.send({ ...chat, signal: AbortSignal.abort() });
    expect(r2).toMatchObject({ ok: false, errorClass: 'aborted', tFirstByteNs: null });
  });
});

describe('API key', () => {
  const KEY = 'sk-test-SECRET-1234567890';

  it('is sent as Bearer and never appears in results, error messages or the client object', async () => {
    process.env.AGENTDYNO_TEST_KEY = KEY;
    const seen: string[] = [];
    server = await startServer((q, res) => {
      seen.push(String(q.headers.authorization));
      const mode = q.headers['x-request-id'];
      if (mode === 'echo401') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `invalid key ${q.headers.authorization}` } }));
      } else if (mode === 'echoSse') {
        sseHead(res);
        res.end(`data: not json ${q.headers.authorization}\n\n`);
      } else if (mode === 'echoText') {
        sseHead(res);
        res.write(tok(`your key is ${KEY}`));
        res.write(chatDelta({}, 'stop'));
        res.write(usageEv(1, 1));
        res.end(DONE);
      } else {
        res.writeHead(500);
        res.end(`upstream saw ${q.headers.authorization}`);
      }
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm', apiKeyEnv: 'AGENTDYNO_TEST_KEY' });
    const results: RequestResult[] = [];
    for (const id of ['echo401', 'echoSse', 'echoText', 'plain']) {
      results.push(await client.send({ ...chat, requestId: id, keepOutputText: true }));
    }
    expect(seen.every((h) => h === `Bearer ${KEY}`)).toBe(true);
    expect(results.map((r) => r.errorClass)).toEqual(['http_4xx', 'malformed_sse', null, 'http_5xx']);
    for (const r of results) expect(dump(r)).not.toContain(KEY);
    expect(results[0].errorMessage).toContain('[redacted]');
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(client.config)).not.toContain(KEY);
    // setup calls throw, and their errors are redacted too
    const err = await client.listModels().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(`${(err as Error).message} ${inspect(err, { depth: 10 })}`).not.toContain(KEY);
    delete process.env.AGENTDYNO_TEST_KEY;
  });

  it('a missing key variable is a user error at construction that names the variable', () => {
    delete process.env.AGENTDYNO_NOPE;
    expect(() => new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm', apiKeyEnv: 'AGENTDYNO_NOPE' })).toThrow(/AGENTDYNO_NOPE/);
  });
});
