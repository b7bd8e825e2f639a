import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger, SplitOut, type BudgetHandle } from '../../src/budget/index.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  // Children run the compiled fixture (Node 20 cannot run TypeScript directly).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-ledger-'));
  await run(path.join(repo, 'node_modules/.bin/tsc'), ['--ignoreConfig', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--skipLibCheck',
    '--outDir', dir, '--rootDir', repo, path.join(repo, 'test/fixtures/budget/hammer-child.ts')], { cwd: repo });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SQLite ledger across processes', () => {
  it('keeps state and refuses consumed handles across open/close', () => {
    const file = path.join(dir, 'basic.db');
    const l = SqliteLedger.open(file, { tokens: 1000 });
    const root: BudgetHandle = l.root();
    const out = new SplitOut();
    root.split([100, 200], out);
    l.close();
    const l2 = SqliteLedger.open(file, { tokens: 999_999 }); // existing root is kept
    expect(() => l2.root()).toThrow(/already consumed/);
    expect(l2.handle('root/rest').available().tokens).toBe(700);
    expect(l2.conservation().ok).toBe(true);
    l2.close();
  });

  it('4 processes hammering one ledger never spend more than the root and lose no update', async () => {
    const file = path.join(dir, 'shared.db');
    const rootTokens = 20_000;
    const l = SqliteLedger.open(file, { tokens: rootTokens });
    const root: BudgetHandle = l.root();
    const out = new SplitOut();
    // root/0 and root/1 are each shared by two children, root/rest by all four; root/2..5 are one
    // child's own, so every child makes calls however late a busy machine starts it (a child that
    // found every shared handle drained was a scheduling fact, not a lost update).
    root.split([3000, 3000, 1000, 1000, 1000, 1000], out);
    const child = path.join(dir, 'test/fixtures/budget/hammer-child.js');
    const results = await Promise.all([1, 2, 3, 4].map((i) =>
      run(process.execPath, [child, file, String(i * 7919), 'root/rest', `root/${i % 2}`, `root/${i + 1}`], { timeout: 60_000 })));
    const perChild = results.map((r) => JSON.parse(r.stdout) as { committed: number; calls: number });
    const snap = l.snapshot();
    const committed = perChild.reduce((a, c) => a + c.committed, 0);
    expect(perChild.every((c) => c.calls > 0)).toBe(true);
    expect(snap.spent.tokens).toBe(committed); // every commit landed exactly once
    expect(snap.spent.tokens).toBeLessThanOrEqual(rootTokens);
    expect(snap.overrun.tokens).toBe(0);
    expect(Object.keys(snap.reservations)).toHaveLength(0);
    expect(l.conservation().ok).toBe(true);
    l.close();
  });
});
