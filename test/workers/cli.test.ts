/** `--workers` on the commands: bad input fails before any set-up (the merged runs are tested in threads.test.ts). */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const run = (...args: string[]) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout: 60_000 });

describe('--workers flag', () => {
  it('more workers than lanes: E_USAGE_RANGE before anything starts', async () => {
    const r = await run('replay', '-c', '4', '--workers', '5', '--json');
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('E_USAGE_RANGE');
    const s = await run('sweep', '--max-concurrency', '8', '--start', '2', '--workers', '9', '--json');
    expect(JSON.parse(s.stdout).error.code).toBe('E_USAGE_RANGE');
  }, 60_000);
});
