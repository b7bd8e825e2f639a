// The endpoint's fault, SSE, read-coalescing and deadline tests again, with every client on the undici
// transport (AGENTDYNO_TRANSPORT=undici; the default is the net transport): both must give the same results.
// Test files share forks (vitest.config.ts): the variable is put back when this file ends, or later
// files in the same fork (and the CLIs they spawn) would run on undici too.
const savedTransport = process.env.AGENTDYNO_TRANSPORT;
process.env.AGENTDYNO_TRANSPORT = 'undici';
await import('./faults.test.js');
await import('./sse.test.js');
await import('./coalesced.test.js');
await import('./deadlines.test.js');

const { afterAll, describe, expect, it } = await import('vitest');
afterAll(() => {
  if (savedTransport === undefined) delete process.env.AGENTDYNO_TRANSPORT;
  else process.env.AGENTDYNO_TRANSPORT = savedTransport;
});
const { EndpointClient } = await import('../../src/endpoint/index.js');

describe('undici transport is the one under test here', () => {
  it('AGENTDYNO_TRANSPORT=undici gives the client no net pool', () => {
    const c = new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' });
    expect((c as unknown as { net: unknown }).net).toBeNull();
    void c.close(true);
  });
});
