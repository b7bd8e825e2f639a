/**
 * `sim plan` stores a typed `plan` run (agentdyno.run.v1): results list/show and `agentdyno report`
 * work on it, labelled SIMULATED and virtual time. `results show` reads the typed result for every
 * kind that has one and falls back, with a note, only for a result that does not match the schema.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { clockAnchor, newRunId } from '../../src/core/index.js';
import { openStore, readRunDocument, validateRunDocument, toRunDocument } from '../../src/store/index.js';

const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-plan-run-'));
const db = path.join(dir, 'runs.db');
const cli = (args: string[]) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout: 120_000, env: { CI: '1' } });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sim plan as a stored run', () => {
  it('stores a plan run that validates; results list/show and report read it', async () => {
    const r = await cli(['sim', 'plan', '--max-levels', '3', '--window', '20', '--warmup', '5', '--drain-cap', '5', '--start', '4', '--db', db, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; tiers: { sloTokPerS: number; maxPassing: number | null; minFailing: number | null }[]; levels: unknown[] };
    expect(out.runId).toMatch(/^plan-/);
    const store = openStore(db);
    const doc = readRunDocument(store, out.runId);
    expect(validateRunDocument(toRunDocument(store.requireRun(out.runId)))).toEqual([]);
    store.close();
    expect(doc.kind).toBe('plan');
    expect(doc.provenance.simulated).toBe(true);
    // The stored tiers are the plan's own, level for level (no per-call rows).
    const res = doc.result as { tiers: typeof out.tiers; levels: { requests?: unknown }[] };
    expect(res.tiers.map((t) => [t.sloTokPerS, t.maxPassing, t.minFailing])).toEqual(out.tiers.map((t) => [t.sloTokPerS, t.maxPassing, t.minFailing]));
    expect(res.levels).toHaveLength(out.levels.length);
    expect(res.levels.every((l) => l.requests === undefined)).toBe(true);

    const list = await cli(['results', 'list', '--db', db]);
    expect(list.stdout).toMatch(new RegExp(`${out.runId}\\s+plan\\s+completed`));

    const show = await cli(['results', 'show', out.runId, '--db', db]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stderr).not.toContain('does not match');
    expect(show.stdout).toContain('== Capacity plan (SIMULATED, virtual time)');
    for (const t of out.tiers) expect(show.stdout).toContain(`[${t.maxPassing ?? '-'}, ${t.minFailing ?? '-'}]`);
    expect(show.stdout).toContain('window opened / level ended (virtual s)');

    const html = path.join(dir, 'plan.html');
    const rep = await cli(['report', out.runId, '--db', db, '--out', html]);
    expect(rep.exitCode, rep.stderr).toBe(0);
    // One pass-rate chart per tier.
    expect(rep.stdout).toContain(`(${out.tiers.length} charts;`);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('SIMULATED, VIRTUAL TIME');
    expect(page).toContain('bracket [max passing, min failing] (virtual time)');
  }, 120_000);
});

describe('results show reads the typed result', () => {
  it('a typed run: its sections and document in --json; a loose pre-schema result: a note and the stored fields', async () => {
    const bench = await cli(['budget', 'bench', '--trials', '4', '--policy', 'naive', '--faults', 'none', '--db', db, '--json']);
    expect(bench.exitCode, bench.stderr).toBe(0);
    const benchId = (JSON.parse(bench.stdout) as { runId: string }).runId;
    const typed = await cli(['results', 'show', benchId, '--db', db, '--json']);
    const tj = JSON.parse(typed.stdout) as { document: { format: string; kind: string } | null; schemaProblems: string[] };
    expect(tj.schemaProblems).toEqual([]);
    expect(tj.document).toMatchObject({ format: 'agentdyno.run.v1', kind: 'budget-bench' });
    const text = await cli(['results', 'show', benchId, '--db', db]);
    expect(text.stdout).toContain('== Budget policies under fan-out');
    expect(text.stdout).toMatch(/naive\s+4\s+\d+/);

    // A budget bench result as an older build stored it (no per-policy summaries): shown loose, with a note.
    const store = openStore(db);
    const old = newRunId('budget');
    store.createRun({ id: old, kind: 'budget-bench', config: { trials: 4 }, clockAnchor: clockAnchor() });
    store.finishRun(old, 'completed', { policies: [{ name: 'naive', violated: 2 }] });
    store.close();
    const loose = await cli(['results', 'show', old, '--db', db, '--json']);
    expect(loose.exitCode, loose.stderr).toBe(0);
    expect(loose.stderr).toMatch(/does not match agentdyno\.run\.v1 .*stored before the schema/);
    const lj = JSON.parse(loose.stdout) as { run: { id: string; result: unknown }; document: unknown; schemaProblems: string[] };
    expect(lj.run.result).toEqual({ policies: [{ name: 'naive', violated: 2 }] });
    expect(lj.document).toBeNull();
    expect(lj.schemaProblems.length).toBeGreaterThan(0);
  }, 120_000);
});
