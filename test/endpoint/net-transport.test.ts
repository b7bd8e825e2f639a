// The endpoint's fault, SSE, read-coalescing and deadline tests again, with every client on the net transport
// (src/endpoint/net-pool.ts): the same results are required of both transports.
process.env.AGENTDYNO_TRANSPORT = 'net';
await import('./faults.test.js');
await import('./sse.test.js');
await import('./coalesced.test.js');
await import('./deadlines.test.js');

const { describe, expect, it } = await import('vitest');
const { EndpointClient, SseDecoder } = await import('../../src/endpoint/index.js');

describe('net transport is the one under test here', () => {
  it('AGENTDYNO_TRANSPORT=net gives the client a net pool', () => {
    const c = new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' });
    expect((c as unknown as { net: unknown }).net).not.toBeNull();
    void c.close(true);
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
