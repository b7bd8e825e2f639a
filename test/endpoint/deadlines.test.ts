/**
 * The no-token deadline: keep-alives (`: ping` comments, empty `data:` events, role-only deltas)
 * never restart it, and a call that ran out of time says how far it got. Set-up steps get an overall
 * deadline with progress lines (withDeadline).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentdynoError } from '../../src/core/index.js';
import { callFaults, EndpointClient, faultFamily, withDeadline, type RequestResult } from '../../src/endpoint/index.js';
import { chatDelta, DONE, sleep, sseHead, startServer, tok, usageEv, type TestServer } from './helpers.js';

let server: TestServer | undefined;
let client: EndpointClient | undefined;
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await client?.close(true);
  await server?.close();
  client = server = undefined;
});

const chat = { api: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 4 };

async function run(handler: Parameters<typeof startServer>[0], timeoutMs: number): Promise<RequestResult> {
  server = await startServer(handler);
  client = new EndpointClient({ baseUrl: server.url, model: 'm', timeoutMs });
  return client.send(chat);
}

/** Writes `chunk` every `ms` until the socket closes (the test server destroys sockets on close). */
function every(res: import('node:http').ServerResponse, ms: number, chunk: string): void {
  const t = setInterval(() => {
    if (res.destroyed || res.writableEnded) clearInterval(t);
    else res.write(chunk);
  }, ms);
  timers.push(t);
}

describe('no-token deadline (keep-alives do not restart it)', () => {
  it('keepalive_only: `: ping` comments every 50 ms, never a token', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      every(res, 50, ': ping\n\n');
    }, 600);
    expect(r).toMatchObject({ ok: false, errorClass: 'keepalive_only', httpStatus: 200, tFirstTokenNs: null });
    expect(r.tFirstByteNs).not.toBeNull();
    expect(r.errorMessage).toMatch(/keep-alive/);
  });

  it('keepalive_only: endless empty `data:` events and role-only deltas', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(chatDelta({ role: 'assistant' }));
      every(res, 40, 'data:\n\n');
    }, 600);
    expect(r.errorClass).toBe('keepalive_only');
  });

  it('headers_only: 200 headers, then nothing', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.flushHeaders();
    }, 500);
    expect(r).toMatchObject({ ok: false, errorClass: 'headers_only', httpStatus: 200, tFirstByteNs: null });
    expect(r.tHeadersNs).not.toBeNull();
  });

  it('timeout: tokens, then only pings past the deadline', async () => {
    const r = await run((_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      res.write(tok('b'));
      every(res, 50, ': ping\n\n');
    }, 600);
    expect(r).toMatchObject({ ok: false, errorClass: 'timeout' });
    expect(r.tokenChunkTimesNs.length).toBeGreaterThanOrEqual(1);
  });

  it('a slow but steady stream (gaps under the deadline) is ok: the deadline moves with every token', async () => {
    const r = await run(async (_q, res) => {
      sseHead(res);
      for (let i = 0; i < 6; i++) {
        res.write(tok(`t${i}`));
        await sleep(150);
      }
      res.write(chatDelta({}, 'stop'));
      res.write(usageEv(5, 6));
      res.end(DONE);
    }, 500);
    expect(r.ok).toBe(true);
    expect(r.errorClass).toBeNull();
  });

  it('fault families and per-call faults (retried tries included)', () => {
    for (const c of ['no_answer', 'headers_only', 'keepalive_only', 'timeout'] as const) expect(faultFamily(c)).toBe('timeout');
    expect(faultFamily('http_429')).toBe('throttled');
    expect(faultFamily('aborted')).toBe('aborted');
    const base = { tSendNs: 0n, tEndNs: 0n, httpStatus: 429, retryAfterMs: null, waitMs: 0 };
    expect(callFaults({ ok: true, errorClass: null, attempts: [{ ...base, ok: false, errorClass: 'http_429' }, { ...base, ok: false, errorClass: 'http_429' }, { ...base, ok: true, errorClass: null }] })).toEqual(['http_429', 'http_429']);
    expect(callFaults({ ok: false, errorClass: 'aborted' })).toEqual([]);
    expect(callFaults({ ok: false, errorClass: 'keepalive_only' })).toEqual(['keepalive_only']);
  });
});

describe('withDeadline (set-up steps)', () => {
  it('ends a step that never settles with E_ENDPOINT_TIMEOUT and says what it waited for meanwhile', async () => {
    const lines: string[] = [];
    let aborted = false;
    const err = await withDeadline('GET /v1/models at http://x', 500, (signal) => new Promise<never>(() => signal.addEventListener('abort', () => (aborted = true))), { onWait: (t) => lines.push(t), everyMs: 100, where: 'http://x' }).catch((e) => e);
    expect(err).toBeInstanceOf(AgentdynoError);
    expect((err as AgentdynoError).code).toBe('E_ENDPOINT_TIMEOUT');
    expect(aborted).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^waiting for GET \/v1\/models at http:\/\/x \(0\.\d s of 0\.5 s\)$/);
  });

  it('the caller signal ends it at once with E_INTERRUPTED', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await withDeadline('a probe', 60_000, () => new Promise<never>(() => undefined), { signal: ac.signal, onWait: () => undefined }).catch((e) => e);
    expect((err as AgentdynoError).code).toBe('E_INTERRUPTED');
  });

  it('passes a result through', async () => {
    await expect(withDeadline('x', 1000, async () => 42, { onWait: () => undefined })).resolves.toBe(42);
  });
});
