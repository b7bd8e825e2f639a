import { afterEach, describe, expect, it } from 'vitest';
import { EndpointClient, requestMetrics } from '../../src/endpoint/index.js';
import { chatDelta, DONE, sleep, sseHead, startServer, tok, usageEv, type TestServer } from './helpers.js';

let server: TestServer | undefined;
let client: EndpointClient | undefined;
afterEach(async () => {
  await client?.close(true);
  await server?.close();
  client = server = undefined;
});

const chat = { api: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 8 };

describe('coalesced reads', () => {
  it('tokens written apart arrive in reads of their own: coalescedReads 0, one entry per token', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      for (let i = 0; i < 4; i++) {
        res.write(i === 3 ? chatDelta({ content: 'x' }, 'stop') : tok('x'));
        await sleep(30);
      }
      res.write(usageEv(3, 4));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat);
    expect(r.ok).toBe(true);
    expect(r.coalescedReads).toBe(0);
    expect(r.tokenChunkPieces).toEqual([1, 1, 1, 1]);
  });

  it('several chunked-encoding chunks in one socket read are one read: merged into one entry and counted once', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      res.write(tok('a'));
      await sleep(30);
      // Three writes (three HTTP chunks) corked into one TCP segment: undici calls onResponseData
      // three times in the same read; they must count as one coalesced read of 3 pieces.
      res.socket!.cork();
      res.write(tok('b'));
      res.write(tok('c'));
      res.write(tok('d'));
      process.nextTick(() => res.socket!.uncork());
      await sleep(30);
      res.socket!.cork();
      res.write(tok('e'));
      res.write(chatDelta({ content: 'f' }, 'stop'));
      process.nextTick(() => res.socket!.uncork());
      await sleep(30);
      res.write(usageEv(3, 6));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat);
    expect(r.ok).toBe(true);
    expect(r.tokenChunkPieces).toEqual([1, 3, 2]);
    expect(r.tokenChunkTimesNs).toHaveLength(3);
    expect(r.coalescedReads).toBe(2);
    // The merged read contributes k samples of gap/k (metrics.ts), not near-zero gaps.
    const m = requestMetrics(r);
    expect(m.itlMs).toHaveLength(5);
    expect(Math.min(...m.itlMs)).toBeGreaterThan(1);
  });

  it('events inside one chunk count too; an event with several tokens (one event) does not', async () => {
    server = await startServer(async (_q, res) => {
      sseHead(res);
      res.write(tok('a') + tok('b'));
      await sleep(30);
      res.write(chatDelta({ content: 'c d e' }, 'stop')); // one event, usage says 5 tokens
      await sleep(30);
      res.write(usageEv(3, 5));
      res.end(DONE);
    });
    client = new EndpointClient({ baseUrl: server.url, model: 'm' });
    const r = await client.send(chat);
    expect(r.tokenChunkPieces).toEqual([2, 1]);
    expect(r.coalescedReads).toBe(1);
  });
});
