import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ResultsList from '../../src/commands/results/list.js';
import ResultsShow from '../../src/commands/results/show.js';
import ResultsExport from '../../src/commands/results/export.js';
import { openStore } from '../../src/store/index.js';
import { tempDb } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const t = tempDb();

beforeAll(() => {
  const s = openStore(t.file);
  s.createRun({ id: 'sweep-a', kind: 'sweep', config: {}, target: { url: 'sim:h100', simulated: true }, startedAt: new Date('2026-01-01T00:00:00Z') });
  s.insertSweepPoints('sweep-a', [
    { level: 2, tierTokPerS: 20, passRate: 1, agentsActive: 2, agentsPassing: 2 },
    { level: 4, tierTokPerS: 20, passRate: 0.5, agentsActive: 4, agentsPassing: 2, valid: false, reasons: ['too few requests'] },
  ]);
  s.insertRequests('sweep-a', [{ level: 2, status: 'ok', tSchedNs: 123456789012345678n }]);
  s.finishRun('sweep-a', 'completed', { summary: '20 tok/s: 2 agents (SIMULATED)' });
  s.createRun({ id: 'suite-b', kind: 'suite', config: {}, startedAt: new Date('2026-01-02T00:00:00Z') });
  s.finishRun('suite-b', 'failed');
  s.close();
});
afterAll(() => t.cleanup());

/** Runs a command class in-process, capturing what it writes. */
async function run(cmd: { run(argv: string[], opts: string): Promise<unknown> }, argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  // oclif's this.log goes through console.log
  const cl = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  const ce = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  const prevCode = process.exitCode;
  let result: unknown;
  let thrown: unknown;
  try {
    result = await cmd.run(argv, root);
  } catch (x) {
    thrown = x;
  } finally {
    o.mockRestore();
    e.mockRestore();
    cl.mockRestore();
    ce.mockRestore();
  }
  const exitCode = process.exitCode;
  process.exitCode = prevCode;
  return { out, err, result, thrown, exitCode };
}

describe('results commands', () => {
  it('list --json prints the runs newest first', async () => {
    const r = await run(ResultsList, ['--db', t.file, '--json']);
    const j = JSON.parse(r.out);
    expect(j.runs.map((x: { id: string }) => x.id)).toEqual(['suite-b', 'sweep-a']);
    expect(Object.keys(j.runs[0]).sort()).toEqual(['endedAt', 'id', 'kind', 'startedAt', 'status']);
  });

  it('list prints a table with the summary; --kind filters', async () => {
    const r = await run(ResultsList, ['--db', t.file, '--kind', 'sweep']);
    expect(r.out).toContain('sweep-a');
    expect(r.out).toContain('20 tok/s: 2 agents (SIMULATED)');
    expect(r.out).not.toContain('suite-b');
  });

  it('show prints metadata and the per-tier table; unknown id fails naming it', async () => {
    const r = await run(ResultsShow, ['sweep-a', '--db', t.file]);
    expect(r.out).toContain('[SIMULATED]');
    expect(r.out).toContain('SLO tier 20 tok/s');
    expect(r.out).toMatch(/4\s+50%\s+2\s+4\s+-\s+-\s+NO\s+too few requests/);
    const bad = await run(ResultsShow, ['nope', '--db', t.file]);
    expect(bad.err).toContain('"nope"');
    expect(bad.err).toContain('results list');
    expect(bad.err).toContain('[E_RUN_NOT_FOUND]');
    expect(bad.exitCode).toBe(6);
  });

  it('export writes csv to a file with ns intact', async () => {
    const file = path.join(t.dir, 'out', 'r.csv');
    await run(ResultsExport, ['sweep-a', '--format', 'csv', '--out', file, '--db', t.file]);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',123456789012345678,');
  });
});
