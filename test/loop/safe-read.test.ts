import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modifiedHarness, safeReadUnder, safeSha256, treeUsage } from '../../src/loop/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-safe-'));
const outside = path.join(os.tmpdir(), `agentdyno-safe-secret-${process.pid}`);
fs.writeFileSync(outside, 'SECRET');
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { force: true });
});

describe('host-side reads of sandbox-writable paths', () => {
  it('reads a regular file, capped', () => {
    fs.writeFileSync(path.join(root, 'a.txt'), 'hello world');
    const r = safeReadUnder(root, 'a.txt', 5);
    expect(r.ok && r.data.toString()).toBe('hello');
    expect(r.ok && r.truncated).toBe(true);
  });
  it('refuses a symlink leaf and a symlinked folder on the way', () => {
    fs.symlinkSync(outside, path.join(root, 'link'));
    fs.symlinkSync(os.tmpdir(), path.join(root, 'dirlink'));
    expect(safeReadUnder(root, 'link', 100)).toMatchObject({ ok: false, why: expect.stringMatching(/symbolic link/) });
    expect(safeReadUnder(root, `dirlink/${path.basename(outside)}`, 100)).toMatchObject({ ok: false, why: expect.stringMatching(/dirlink: is a symbolic link/) });
    expect(safeReadUnder(root, '../x', 100)).toMatchObject({ ok: false });
  });
  it('refuses a FIFO at once (no blocking open)', () => {
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    const t0 = Date.now();
    expect(safeReadUnder(root, 'fifo', 100)).toMatchObject({ ok: false, why: expect.stringMatching(/FIFO/) });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('a harness file replaced by a link or FIFO counts as modified', () => {
    const h = { 'a.txt': safeSha256(root, 'a.txt')!, link: 'x', fifo: 'y', gone: 'z' };
    expect(modifiedHarness(root, h).sort()).toEqual(['fifo', 'gone', 'link']);
  });
  it('measures a tree without following links', () => {
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd', 'big'), Buffer.alloc(64 * 1024, 1));
    const u = treeUsage(root);
    expect(u.bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(u.bytes).toBeLessThan(1 << 20); // the dirlink to /tmp is not walked
  });
});
