import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const built = existsSync('dist/commands/import.js');
const run = (...args: string[]) => execa('node', ['bin/run.js', ...args], { reject: false, env: { AGENTDYNO_DB: join(mkdtempSync(join(tmpdir(), 'imp-db-')), 'a.db') } });

describe.concurrent.skipIf(!built)('agentdyno import: fidelity summary, --keep-content, --out', () => {
  it('prints and stores the fidelity summary', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'imp-fid-')), 's.jsonl');
    const r = await run('import', 'swe-agent', 'test/fixtures/importers/swe-agent/swe-agent__test-repo-i1.traj', '--out', out);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/ESTIMATED on 5 \(input 52,861, output 326\)/);
    expect(r.stdout).toMatch(/calibrated to the recorded info\.model_stats\.tokens_sent 52,861/);
    const t = JSON.parse(readFileSync(out, 'utf8').trim());
    expect(t.source.fidelity).toMatchObject({ calls: 5, tokens: { estimatedCalls: 5, estimatedInput: 52861 }, calibration: { recorded: 52861, residual: 0 } });
  });

  it('--keep-content keeps messages that replay --content recorded then uses', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'imp-kc-')), 'aa.jsonl');
    const r = await run('import', 'aa-replay', 'test/fixtures/importers/aa-replay/manifest.json', '--out', out, '--keep-content', '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).fidelity.contentCalls).toBe(2);
    const t = JSON.parse(readFileSync(out, 'utf8').trim());
    expect(t.agents[0].steps[0].content.messages[1].role).toBe('user');
  });

  it('refuses to write over its own input, and writes nothing', async () => {
    const before = readFileSync('test/fixtures/importers/mooncake-conversation-trace.jsonl', 'utf8');
    const r = await run('import', 'mooncake', 'test/fixtures/importers/mooncake-conversation-trace.jsonl', '--out', 'test/fixtures/importers/mooncake-conversation-trace.jsonl');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('E_OUTPUT_EXISTS') // the code for an output over an input (docs/errors.md);
    expect(readFileSync('test/fixtures/importers/mooncake-conversation-trace.jsonl', 'utf8')).toBe(before);
  });
});

