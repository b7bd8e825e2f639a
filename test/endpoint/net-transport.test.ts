// Net-transport specifics (src/endpoint/net-pool.ts, the default transport). The endpoint's fault,
// SSE, read-coalescing and deadline suites run on it in their own files; undici-transport.test.ts
// runs them again on undici.
import { describe, expect, it } from 'vitest';
import { EndpointClient, SseDecoder } from '../../src/endpoint/index.js';
import { chatDelta, DONE, sleep, sseHead, startServer, tok, usageEv } from './helpers.js';

const hasNet = (c: InstanceType<typeof EndpointClient>): boolean => (c as unknown as { net: unknown }).net !== null;

describe('transport choice', () => {
  it('net by default, undici with AGENTDYNO_TRANSPORT=undici or the option; another value is E_USAGE', () => {
    const saved = process.env.AGENTDYNO_TRANSPORT;
    try {
      delete process.env.AGENTDYNO_TRANSPORT;
      const made: InstanceType<typeof EndpointClient>[] = [];
      const mk = (o = {}) => {
        const c = new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' }, o);
        made.push(c);
        return c;
      };
      expect(hasNet(mk())).toBe(true);
      expect(hasNet(mk({ transport: 'undici' }))).toBe(false);
      process.env.AGENTDYNO_TRANSPORT = 'undici';
      expect(hasNet(mk())).toBe(false);
      expect(hasNet(mk({ transport: 'net' }))).toBe(true);
      process.env.AGENTDYNO_TRANSPORT = 'net';
      expect(hasNet(mk())).toBe(true);
      process.env.AGENTDYNO_TRANSPORT = 'h2';
      expect(() => mk()).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
      for (const c of made) void c.close(true);
    } finally {
      if (saved === undefined) delete process.env.AGENTDYNO_TRANSPORT;
      else process.env.AGENTDYNO_TRANSPORT = saved;
    }
  });
});

describe('one read buffer shared by every socket', () => {
  it('interleaved streams split mid-event, and an error body over several reads, come back intact', async () => {
    const server = await startServer(async (req, res, body) => {
      const id = String(body?.messages?.[0]?.content ?? '');
      if (id === 'err') {
        res.writeHead(400, { 'content-type': 'application/json' });
        const text = JSON.stringify({ error: { message: `bad request: ${'x'.repeat(150)} end-of-message`, code: 400 } });
        for (let k = 0; k < text.length; k += 41) {
          res.write(text.slice(k, k + 41));
          await sleep(3);
        }
        res.end();
        return;
      }
      sseHead(res);
      for (let i = 0; i < 12; i++) {
        const ev = i === 11 ? chatDelta({ content: `${id}-${i} ` }, 'stop') : tok(`${id}-${i} `);
        // Cut every event in two writes (a partial line waits in the decoder across other sockets' reads).
        const cut = 7 + ((i * 13 + id.length) % (ev.length - 8));
        res.write(ev.slice(0, cut));
        await sleep(1 + (i % 3));
        res.write(ev.slice(cut));
      }
      res.write(usageEv(3, 12));
      res.end(DONE);
    });
    const client = new EndpointClient({ baseUrl: server.url, model: 'm' }, { transport: 'net' });
    try {
      const ids = Array.from({ length: 24 }, (_, k) => `stream${k}`);
      const results = await Promise.all([...ids, 'err'].map((id) => client.send({ api: 'chat', messages: [{ role: 'user', content: id }], maxTokens: 12, keepOutputText: true })));
      for (let k = 0; k < ids.length; k++) {
        expect(results[k]).toMatchObject({ ok: true, usage: { completionTokens: 12 }, finishReason: 'stop' });
        expect(results[k].outputText).toBe(Array.from({ length: 12 }, (_, i) => `${ids[k]}-${i} `).join(''));
      }
      const err = results[ids.length];
      expect(err).toMatchObject({ ok: false, errorClass: 'http_4xx', httpStatus: 400 });
      expect(err.errorMessage).toContain('end-of-message');
    } finally {
      await client.close(true);
      await server.close();
    }
  });
});

describe('byte-level SSE decoder: every split of a stream gives the same events', () => {
  // BOM, CRLF / LF / bare CR line ends, a comment ping, multi-line data, a field with no space,
  // an ignored event/id field, a multi-byte UTF-8 character (é, 日) that any split may cut.
  const stream = Buffer.from('\ufeffdata: {"a":1}\r\n\r\n: ping\n\nevent: x\nid: 7\ndata:one\ndata: two\n\ndata: é日\r\rdata: last', 'utf8');
  const want = ['{"a":1}', 'one\ntwo', 'é日', 'last'];
  it('one read, two reads at every offset, one byte per read', () => {
    const decode = (parts: Buffer[]): string[] => {
      const got: string[] = [];
      const d = new SseDecoder((x) => got.push(x), (l) => got.push(`BAD:${l}`));
      for (const p of parts) d.push(p);
      d.end();
      return got;
    };
    expect(decode([stream])).toEqual(want);
    for (let k = 0; k <= stream.length; k++) expect(decode([stream.subarray(0, k), stream.subarray(k)])).toEqual(want);
    expect(decode([...stream].map((b) => Buffer.from([b])))).toEqual(want);
  });
  it('a line that is not SSE is reported, not dropped', () => {
    const bad: string[] = [];
    const d = new SseDecoder(() => {}, (l) => bad.push(l));
    d.push(Buffer.from('{"raw":"json"}\n\n'));
    expect(bad).toEqual(['{"raw":"json"}']);
  });
});
