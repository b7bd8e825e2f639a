/**
 * agentdyno.run.v1: every kind of stored result, made by the real commands (test/report/fixtures.ts),
 * validates against schemas/run.v1.json with ajv; a broken or unknown result is refused with its path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentdynoError } from '../../src/core/index.js';
import { openStore, readRunDocument, toRunDocument, validateRunDocument, type Store } from '../../src/store/index.js';
import { fixtureRuns, type FixtureRuns } from '../report/fixtures.js';

let fx: FixtureRuns;
let store: Store;
beforeAll(async () => {
  fx = await fixtureRuns();
  store = openStore(fx.db, { mustExist: true });
}, 600_000);

describe('agentdyno.run.v1', () => {
  it('every stored run (each kind, made by the commands) validates against the schema', () => {
    const runs = store.listRuns({ limit: 1000 });
    const kinds = new Set(runs.map((r) => r.kind));
    for (const k of ['sweep', 'replay', 'replay-merged', 'plan', 'loop', 'suite', 'budget-bench', 'power-record', 'efc-fit']) expect(kinds, k).toContain(k);
    for (const r of runs) {
      const doc = toRunDocument(r);
      expect(validateRunDocument(doc), `${r.kind} ${r.id}`).toEqual([]);
      expect(doc.format).toBe('agentdyno.run.v1');
    }
    // The shard runs merged above are replays too, in their own databases.
    for (const f of ['s0.db', 's1.db']) {
      const s = openStore(path.join(fx.dir, f), { mustExist: true });
      try {
        for (const r of s.listRuns()) expect(validateRunDocument(toRunDocument(r)), r.id).toEqual([]);
      } finally {
        s.close();
      }
    }
  });

  it('provenance says SIMULATED for simulator runs and carries version and host', () => {
    const d = readRunDocument(store, fx.ids.sweep);
    expect(d.kind).toBe('sweep');
    expect(d.provenance.simulated).toBe(true);
    expect(d.provenance.agentdynoVersion).toMatch(/\d+\.\d+/);
    expect(d.provenance.host?.cpus).toBeGreaterThan(0);
    expect(readRunDocument(store, fx.ids.power).provenance.simulated).toBe(false);
  });

  it('refuses a result that breaks the schema, naming the JSON path', () => {
    const run = store.requireRun(fx.ids.sweep);
    const broken = JSON.parse(JSON.stringify(run.result)) as { tiers: Record<string, unknown>[]; levels: { report: Record<string, unknown> }[] };
    delete broken.tiers[0].nMax;
    broken.levels[0].report.windowStartNs = 12.5;
    const problems = validateRunDocument(toRunDocument({ ...run, result: broken }));
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['/result/tiers/0', '/result/levels/0/report/windowStartNs']));
    // A loop result missing its curve is not a loop result.
    const loop = store.requireRun(fx.ids.loops[0]);
    const noCurve = { ...(loop.result as object), curve: undefined };
    expect(validateRunDocument(toRunDocument({ ...loop, result: JSON.parse(JSON.stringify(noCurve)) })).length).toBeGreaterThan(0);
  });

  it('an unknown kind or a stored result of the wrong shape is E_RESULT_INVALID on read', () => {
    const s = openStore(':memory:');
    try {
      s.createRun({ id: 'x-1', kind: 'mystery', config: {} });
      s.createRun({ id: 'sweep-bad', kind: 'sweep', config: {} });
      s.finishRun('sweep-bad', 'completed', { tiers: 'not an array' });
      for (const id of ['x-1', 'sweep-bad']) {
        try {
          readRunDocument(s, id);
          expect.unreachable();
        } catch (e) {
          expect((e as AgentdynoError).code).toBe('E_RESULT_INVALID');
        }
      }
      // A run that failed before storing a result reads as { error } (still valid).
      s.createRun({ id: 'sweep-failed', kind: 'sweep', config: {} });
      s.finishRun('sweep-failed', 'failed', { error: 'endpoint refused' });
      expect(readRunDocument(s, 'sweep-failed').result).toEqual({ error: 'endpoint refused' });
    } finally {
      s.close();
    }
  });

  it('the published schema is the file the store reads', () => {
    const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../schemas/run.v1.json'), 'utf8')) as { title: string; oneOf: unknown[] };
    expect(schema.title).toBe('agentdyno.run.v1');
    expect(schema.oneOf).toHaveLength(9);
  });
});
