import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentdynoError, ERROR_CODES, ERROR_FAMILIES, exitCodeFor } from '../../src/core/index.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

describe('error codes', () => {
  it('docs/errors.md lists every code and family with its exit code, and nothing else', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    const documented = [...doc.matchAll(/^\| `(E_\w+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(documented).toEqual(Object.entries(ERROR_CODES).map(([c, v]) => [c, v.family]));
    for (const [family, { exitCode }] of Object.entries(ERROR_FAMILIES)) expect(doc).toMatch(new RegExp(`^\\| ${family} \\| ${exitCode} \\|`, 'm'));
  });

  it('the exit code follows from the family', () => {
    const e = new AgentdynoError('x', { code: 'E_ENDPOINT_UNREACHABLE', where: 'http://h', hint: 'Check it.' });
    expect(e.exitCode).toBe(3);
    expect(e.what).toBe('x');
    expect(e.message).toBe('http://h: x. Check it.');
    expect(exitCodeFor('E_TRAJECTORY_INVALID')).toBe(2);
    expect(exitCodeFor('E_INTERRUPTED')).toBe(130);
  });

  it('every code thrown in src/ is in the list, and no code branches on an error message', () => {
    const known = new Set(Object.keys(ERROR_CODES));
    const offenders: string[] = [];
    for (const f of sourceFiles('src')) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/code: '(E_[A-Z_]+)'/g)) if (!known.has(m[1])) offenders.push(`${f}: unknown ${m[1]}`);
      // A regex test or includes() on an error's message is branching on wording.
      for (const m of text.matchAll(/\.test\((?:e|err|error)\.message\)|(?:e|err|error)\.message\.(?:includes|startsWith|match)\(/g)) offenders.push(`${f}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
