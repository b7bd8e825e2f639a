import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

// `npm test` builds first; skip (visibly) when run without a build.
const built = existsSync('dist/commands/trajectories/validate.js');
const run = (...args: string[]) => execa('node', ['bin/run.js', ...args], { reject: false });

describe.concurrent.skipIf(!built)('agentdyno trajectories (CLI)', () => {
  it('validate: ok exits 0', async () => {
    const r = await run('trajectories', 'validate', 'test/fixtures/trajectory/good');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('ok: 5 trajectories in 3 files');
  });

  it('validate: problems exit 2 (E_TRAJECTORY_INVALID) with FILE:LINE: path: message', async () => {
    const r = await run('trajectories', 'validate', 'test/fixtures/trajectory/bad');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Error [E_TRAJECTORY_INVALID]');
    expect(r.stderr).toContain('21 problems in 2 of 2 files');
    expect(r.stderr).toContain('test/fixtures/trajectory/bad/kinds.jsonl:2: $.agents[0].steps[0].output_tokens: expected a non-negative integer, got -5');
    const j = await run('trajectories', 'validate', 'test/fixtures/trajectory/bad/empty-agents.jsonl', '--json');
    expect(j.exitCode).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, trajectories: 0, files: 1, problems: [{ line: 1, path: '$.agents', message: 'expected at least 1 item' }] });
  });

  it('stats: table and --json', async () => {
    const r = await run('trajectories', 'stats', 'test/fixtures/trajectory/good/tiny.jsonl');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/main-agent turns \(min \/ median \/ max\)\s+2 \/ 3 \/ 3/);
    expect(r.stdout).toContain('estimated, not measured');
    const j = await run('trajectories', 'stats', 'test/fixtures/trajectory/good/tiny.jsonl', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ trajectories: 2, llmCalls: 7 });
  });

  it('synth: the documented command reproduces the bundled file', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'traj-')), 'synth.jsonl');
    const r = await run('trajectories', 'synth', '--seed', '1', '--count', '32', '--out', out);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('trajectories/synthetic-v1.jsonl', 'utf8'));
  });
});
