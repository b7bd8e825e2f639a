import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyError,
  classifyHttpStatus,
  EndpointClient,
  parseRetryAfter,
  requestMetrics,
  resolveBaseUrl,
  withRetry,
  type CompletionRequest,
  type RequestResult,
} from '../../src/endpoint/index.js';
import { startServer, streamTokens, type TestServer } from './helpers.js';

const NS = 1_000_000n; // 1 ms
function result(over: Partial<RequestResult> = {}): RequestResult {
  return {
    requestId: 'r',
    ok: true,
    errorClass: null,
    errorMessage: null,
    httpStatus: 200,
    retryAfterMs: null,
    tSendNs: 1000n * NS,
    tHeadersNs: 1010n * NS,
    tFirstByteNs: 1010n * NS,
    tFirstTokenNs: 1100n * NS,
    tFirstContentNs: 1100n * NS,
    tLastTokenNs: 1400n * NS,
    tEndNs: 1500n * NS,
    tokenChunkTimesNs: [1100n * NS, 1200n * NS, 1300n * NS, 1400n * NS],
    tokenChunkPieces: [1, 1, 2, 1],
    usage: { promptTokens: 10, completionTokens: 5, cachedTokens: null },
    finishReason: 'stop',
    ...over,
  };
}

describe('requestMetrics', () => {
  it('computes TTFB/TTFT/E2E, decode rate, vLLM TPOT and token-weighted ITL', () => {
    const m = requestMetrics(result());
    expect(m.ttfbMs).toBeCloseTo(10);
    expect(m.ttftMs).toBeCloseTo(100);
    expect(m.e2eMs).toBeCloseTo(500);
    expect(m.outputTokens).toBe(5);
    // (5 - 1) tokens over 300 ms
    expect(m.decodeTokPerS).toBeCloseTo(4 / 0.3);
    // (500 - 100) / (5 - 1)
    expect(m.tpotMs).toBeCloseTo(100);
    // gaps 100, 100 (2 pieces -> 50, 50), 100
    expect(m.itlMs).toEqual([100, 50, 50, 100]);
    expect(m.itlP50Ms).toBeCloseTo(75);
    expect(m.itlMaxMs).toBe(100);
    expect(m.itlP99Ms).toBeCloseTo(100);
    expect(m.clientQueueMs).toBe(0);
  });

  it('measures from the scheduled time as well as the send', () => {
    const m = requestMetrics(result(), 900n * NS);
    expect(m.clientQueueMs).toBeCloseTo(100);
    expect(m.ttftMs).toBeCloseTo(100);
    expect(m.ttftFromScheduleMs).toBeCloseTo(200);
    expect(m.e2eFromScheduleMs).toBeCloseTo(600);
    expect(m.ttfbFromScheduleMs).toBeCloseTo(110);
  });

  it('has no decode rate or TPOT for a one-token output and falls back to pieces without usage', () => {
    const one = requestMetrics(result({ tokenChunkTimesNs: [1100n * NS], tokenChunkPieces: [1], tLastTokenNs: 1100n * NS, usage: { promptTokens: 1, completionTokens: 1, cachedTokens: null } }));
    expect(one.decodeTokPerS).toBeNull();
    expect(one.tpotMs).toBeNull();
    expect(one.itlMs).toEqual([]);
    expect(one.itlP99Ms).toBeNull();
    const noUsage = requestMetrics(result({ usage: null, ok: false, errorClass: 'missing_usage' }));
    expect(noUsage.outputTokens).toBe(5);
    const failed = requestMetrics(result({ tFirstByteNs: null, tFirstTokenNs: null, tFirstContentNs: null, tLastTokenNs: null, tokenChunkTimesNs: [], tokenChunkPieces: [], usage: null }));
    expect(failed.ttftMs).toBeNull();
    expect(failed.decodeTokPerS).toBeNull();
  });
});

