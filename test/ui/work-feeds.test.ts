/**
 * A short real `suite run` (tiny fixture task, search agent) and `budget bench` (8 trials, two
 * policies, simulator) with --events: every line validates against schemas/events.v1.json, seq has
 * no gaps, the live events reach the store, and `agentdyno dashboard RUN` follows each kind off a TTY.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-work-feeds-'));
const db = path.join(dir, 'runs.db');
const cli = (args: string[]) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout: 120_000, env: { CI: '1' } });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/events.v1.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, discriminator: true, strict: true, strictRequired: false }).compile(schema);

type Line = { type: string; seq: number; runId: string; [k: string]: unknown };
function lines(file: string): Line[] {
  const ls = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
  for (const e of ls) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
  expect(ls.map((e) => e.seq)).toEqual(ls.map((_, i) => i + 1));
  return ls;
}

describe('suite run and budget bench feeds', () => {
  it('suite run --events: run-start (kind suite), task-start/iteration/end, run-end; the dashboard follows it', async () => {
    const file = path.join(dir, 'suite.ndjson');
    const r = await cli(['suite', 'run', 'test/fixtures/ui/suite', '--iterations', '2', '--db', db, '--events', file, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; results: { runId: string; normalizedScore: number }[] };
    const ls = lines(file);
    expect(ls.map((e) => e.type)).toEqual(['run-start', 'task-start', 'task-iteration', 'task-iteration', 'task-end', 'run-end']);
    expect(ls.every((e) => e.runId === out.runId)).toBe(true);
    expect(ls[0]).toMatchObject({ kind: 'suite', total: 1, simulated: false });
    expect(ls[1]).toMatchObject({ taskId: 'system/tiny-param', loopRunId: out.results[0].runId });
    expect(ls[4]).toMatchObject({ ok: true, iterations: 2, normalizedScore: out.results[0].normalizedScore });
    const plain = await cli(['dashboard', out.runId, '--db', db]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`task system/tiny-param: started (loop run ${out.results[0].runId})`);
    expect(plain.stdout).toMatch(/task done: system\/tiny-param (success|miss), normalized/);
    expect(plain.stdout).toContain(`run ${out.runId} completed`);
  }, 120_000);

  it('budget bench --events: policy-start/tick/end agree with the stored result; the dashboard follows it', async () => {
    const file = path.join(dir, 'bench.ndjson');
    const r = await cli(['budget', 'bench', '--trials', '8', '--policy', 'naive,affine', '--db', db, '--events', file, '--metrics-port', '0', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; policies: { policy: string; violations: number; trials: number }[] };
    const ls = lines(file);
    expect(ls[0]).toMatchObject({ type: 'run-start', kind: 'budget-bench', total: 2, simulated: true, runId: out.runId });
    expect(ls.some((e) => e.type === 'message' && /Prometheus metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(String(e.text)))).toBe(true);
    expect(ls.filter((e) => e.type === 'policy-start').map((e) => e.policy)).toEqual(['naive', 'affine']);
    for (const p of out.policies) expect(ls.find((e) => e.type === 'policy-end' && e.policy === p.policy)).toMatchObject({ violations: p.violations, trials: p.trials });
    for (const t of ls.filter((e) => e.type === 'policy-tick')) expect(Number(t.trialsDone)).toBeGreaterThan(0);
    expect(ls[ls.length - 1]).toMatchObject({ type: 'run-end', status: 'completed' });
    const plain = await cli(['dashboard', out.runId, '--db', db]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('[SIMULATED]');
    expect(plain.stdout.match(/^policy done: /gm)?.length).toBe(2);
  }, 120_000);
});
