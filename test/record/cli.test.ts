/** `agentdyno record --out`: an existing file is never overwritten without --force (checked before it listens). */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-record-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('record --out', () => {
  it('refuses an existing file (E_OUTPUT_EXISTS) and leaves it as it was', async () => {
    const out = join(dir, 'mine.jsonl');
    writeFileSync(out, 'precious\n');
    const r = await execa('node', [join(ROOT, 'bin/run.js'), 'record', '--upstream', 'http://127.0.0.1:9/v1', '--port', '0', '--out', out, '--json'], { cwd: ROOT, reject: false, timeout: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_OUTPUT_EXISTS', where: out });
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
  });
});
