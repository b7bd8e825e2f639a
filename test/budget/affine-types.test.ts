import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The affine guarantee is a compile-time one: these tests run the real compiler on fixtures.
const repo = path.resolve(import.meta.dirname, '../..');
const tsc = path.join(repo, 'node_modules/.bin/tsc');
const fixture = (f: string) => path.join(repo, 'test/fixtures/budget', f);
const flags = ['--ignoreConfig', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
  '--lib', 'es2022,esnext.disposable', '--types', 'node', '--skipLibCheck'];

function compile(file: string, extra: string[] = ['--noEmit']) {
  const r = spawnSync(tsc, [...flags, ...extra, file], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('affine handles under tsc --strict', () => {
  it('rejects reuse of a handle consumed by split', () => {
    const r = compile(fixture('reuse-consumed.ts'));
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/reuse-consumed\.ts\(9,\d+\): error TS2339: Property 'reserve' does not exist on type 'never'/);
  });

  it('rejects a second settlement of a committed reservation', () => {
    const r = compile(fixture('commit-twice.ts'));
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/commit-twice\.ts\(9,\d+\): error TS2339: Property 'release' does not exist on type 'never'/);
  });

  for (const [file, line, prop] of [['settle-then-commit.ts', 10, 'commit'], ['absorb-reuse.ts', 12, 'reserve'], ['helper-consumes.ts', 14, 'reserve']] as const) {
    it(`rejects ${file.replace(/\.ts$/, '').replace(/-/g, ' ')} (line ${line})`, () => {
      const r = compile(fixture(file));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(new RegExp(`${file.replace('.', '\\.')}\\(${line},\\d+\\): error TS2339: Property '${prop}' does not exist on type 'never'`));
      // Nothing else in the fixture is an error: the misuse is the only one.
      expect(r.out.match(/error TS/g)).toHaveLength(1);
    });
  }

  it('compiles correct code with no type annotations (no TS2775 / TS2776), and it runs', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-budget-'));
    try {
      const r = compile(fixture('inferred-ok.ts'), ['--outDir', out, '--rootDir', repo]);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
      fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'));
      const res = execFileSync(process.execPath, ['--input-type=module', '-e',
        `import { left, charged } from ${JSON.stringify(path.join(out, 'test/fixtures/budget/inferred-ok.js'))}; console.log(left, charged);`], { encoding: 'utf8' });
      expect(res.trim()).toBe('975 10'); // 1000 - 15 - 10 spent; the second call charged 5 + 5
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('compiles the control fixture, and its down-levelled `using` runs on this Node', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-budget-'));
    try {
      const r = compile(fixture('use-children.ts'), ['--outDir', out, '--rootDir', repo]);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
      const js = fs.readFileSync(path.join(out, 'test/fixtures/budget/use-children.js'), 'utf8');
      expect(js).toMatch(/__addDisposableResource/); // target ES2022: `using` is down-levelled
      fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'));
      const res = execFileSync(process.execPath, ['--input-type=module', '-e',
        `import { left } from ${JSON.stringify(path.join(out, 'test/fixtures/budget/use-children.js'))}; console.log(left);`], { encoding: 'utf8' });
      expect(res.trim()).toBe('585') // remainder 200 + child 400 - 15 spent;
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
