/**
 * The endpoint's fault, SSE, read-coalescing and deadline suites again, with every client on
 * `transport` (AGENTDYNO_TRANSPORT; the default is net): each transport must give the same results.
 * Call it with top-level await before the file's own tests. Test files share forks
 * (vitest.config.ts), so the variable is put back when the calling file ends, or later files in the
 * same fork (and the CLIs they spawn) would run on this transport too.
 */
export async function endpointSuitesOn(transport: 'undici' | 'native'): Promise<void> {
  const saved = process.env.AGENTDYNO_TRANSPORT;
  process.env.AGENTDYNO_TRANSPORT = transport;
  await import('./faults.test.js');
  await import('./sse.test.js');
  await import('./coalesced.test.js');
  await import('./deadlines.test.js');
  const { afterAll } = await import('vitest');
  afterAll(() => {
    if (saved === undefined) delete process.env.AGENTDYNO_TRANSPORT;
    else process.env.AGENTDYNO_TRANSPORT = saved;
  });
}
