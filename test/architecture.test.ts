/**
 * The module import rules (DESIGN 2), read from docs/architecture.json: every relative import in
 * src/ between two modules (folders of src/) must go through the target's index.ts and must not
 * break a "never" rule, unless the allow list names that exact file and target with a reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Rule { from: string; to: string[]; except?: string[]; why: string }
interface Allow { file: string; imports: string; rule: string; reason: string }
interface Architecture { throughIndex: boolean; never: Rule[]; allow: Allow[] }

const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');
const arch = JSON.parse(readFileSync(join(ROOT, 'docs/architecture.json'), 'utf8')) as Architecture;

export interface ModuleImport { file: string; line: number; from: string; to: string; target: string }

/** Relative imports (static, re-exports, dynamic) that cross from one src/ module into another. */
export function crossModuleImports(srcDir: string): ModuleImport[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts)$/.test(p)) files.push(p);
    }
  };
  walk(srcDir);
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  const out: ModuleImport[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const rel = relative(srcDir, f);
    const from = rel.includes('/') ? rel.split('/')[0] : '(root)';
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(f), spec)).replace(/\.js$/, '.ts');
      const to = target.split('/')[0];
      if (to === from || target.startsWith('..')) continue;
      out.push({ file: rel, line: text.slice(0, (m.index ?? 0) + m[0].indexOf(spec)).split('\n').length, from, to, target });
    }
  }
  return out;
}

/** Every break of the rules, as "file:line -> target: rule (why)". */
export function breaks(imports: readonly ModuleImport[], a: Architecture): { key: string; text: string }[] {
  const out: { key: string; text: string }[] = [];
  for (const i of imports) {
    if (a.throughIndex && i.target !== `${i.to}/index.ts`) out.push({ key: `${i.file} -> ${i.target} [index]`, text: `${i.file}:${i.line} imports ${i.target}: imports between modules go through ${i.to}/index.ts` });
    for (const r of a.never) {
      if (r.from !== '*' && r.from !== i.from) continue;
      const hit = r.to.includes('*') ? !(r.except ?? []).includes(i.to) : r.to.includes(i.to);
      if (hit) out.push({ key: `${i.file} -> ${i.target} [${r.from} -> ${r.to.join(',')}]`, text: `${i.file}:${i.line} imports ${i.target}: never ${r.from} -> ${i.to} (${r.why})` });
    }
  }
  return out;
}

const allowed = (a: Architecture, key: string) => a.allow.some((x) => key === `${x.file} -> ${x.imports} [${x.rule}]`);

describe('module import rules (docs/architecture.json)', () => {
  it('src/ breaks no rule outside the documented allow list', () => {
    const found = breaks(crossModuleImports(SRC), arch).filter((b) => !allowed(arch, b.key));
    expect(found.map((b) => b.text)).toEqual([]);
  });

  it('every allow-list entry still matches an import and gives a reason (stale entries are removed)', () => {
    const keys = new Set(breaks(crossModuleImports(SRC), arch).map((b) => b.key));
    for (const x of arch.allow) {
      expect(x.reason.length, `${x.file}: reason`).toBeGreaterThan(10);
      expect(keys.has(`${x.file} -> ${x.imports} [${x.rule}]`), `stale allow entry ${x.file} -> ${x.imports}`).toBe(true);
    }
  });

  it('the checker catches a new break (sim -> replay, a deep import, core -> anything)', () => {
    const fake: ModuleImport[] = [
      { file: 'sim/x.ts', line: 1, from: 'sim', to: 'replay', target: 'replay/index.ts' },
      { file: 'replay/y.ts', line: 2, from: 'replay', to: 'endpoint', target: 'endpoint/stream.ts' },
      { file: 'core/z.ts', line: 3, from: 'core', to: 'ui', target: 'ui/index.ts' },
      { file: 'replay/w.ts', line: 4, from: 'replay', to: 'slo', target: 'slo/index.ts' },
    ];
    const b = breaks(fake, arch).map((x) => x.text);
    expect(b.some((t) => /sim\/x.ts:1 .* never sim -> replay/.test(t))).toBe(true);
    expect(b.some((t) => /replay\/y.ts:2 .* go through endpoint\/index.ts/.test(t))).toBe(true);
    expect(b.some((t) => /core\/z.ts:3 .* never core -> ui/.test(t))).toBe(true);
    expect(b.some((t) => t.startsWith('replay/w.ts'))).toBe(false);
  });
});
