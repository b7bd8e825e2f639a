/** Issue 12 item 6: the simulator announces itself on every route, and the endpoint client sees it. */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { EndpointClient, SIM_HEADER, SIM_OWNED_BY } from '../../src/endpoint/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { fastProfile } from './helpers.js';

let sim: SimServerHandle | null = null;
const servers: Server[] = [];
afterEach(async () => {
  await sim?.close();
  sim = null;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function plainServer(models: unknown): Promise<string> {
  return new Promise((ok) => {
    const s = createServer((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(models));
    });
    servers.push(s);
    s.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(s.address() as { port: number }).port}`));
  });
}

describe('simulator self-announcement', () => {
  it('header on models, completions, errors and /metrics; owned_by and agentdyno_sim on models; info gauge', async () => {
    sim = await startSimServer({ profile: fastProfile(), port: 0 });
    const models = await fetch(`${sim.url}/v1/models`);
    const version = models.headers.get(SIM_HEADER);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const body = (await models.json()) as { data: { owned_by: string; agentdyno_sim: { version: string; profile: string } }[] };
    expect(body.data[0].owned_by).toBe(SIM_OWNED_BY);
    expect(body.data[0].agentdyno_sim).toEqual({ version, profile: fastProfile().name });
    const chat = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'x', stream: true, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(chat.headers.get(SIM_HEADER)).toBe(version);
    await chat.text();
    const missing = await fetch(`${sim.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get(SIM_HEADER)).toBe(version);
    const metrics = await fetch(`${sim.url}/metrics`);
    expect(metrics.headers.get(SIM_HEADER)).toBe(version);
    expect(await metrics.text()).toContain(`agentdyno_sim_info{version="${version}",profile="${fastProfile().name}"} 1`);
  });

  it('EndpointClient.describeServer: the simulator by its header; a proxy that drops headers by owned_by; others not', async () => {
    sim = await startSimServer({ profile: fastProfile(), port: 0 });
    const c1 = new EndpointClient({ baseUrl: `${sim.url}/v1`, model: '' });
    const d1 = await c1.describeServer();
    await c1.close(true);
    expect(d1.simulator).toMatchObject({ via: `${SIM_HEADER} header`, profile: fastProfile().name });
    expect(d1.models[0].ownedBy).toBe(SIM_OWNED_BY);

    const proxied = await plainServer({ data: [{ id: 'sim-small', owned_by: SIM_OWNED_BY, agentdyno_sim: { version: '9.9.9', profile: 'small' } }] });
    const c2 = new EndpointClient({ baseUrl: proxied, model: '' });
    expect((await c2.describeServer()).simulator).toEqual({ version: '9.9.9', profile: 'small', via: `owned_by ${SIM_OWNED_BY}` });
    await c2.close(true);

    const vllm = await plainServer({ object: 'list', data: [{ id: 'meta-llama/Llama-3.1-8B', owned_by: 'vllm', max_model_len: 8192 }] });
    const c3 = new EndpointClient({ baseUrl: vllm, model: '' });
    const d3 = await c3.describeServer();
    await c3.close(true);
    expect(d3.simulator).toBeNull();
    expect(d3.models).toEqual([{ id: 'meta-llama/Llama-3.1-8B', maxModelLen: 8192, ownedBy: 'vllm' }]);
  });
});
