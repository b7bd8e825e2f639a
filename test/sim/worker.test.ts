import { describe, expect, it } from 'vitest';
import { simWorkerScript, startSimServerInWorker } from '../../src/sim/index.js';
import { chatBody, dataLines, fastProfile, getText, metricValue, rawPost } from './helpers.js';

describe('startSimServerInWorker', () => {
  it('serves the same API from a worker thread (or in-process when there is no build)', async () => {
    const srv = await startSimServerInWorker({ profile: fastProfile(), port: 0, tokensPerChunk: 2 });
    try {
      expect(srv.inWorker).toBe(simWorkerScript() !== null);
      expect(srv.profile.name).toBe('test-fast');
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const d = dataLines((await rawPost(srv.url, '/v1/chat/completions', chatBody(10, 4))).body);
      expect(d.at(-1)).toBe('[DONE]');
      expect(JSON.parse(d.at(-2)!).usage.completion_tokens).toBe(4);
      expect(d).toHaveLength(2 + 2); // 2 chunks of 2 tokens + usage + [DONE]
      expect(metricValue(await getText(srv.url + '/metrics'), 'vllm:generation_tokens_total')).toBe(4);
    } finally {
      await srv.close();
    }
    await expect(fetch(srv.url + '/v1/models')).rejects.toThrow();
  });

  it('reports a port in use as an error', async () => {
    const a = await startSimServerInWorker({ profile: 'small', port: 0 });
    try {
      await expect(startSimServerInWorker({ profile: 'small', port: a.port })).rejects.toThrow(/already in use/);
    } finally {
      await a.close();
    }
  });
});
