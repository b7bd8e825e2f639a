import { describe, expect, it } from 'vitest';
import { redact, REDACTED } from '../../src/store/index.js';

describe('redact', () => {
  it('masks secret-looking keys at any depth and keeps everything else', () => {
    const input = {
      target: 'http://127.0.0.1:8000/v1',
      apiKey: 'sk-live',
      api_key: 'x',
      'x-api-key': 'y',
      headers: { Authorization: 'Bearer abc', 'content-type': 'application/json' },
      power: [{ kind: 'ipmi', host: 'bmc', password: 'pw', user: 'admin' }],
      bmcPasswordFile: '/etc/bmc.pw',
      maxTokens: 2048,
      tokenBudget: 100000,
      tokens: 5,
      empty: { secret: '' },
    };
    const out = redact(input);
    expect(out.apiKey).toBe(REDACTED);
    expect(out.api_key).toBe(REDACTED);
    expect(out['x-api-key']).toBe(REDACTED);
    expect(out.headers.Authorization).toBe(REDACTED);
    expect(out.headers['content-type']).toBe('application/json');
    expect(out.power[0]).toEqual({ kind: 'ipmi', host: 'bmc', password: REDACTED, user: 'admin' });
    expect(out.bmcPasswordFile).toBe('/etc/bmc.pw'); // where the secret lives is kept
    // token counts and budgets are not secrets
    expect(out.maxTokens).toBe(2048);
    expect(out.tokenBudget).toBe(100000);
    expect(out.tokens).toBe(5);
    expect(out.empty.secret).toBe('');
    expect(out.target).toBe(input.target);
    expect(input.apiKey).toBe('sk-live'); // input untouched
  });

  it('masks credentials inside strings', () => {
    const out = redact({
      url: 'https://user:s3cr3t@host.example/v1',
      note: 'used Bearer abcdefghijkl123 for the call',
      argv: ['--key', 'sk-proj-ABCDEFGHIJKLMNOPQRSTUV'],
    });
    expect(out.url).toBe(`https://user:${REDACTED}@host.example/v1`);
    expect(out.note).toBe(`used Bearer ${REDACTED} for the call`);
    expect(out.argv[1]).toBe(REDACTED);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(redact(a)).toEqual({ x: 1, self: '[circular]' });
  });
});

describe('the store redacts every value on its way in', () => {
  it('a registered key echoed in feedback text, detail and a result never reaches the file', async () => {
    const fs = await import('node:fs');
    const { openStore } = await import('../../src/store/index.js');
    const { registerSecret, clearSecrets } = await import('../../src/core/index.js');
    const { tempDb } = await import('./helpers.js');
    const key = 'kq81x7f2c9e0aa45b3'; // no known key shape
    registerSecret(key);
    const t = tempDb();
    try {
      const s = openStore(t.file);
      s.createRun({ id: 'loop-1', kind: 'loop', config: { note: `with ${key}` }, target: { url: 'http://u:pw-in-url@h/v1' } });
      s.insertFeedbackEvents('loop-1', [{ task: 't', iteration: 1, seq: 0, kind: 'error', text: `agent failed: HTTP 401: Incorrect API key provided: Bearer ${key}`, detail: { body: `{"key":"${key}"}` } }]);
      s.finishRun('loop-1', 'completed', { lastError: `echo ${key}` });
      const ev = s.getFeedbackEvents('loop-1')[0];
      expect(ev.text).toBe('agent failed: HTTP 401: Incorrect API key provided: Bearer [redacted]');
      expect(JSON.stringify(s.getRun('loop-1'))).not.toContain('pw-in-url');
      s.close();
      const bytes = fs.readdirSync(`${t.dir}/results`).map((f) => fs.readFileSync(`${t.dir}/results/${f}`).toString('latin1')).join('');
      expect(bytes).not.toContain(key);
      expect(bytes).not.toContain('pw-in-url');
    } finally {
      clearSecrets();
      t.cleanup();
    }
  });
});
