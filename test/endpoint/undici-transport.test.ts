// The endpoint's fault, SSE, read-coalescing and deadline tests again, with every client on the undici
// transport (AGENTDYNO_TRANSPORT=undici; the default is the net transport): both must give the same results.
import { endpointSuitesOn } from './suites-on-transport.js';

await endpointSuitesOn('undici');

const { describe, expect, it } = await import('vitest');
const { EndpointClient } = await import('../../src/endpoint/index.js');

describe('undici transport is the one under test here', () => {
  it('AGENTDYNO_TRANSPORT=undici gives the client no net pool', () => {
    const c = new EndpointClient({ baseUrl: 'http://127.0.0.1:1', model: 'm' });
    expect((c as unknown as { net: unknown }).net).toBeNull();
    void c.close(true);
  });
});
