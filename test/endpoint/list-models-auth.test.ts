/**
 * GET /v1/models authenticates the way the chosen API does: Anthropic (`--api messages`) takes the
 * key as x-api-key with anthropic-version and no bearer token; OpenAI-style APIs a bearer token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointClient } from '../../src/endpoint/index.js';

const seen: http.IncomingHttpHeaders[] = [];
let server: http.Server;
let url = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    // Anthropic's list shape: data[] of { id, type, display_name }, with paging fields.
    res.end(JSON.stringify({ data: [{ id: 'claude-test', type: 'model', display_name: 'Claude Test' }], has_more: false, first_id: 'claude-test', last_id: 'claude-test' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AGENTDYNO_TEST_LIST_KEY = 'sk-ant-list-models-key';
});
afterAll(() => {
  server.close();
  delete process.env.AGENTDYNO_TEST_LIST_KEY;
});

describe('listModels credentials per API', () => {
  for (const [api, want] of [['messages', 'x-api-key'], ['responses', 'bearer'], ['chat', 'bearer']] as const) {
    it(`${api}: ${want}`, async () => {
      const c = new EndpointClient({ baseUrl: url, model: 'm', apiKeyEnv: 'AGENTDYNO_TEST_LIST_KEY' });
      try {
        seen.length = 0;
        const models = await c.listModels(undefined, api);
        expect(models.map((m) => m.id)).toEqual(['claude-test']);
        const h = seen[0];
        if (want === 'x-api-key') {
          expect(h['x-api-key']).toBe('sk-ant-list-models-key');
          expect(h['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          expect(h.authorization).toBeUndefined();
        } else {
          expect(h.authorization).toBe('Bearer sk-ant-list-models-key');
          expect(h['x-api-key']).toBeUndefined();
        }
      } finally {
        await c.close(true);
      }
    });
  }
});