describe('parseRetryAfter / classify', () => {
  it('parses delay-seconds and HTTP-dates, rejects junk', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7'])).toBe(7000);
    for (const bad of [undefined, null, '', 'soon', '-5']) expect(parseRetryAfter(bad as string)).toBeNull();
  });

  it('classifies transport errors by code, cause and aggregate members', () => {
    const withCode = (code: string, name = 'Error') => Object.assign(new Error(code), { code, name });
    expect(classifyError(withCode('ECONNREFUSED'))).toBe('refused');
    expect(classifyError(new AggregateError([withCode('ECONNREFUSED')]))).toBe('refused');
    expect(classifyError(withCode('UND_ERR_SOCKET'))).toBe('reset');
    expect(classifyError(new Error('x', { cause: withCode('ECONNRESET') }))).toBe('reset');
    expect(classifyError(withCode('UND_ERR_BODY_TIMEOUT'))).toBe('timeout');
    expect(classifyError(withCode('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
    expect(classifyError(withCode('x', 'AbortError'))).toBe('aborted');
    expect(classifyError(new Error('?'))).toBe('other');
    expect(classifyHttpStatus(429)).toBe('http_429');
    expect(classifyHttpStatus(503)).toBe('http_5xx');
    expect(classifyHttpStatus(400, 'prompt is too long: 300000 tokens > 200000 maximum')).toBe('context_overflow');
    expect(classifyHttpStatus(401, 'maximum context length')).toBe('http_4xx');
  });

  it('resolves base URLs with or without /v1 and keeps path prefixes', () => {
    expect(resolveBaseUrl('http://h:8000')).toEqual({ origin: 'http://h:8000', root: '' });
    expect(resolveBaseUrl('http://h:8000/v1/')).toEqual({ origin: 'http://h:8000', root: '' });
    expect(resolveBaseUrl('https://h/openai/v1')).toEqual({ origin: 'https://h', root: '/openai' });
    expect(() => resolveBaseUrl('h:8000')).toThrow(/not a URL|http or https/);
  });
});

describe('withRetry', () => {
  const req: CompletionRequest = { api: 'chat', messages: [{ role: 'user', content: 'x' }], maxTokens: 1 };
  const seq = (classes: (RequestResult['errorClass'])[], retryAfterMs: number | null = null) => {
    let i = 0;
    return async () => {
      const c = classes[Math.min(i++, classes.length - 1)];
      return result({ ok: c === null, errorClass: c, httpStatus: c === 'http_429' ? 429 : c === 'http_5xx' ? 500 : 200, retryAfterMs: c ? retryAfterMs : null });
    };
  };

  it('retries 429 honouring Retry-After and records attempts', async () => {
    const waits: number[] = [];
    const send = withRetry(seq(['http_429', 'http_429', null], 1500), { max: 3, sleep: async (ms) => void waits.push(ms) });
    const r = await send(req);
    expect(r.ok).toBe(true);
    expect(waits).toEqual([1500, 1500]);
    expect(r.attempts?.map((a) => [a.errorClass, a.waitMs])).toEqual([
      ['http_429', 1500],
      ['http_429', 1500],
      [null, 0],
    ]);
  });

  it('backs off exponentially without Retry-After, stops at max, and never retries 4xx', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const r = await withRetry(seq(['http_5xx']), { max: 2, baseDelayMs: 100, sleep })(req);
    expect(r.errorClass).toBe('http_5xx');
    expect(r.attempts).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
    const r2 = await withRetry(seq(['http_4xx', null]), { max: 5, sleep })(req);
    expect(r2.attempts).toHaveLength(1);
    const r3 = await withRetry(seq(['http_429', null], 1000), { max: 1, honourRetryAfter: false, baseDelayMs: 7, sleep })(req);
    expect(r3.ok).toBe(true);
    expect(waits.at(-1)).toBe(7);
  });
});

describe('setup calls', () => {
  let server: TestServer | undefined;
  let client: EndpointClient | undefined;
  afterEach(async () => {
    await client?.close(true);
    await server?.close();
    client = server = undefined;
  });

  it('lists models, tokenizes, probes streaming; tokenize is null without the route', async () => {
    server = await startServer(async (q, res, body) => {
      if (q.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'a', max_model_len: 32768, root: 'a' }, { id: 'b' }] }));
      }
      if (q.url === '/tokenize') {
        if (body.prompt === 'nope') {
          res.writeHead(404);
          return void res.end('Not Found');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ count: 3, max_model_len: 32768, tokens: [1, 2, 3] }));
      }
      await streamTokens(res, body.min_tokens ?? 2);
    });
    client = new EndpointClient({ baseUrl: `${server.url}/v1`, model: 'a' });
    expect(await client.listModels()).toEqual([{ id: 'a', maxModelLen: 32768 }, { id: 'b' }]);
    expect(await client.tokenize('abc')).toEqual({ count: 3, maxModelLen: 32768 });
    const p = await client.probeStreaming({ maxTokens: 5 });
    expect(p).toMatchObject({ ok: true, streamed: true, usagePresent: true, honoursForcedLength: true, completionTokens: 5, outputChunks: 5 });
    // the same server with a prompt the fake /tokenize refuses
    expect(await client.tokenize('nope')).toBeNull();
  });
});
