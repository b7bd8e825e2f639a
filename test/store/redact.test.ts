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
