import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBwrap, loadTask, prepareWorkspaceOwner, runLoop, runStep, runVerifier, ScriptedAgent, validateTask, Workspace, type ScriptStep } from '../../src/loop/index.js';

const FX = path.resolve('test/fixtures/loop/harbor/prime_count_c');
const hasBwrap = findBwrap() !== null;
// The sieve from solution/solve.sh, proposed as a plain file edit.
const sieve = fs.readFileSync(path.join(FX, 'solution/solve.sh'), 'utf8').split("<<'C'\n")[1].split('\nC\n')[0];

describe.skipIf(!hasBwrap)('Harbor tasks under bwrap (/app, /tests, /logs)', () => {
  it('runs the loop: the verifier fails a broken build and a modified build file with its own reasons, and the sieve improves', async () => {
    const steps: ScriptStep[] = [
      { files: { 'primes.c': 'this is not C' }, tokens: 10 },
      { files: { 'Makefile': 'primes:\n\tcc -O3 -o primes primes.c\n' }, tokens: 10 },
      { files: { 'Makefile': fs.readFileSync(path.join(FX, 'environment/Makefile'), 'utf8'), 'primes.c': sieve }, tokens: 10 },
      { stop: true },
    ];
    const agent = new ScriptedAgent(steps);
    const res = await runLoop({ task: loadTask(FX), agent, sandbox: 'bwrap', budgets: { tokens: 1000, wallSec: 120, iterations: 10 } });
    expect(res.baseline.status).toBe('ok');
    expect(res.baseline.measured?.n).toBe(3);
    expect(res.failureCounts).toEqual({ build_error: 1, harness_modified: 1 });
    expect(res.bestIteration).toBe(3);
    expect(res.success).toBe(true);
    expect(res.reward).toBeGreaterThan(0);
    // The agent saw the verifier's own reasons and the note about what guards the build file.
    expect(agent.seen[1].feedback).toContain('verifier reason: build_failed');
    expect(agent.seen[2].feedback).toContain('verifier reason: build_file_modified');
    expect(agent.seen[2].feedback).toContain('guards its build files itself');
    expect(agent.seen[3].feedback).toMatch(/IMPROVED beyond noise/);
  }, 60_000);

  it('keeps the verifier\'s reward/speedup apart from our measurement', async () => {
    const seen: { status: string; verifier?: unknown; median?: number }[] = [];
    await runLoop({
      task: loadTask(FX),
      agent: new ScriptedAgent([{ files: { 'primes.c': sieve } }, { stop: true }]),
      sandbox: 'bwrap',
      budgets: { tokens: 0, wallSec: 60, iterations: 2 },
      onIteration: (r) => seen.push({ status: r.status, verifier: r.evaluation?.verifier, median: r.measurement?.median }),
    });
    const v = seen[0].verifier as { runs: { metric: number; speedup: number }[]; reward: number; speedup: number; reason: null };
    expect(seen[0].status).toBe('ok');
    expect(v.runs).toHaveLength(3);
    expect(v.reason).toBeNull();
    expect(v.reward).toBeGreaterThan(0);
    expect(v.speedup).toBeGreaterThan(1);
    expect(seen[0].median).toBe([...v.runs.map((r) => r.metric)].sort((a, b) => a - b)[1]);
  }, 60_000);

  it('tasks validate: environment passes, solve.sh (editing /app) passes and beats it, no wrong solution to check', async () => {
    const v = await validateTask(FX, 'bwrap');
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.kind).toBe('harbor');
    expect(v.baseline?.status).toBe('ok');
    expect(v.reference?.beatsBaseline).toBe(true);
    expect(v.verifier?.referenceReward).toBeGreaterThan(0);
    expect(v.notes?.join('\n')).toContain('no wrong solution to check');
  }, 60_000);

  // "Our tasks also run under that harness": puzzle/shop-schedule's verifier, run the way Harbor runs it.
  it('one of our tasks\' tests/test.sh runs Harbor-style and writes a valid reward.json (0 for the baseline, > 0 after solve.sh)', async () => {
    const dir = path.resolve('tasks/puzzle/shop-schedule');
    const ws = Workspace.create(path.join(dir, 'environment'));
    try {
      prepareWorkspaceOwner(ws.dir, 'bwrap');
      const base = await runVerifier(path.join(dir, 'tests'), ws.dir, 'bwrap', { wallSec: 60 });
      expect(base.failure).toBeNull();
      expect(base.reward).toMatchObject({ reward: 0, correctness: true, metric: 705 });
      fs.copyFileSync(path.join(dir, 'solution/solve.sh'), path.join(ws.dir, 'solve.sh'));
      prepareWorkspaceOwner(ws.dir, 'bwrap');
      expect((await runStep('sh ./solve.sh', ws.dir, { phase: 'solution', sandbox: 'bwrap' })).exitCode).toBe(0);
      const after = await runVerifier(path.join(dir, 'tests'), ws.dir, 'bwrap', { wallSec: 60 });
      expect(after.failure).toBeNull();
      expect(after.reward?.reward).toBeGreaterThan(0);
      expect(after.reward?.speedup).toBeGreaterThan(1);
    } finally {
      ws.remove();
    }
  }, 60_000);
});

describe('Harbor verifier without bwrap', () => {
  it('runs a verifier that names no /app with cwd = workspace and LOGS_DIR set', async () => {
    const dir = path.resolve('tasks/puzzle/shop-schedule');
    const ws = Workspace.create(path.join(dir, 'environment'));
    try {
      const r = await runVerifier(path.join(dir, 'tests'), ws.dir, 'none (unsafe)', { wallSec: 60 });
      expect(r.failure).toBeNull();
      expect(r.reward).toMatchObject({ reward: 0, correctness: true, metric: 705 });
    } finally {
      ws.remove();
    }
  }, 60_000);
});
