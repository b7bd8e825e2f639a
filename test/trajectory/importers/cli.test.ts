import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const built = existsSync('dist/commands/import.js');
const run = (...args: string[]) => execa('node', ['bin/run.js', ...args], { reject: false });

describe.concurrent.skipIf(!built)('agentdyno import (CLI)', () => {
  it('converts, and the output validates', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'imp-cli-')), 'w.jsonl');
    const r = await run('import', 'weka', 'test/fixtures/importers/weka-sample-with-subagent.json', '--out', out, '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'weka', trajectories: 1, agents: 2, skipped: [] });
    const v = await run('trajectories', 'validate', out);
    expect(v.exitCode).toBe(0);
  });

  it('wrong format: non-zero exit, file and line named, nothing written', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'imp-cli-')), 'x.jsonl');
    const r = await run('import', 'mooncake', 'test/fixtures/importers/astropy__astropy-12907.traj.json', '--out', out);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('astropy__astropy-12907.traj.json:1: $: not JSON Lines');
    expect(existsSync(out)).toBe(false);
    void readFileSync;
  });
});
