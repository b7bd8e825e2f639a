/** The built CLI (dist/; `npm test` builds first): `sim plan` and `sim fit`, their JSON contracts and their errors. */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadProfile } from '../../src/sim/index.js';
import { planLevel } from '../../src/plan/index.js';
import { openStore } from '../../src/store/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';

const ROOT = resolve(__dirname, '../..');
const built = existsSync(join(ROOT, 'dist/commands/sim/plan.js')) && existsSync(join(ROOT, 'dist/commands/sim/fit.js'));
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-sim-plan-cli-'));
const db = join(dir, 'results.db');
const cli = (args: string[], timeout = 60_000) => execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env: { CI: '1' } });
const quick = ['--window', '30', '--warmup', '10', '--drain-cap', '10', '--start', '4', '--max', '256'];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stored "sweep" whose request rows come from the virtual-time planner (known profile: small). */
function storeRun(id: string, levels: number[]): void {
  const trajectories = loadTrajectories([join(ROOT, 'trajectories/synthetic-v1.jsonl')]).map((l) => l.trajectory);
  const store = openStore(db);
  try {
    store.createRun({ id, kind: 'sweep', config: { note: 'rows simulated by planLevel for a test' } });
    for (const n of levels) {
      const r = planLevel(loadProfile('small'), trajectories, { concurrency: n, warmupS: 20, windowS: 60, drainCapS: 20, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 1, tiers: [{ sloTokPerS: 20, ttftCeilingMs: 10_000 }], keepRequests: true });
      store.insertRequests(id, r.requests!);
    }
    store.finishRun(id, 'completed', {});
  } finally {
    store.close();
  }
}

describe.skipIf(!built)('agentdyno sim plan / sim fit (built CLI)', () => {
  it('sim plan --json prints one JSON object: labelled simulated, a bracket per tier, every level', async () => {
    const r = await cli(['sim', 'plan', '--json', ...quick, '--slo', '20,60']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.label).toMatch(/VIRTUAL TIME, SIMULATED/);
    expect(out.profile).toMatchObject({ name: 'small', illustrative: true });
    expect(out.settings).toMatchObject({ windowS: 30, warmupS: 10, drainCapS: 10 });
    expect(out.tiers).toHaveLength(2);
    for (const t of out.tiers) {
      for (const k of ['sloTokPerS', 'ttftCeilingMs', 'maxPassing', 'minFailing', 'bindingConstraint', 'agentsPerMW', 'meanW', 'resolved']) expect(t).toHaveProperty(k);
      expect(t.maxPassing).toBeGreaterThan(0);
      expect(t.minFailing).toBeGreaterThan(t.maxPassing);
    }
    expect(out.levels[0]).toMatchObject({ concurrency: 4, simulated: true, virtualTime: true });
    expect(out.levels.every((l: { power: { simulated: boolean } }) => l.power.simulated)).toBe(true);
  });

  it('sim plan prints the report on stdout and one progress line per level on stderr', async () => {
    const r = await cli(['sim', 'plan', ...quick, '--slo', '60', '--replicas', '2', '--sample-replicas', '1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/VIRTUAL TIME, SIMULATED/);
    expect(r.stdout).toMatch(/ESTIMATE: only 1 of 2 replicas simulated/);
    expect(r.stdout).toMatch(/tier 60 tok\/s .*max passing \/ min failing \[\d+, \d+\]/);
    expect(r.stderr).toMatch(/level 1: 4 agents \(2 simulated on 1\/2 replicas\)/);
  });

  // Independent refusals that store nothing: side by side (suite wall time).
  it.concurrent.each([
    ['a missing profile', ['--profile', join(dir, 'nope.yaml')], /nope\.yaml/],
    ['a malformed profile', ['--profile', join(ROOT, 'test/fixtures/sim/bad-profile.yaml')], /bad-profile\.yaml/],
    ['a missing trajectory file', ['--trajectories', join(dir, 'nope.jsonl')], /nope\.jsonl/],
    ['a malformed trajectory file', ['--trajectories', join(ROOT, 'test/fixtures/replay/bad.jsonl')], /bad\.jsonl:2/],
    ['a bad --slo', ['--slo', 'fast'], /--slo/],
  ])('sim plan with %s: one clear paragraph, non-zero exit', async (_n, args, re) => {
    const r = await cli(['sim', 'plan', ...quick, ...args], 30_000);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('sim fit writes a fitted, loadable profile and reports the fit', async () => {
    storeRun('sweep-fit-ok', [2, 4, 8, 16, 32]);
    const out = join(dir, 'fitted.yaml');
    const r = await cli(['sim', 'fit', 'sweep-fit-ok', '--db', db, '--out', out, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.out).toBe(out);
    expect(res.label).toMatch(/FITTED/);
    expect(res.fit.levels).toHaveLength(5);
    expect(Math.abs(res.fit.coefficients.a / 9 - 1)).toBeLessThan(0.15);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# FITTED \(illustrative\) from stored run sweep-fit-ok/);
    expect(text).toMatch(/Clamped to 0 by the non-negativity constraint/);
    const p = loadProfile(out);
    expect(p.name).toBe('fitted-sweep-fit-ok');
    expect(p.stepTimeMs.a).toBeCloseTo(res.fit.coefficients.a, 2);
    // ... and plans with it.
    const plan = await cli(['sim', 'plan', '--profile', out, ...quick, '--slo', '20', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).profile.name).toBe('fitted-sweep-fit-ok');
    const human = await cli(['sim', 'fit', 'sweep-fit-ok', '--db', db, '--out', join(dir, 'f2.yaml')]);
    expect(human.stdout).toMatch(/FITTED, illustrative/);
    expect(human.stdout).toMatch(/R\^2 decode \d\.\d{3}/);
    // An existing profile is never overwritten without --force, and the database never.
    const again = await cli(['sim', 'fit', 'sweep-fit-ok', '--db', db, '--out', out, '--json']);
    expect(again.exitCode).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('E_OUTPUT_EXISTS');
    expect((await cli(['sim', 'fit', 'sweep-fit-ok', '--db', db, '--out', out, '--force'])).exitCode).toBe(0);
    const overDb = await cli(['sim', 'fit', 'sweep-fit-ok', '--db', db, '--out', db, '--force', '--json']);
    expect(JSON.parse(overDb.stdout).error.code).toBe('E_OUTPUT_EXISTS');
  });

  it('sim fit refuses a run with too few levels, and an unknown run, clearly', async () => {
    storeRun('sweep-fit-one-level', [8]);
    const r = await cli(['sim', 'fit', 'sweep-fit-one-level', '--db', db, '--out', join(dir, 'x.yaml')]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/run sweep-fit-one-level .*too little to fit: 1 level/);
    expect(existsSync(join(dir, 'x.yaml'))).toBe(false);
    const u = await cli(['sim', 'fit', 'no-such-run', '--db', db]);
    expect(u.exitCode).not.toBe(0);
    expect(u.stderr).toMatch(/no-such-run/);
    expect(u.stderr).not.toMatch(/\n\s+at /);
  });
});
