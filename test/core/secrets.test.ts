import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamScrubber, clearSecrets, displayUrl, redactSecrets, registerSecret, registerSecretsFrom, secretForms } from '../../src/core/index.js';

afterEach(() => clearSecrets());

describe('secret registry', () => {
  it('masks a registered secret in any form it is echoed in, with no known key shape', () => {
    const key = 'plk/7f3a"9c2e+d41b';
    registerSecret(key);
    const text = `raw ${key} json ${JSON.stringify(key)} url ${encodeURIComponent(key)}`;
    const out = redactSecrets(text);
    expect(out).not.toContain(key);
    expect(out).not.toContain(JSON.stringify(key).slice(1, -1));
    expect(out).not.toContain(encodeURIComponent(key));
    expect(out.match(/\[redacted\]/g)).toHaveLength(3);
  });

  it('masks URL credentials, bearer tokens and key shapes without registration', () => {
    expect(displayUrl('http://user:pw-123@host:8000/v1')).toBe('http://user:[redacted]@host:8000/v1');
    expect(displayUrl('https://ghp_abcdefghijklmnopqrstuvwx@github.com/x')).toBe('https://[redacted]@github.com/x');
    expect(displayUrl('http://host:8000/v1')).toBe('http://host:8000/v1');
    // JSON text stays JSON: the URL pattern does not run across quotes.
    const j = JSON.stringify({ a: 'http://host:8000', b: 'me@example.com' });
    expect(JSON.parse(redactSecrets(j))).toEqual({ a: 'http://host:8000', b: 'me@example.com' });
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe('Authorization: Basic [redacted]');
  });

  it('registers what a command line brings: --*-env values, URL passwords, key-named env vars', () => {
    registerSecretsFrom(['--target', 'http://u:url%2Fsecret1@h/v1', '--api-key-env', 'MY_K', '--bmc-pass-env=PW'], { MY_K: 'value-of-my-k', PW: 'bmc-password-1', SOME_API_KEY: 'long-enough-key', HOME: '/home/x' });
    const out = redactSecrets('value-of-my-k bmc-password-1 long-enough-key url/secret1 url%2Fsecret1 /home/x');
    expect(out).toBe('[redacted] [redacted] [redacted] [redacted] [redacted] /home/x');
  });

  it('a stream scrubber finds a secret cut at every possible point, and holds back nothing else', () => {
    const key = 'upstream-key-123456';
    registerSecret(key);
    const text = `data: {"error":"bad key ${key}"}\n\ndata: [DONE]\n\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const s = new StreamScrubber(secretForms());
      const out = s.push(text.slice(0, cut)) + s.push(text.slice(cut)) + s.end();
      expect(out).toBe(text.replace(key, '[redacted]'));
    }
    const s = new StreamScrubber(secretForms());
    expect(s.push('data: {"x":1}\n\n')).toBe('data: {"x":1}\n\n'); // no latency added
  });
});

describe('console guard (in a child process: it patches process.stdout)', () => {
  // The built module (dist/; npm test builds first), so the child runs plain node.
  const run = (body: string) =>
    execFileSync(process.execPath, ['--input-type=module', '-e', `import { guardConsole, registerSecret } from ${JSON.stringify(pathToFileURL(resolve('dist/core/index.js')).href)};\n${body}`], { encoding: 'utf8' });

  it('masks a registered secret split across writes, in one turn and across turns; ordinary output is not held', () => {
    const secret = 'zq-Private-Key-0123456789';
    const out = run(`
      registerSecret(${JSON.stringify(secret)});
      guardConsole();
      process.stdout.write('key=${secret.slice(0, 7)}');
      process.stdout.write('${secret.slice(7)} end\\n');
      process.stdout.write('again ${secret.slice(0, 12)}');
      setTimeout(() => { process.stdout.write('${secret.slice(12)}\\n'); process.stdout.write('plain line\\n'); process.stdout.write('tail zq-Pri'); }, 10);
    `);
    expect(out).not.toContain(secret);
    expect(out).toBe('key=[redacted] end\nagain [redacted]\nplain line\ntail zq-Pri');
  });
});
