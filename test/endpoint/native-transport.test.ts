// The native transport (src/endpoint/native/: net's HTTP reader, reads done by a C helper process):
// the endpoint's fault, SSE, read-coalescing and deadline suites again with every client on it
// (AGENTDYNO_TRANSPORT=native), plus what only native has: helper death, the missing-binary and
// https refusals. Skipped, saying so, when the helper is not built (no C compiler at npm run build).
import { nativeReaderPath } from '../../src/endpoint/native/mux.js';
import { endpointSuitesOn } from './suites-on-transport.js';

const BIN = nativeReaderPath();
if (BIN === null) console.log('SKIPPED: test/endpoint/native-transport.test.ts: dist/native/agentdyno-reader is not built (no C compiler at npm run build)');
else await endpointSuitesOn('native');

const { describe, expect, it } = await import('vitest');
const { EndpointClient, startTimingCanary } = await import('../../src/endpoint/index.js');
const { nativeReaderPid } = await import('../../src/endpoint/native/mux.js');
const { DONE, sleep, sseHead, startServer, tok, usageEv } = await import('./helpers.js');

describe.skipIf(BIN === null)('native transport specifics', () => {
  it('is the one under test here: a net pool reading through the helper', () => {
    const c = new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' });
    const net = (c as unknown as { net: { o: { nativeReader?: string } } | null }).net;
    expect(net?.o.nativeReader).toBe(BIN);
    void c.close(true);
  });

  it('refuses https, and a missing binary, with E_USAGE (never a silent fall back to net)', () => {
    expect(() => new EndpointClient({ baseUrl: 'https://127.0.0.1:1', model: 'm' }, { transport: 'native' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    const saved = process.env.AGENTDYNO_NATIVE_READER;
    process.env.AGENTDYNO_NATIVE_READER = '/nonexistent/agentdyno-reader';
    try {
      expect(() => new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' }, { transport: 'native' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    } finally {
      if (saved === undefined) delete process.env.AGENTDYNO_NATIVE_READER;
      else process.env.AGENTDYNO_NATIVE_READER = saved;
    }
  });

  it('AGENTDYNO_NATIVE_LINGER_US that is not 0..5000 µs is E_USAGE_RANGE', () => {
    process.env.AGENTDYNO_NATIVE_LINGER_US = '2ms';
    try {
      expect(() => new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' })).toThrow(expect.objectContaining({ code: 'E_USAGE_RANGE' }));
    } finally {
      delete process.env.AGENTDYNO_NATIVE_LINGER_US;
    }
  });

  it('a read is stamped by the helper when it arrives, not when a busy Node loop gets to it', async () => {
    let untilNs = 0n;
    const server = await startServer(async (_q, res) => {
      sseHead(res);
      await sleep(20);
      res.write(tok('a'));
      // http uncorks the socket on the next tick: after it the bytes are in the kernel, and no
      // poll of this loop comes between that and the busy wait.
      await new Promise((r) => process.nextTick(r));
      untilNs = process.hrtime.bigint() + 500_000_000n;
      while (process.hrtime.bigint() < untilNs); // this loop is busy: only the helper can read now
      res.write(usageEv(1, 1));
      res.end(DONE);
    });
    const client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    try {
      const r = await client.send({ api: 'chat', messages: [{ role: 'user', content: 'x' }], maxTokens: 1 });
      expect(r.ok).toBe(true);
      // Node cannot stamp anything before its loop is free again (untilNs); the helper stamps at its
      // read(), which it gets to during those 500 ms unless it is starved for all of them.
      expect(r.tokenChunkTimesNs[0] < untilNs).toBe(true);
    } finally {
      await client.close(true);
      await server.close();
    }
  });

  it('stamps come from the helper on the same clock, between send and resolve; many streams stay intact', async () => {
    const server = await startServer(async (_q, res, body) => {
      sseHead(res);
      const id = String(body?.messages?.[0]?.content ?? '');
      for (let i = 0; i < 8; i++) {
        res.write(tok(`${id}.${i} `));
        await sleep(2);
      }
      res.write(usageEv(3, 8));
      res.end(DONE);
    });
    const client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    try {
      const t0 = process.hrtime.bigint();
      const ids = Array.from({ length: 200 }, (_, k) => `s${k}`);
      const rs = await Promise.all(ids.map((id) => client.send({ api: 'chat', messages: [{ role: 'user', content: id }], maxTokens: 8, keepOutputText: true })));
      const t1 = process.hrtime.bigint();
      for (let k = 0; k < ids.length; k++) {
        expect(rs[k]).toMatchObject({ ok: true, usage: { completionTokens: 8 } });
        expect(rs[k].outputText).toBe(Array.from({ length: 8 }, (_, i) => `${ids[k]}.${i} `).join(''));
        for (const t of rs[k].tokenChunkTimesNs) {
          expect(t > t0 && t < t1).toBe(true);
        }
      }
      // Keep-alive: 200 more requests reuse the sockets (the server saw at most 200 connections).
      const again = await Promise.all(ids.map((id) => client.send({ api: 'chat', messages: [{ role: 'user', content: id }], maxTokens: 8 })));
      expect(again.every((r) => r.ok)).toBe(true);
    } finally {
      await client.close(true);
      await server.close();
    }
  });

  it('the timing canary reads through the helper too (its lag is the one the load\'s stamps have)', async () => {
    const c = await startTimingCanary({ intervalMs: 2, transport: 'native' });
    try {
      await sleep(300);
      expect(c.stats().samples).toBeGreaterThan(10);
    } finally {
      c.stop();
      await c.closed;
    }
  });

  it('a 6 MB request body (a long prompt) goes out whole through the helper\'s partial writes', async () => {
    const server = await startServer(async (_q, res, body) => {
      sseHead(res);
      res.write(tok(String(String(body?.messages?.[0]?.content ?? '').length)));
      res.write(usageEv(1, 1));
      res.end(DONE);
    });
    const client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    try {
      const content = 'y'.repeat(6_000_000);
      const rs = await Promise.all([1, 2, 3].map(() => client.send({ api: 'chat', messages: [{ role: 'user', content }], maxTokens: 1, keepOutputText: true })));
      for (const r of rs) expect(r).toMatchObject({ ok: true, outputText: '6000000' });
    } finally {
      await client.close(true);
      await server.close();
    }
  });

  it('the helper dying mid-stream ends every open stream as reset, with its exit in the message; the next request works', async () => {
    let release: () => void = () => {};
    const started = new Promise<void>((r) => (release = r));
    let n = 0;
    const server = await startServer(async (_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      if (++n === 5) release();
      if (n <= 5) return; // the first five hang mid-stream
      res.write(usageEv(1, 1));
      res.end(DONE);
    });
    const client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    try {
      const pending = Array.from({ length: 5 }, () => client.send({ api: 'chat', messages: [{ role: 'user', content: 'x' }], maxTokens: 4 }));
      await started;
      await sleep(50);
      const pid = nativeReaderPid();
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, 'SIGKILL');
      const rs = await Promise.all(pending);
      for (const r of rs) {
        expect(r).toMatchObject({ ok: false, errorClass: 'reset' });
        expect(r.errorMessage).toContain('native reader exited (SIGKILL)');
      }
      const next = await client.send({ api: 'chat', messages: [{ role: 'user', content: 'x' }], maxTokens: 4 });
      expect(next.ok).toBe(true);
      expect(nativeReaderPid()).not.toBe(pid);
    } finally {
      await client.close(true);
      await server.close();
    }
  });
});
