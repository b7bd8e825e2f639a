import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAINS, findTaskDirs, loadTask, validateTask, type Task } from '../../src/loop/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../tasks');
const dirs = findTaskDirs(ROOT);
const tasks: Task[] = dirs.map((d) => loadTask(d));

describe('task suite (tasks/)', () => {
  it('has at least 12 tasks covering all 4 domains', () => {
    expect(tasks.length).toBeGreaterThanOrEqual(12);
    expect(new Set(tasks.map((t) => t.domain))).toEqual(new Set(DOMAINS));
    expect(tasks.filter((t) => t.domain === 'kernel').length).toBeGreaterThanOrEqual(5);
    expect(tasks.filter((t) => t.domain === 'system').length).toBeGreaterThanOrEqual(3);
  });

  it('has a CUDA kernel task that declares the gpu requirement', () => {
    const cuda = tasks.filter((t) => t.requires.includes('gpu'));
    expect(cuda.length).toBeGreaterThanOrEqual(1);
    for (const t of cuda) expect(t.environment.gpus).toBeGreaterThanOrEqual(1);
  });

  it.each(dirs.map((d) => [path.relative(ROOT, d), d]))('%s has instruction, environment, verifier and solution', (_id, dir) => {
    const t = loadTask(dir);
    expect(t.id).toBe(_id);
    expect(t.instruction.trim().length).toBeGreaterThan(50);
    expect(fs.readdirSync(t.environmentDir).length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'tests', 'test.sh'))).toBe(true);
    expect(fs.existsSync(path.join(t.solutionDir, 'solve.sh'))).toBe(true);
    expect(t.editable.length).toBeGreaterThan(0);
    if (t.kind === 'harbor') {
      // AutoLab layout as-is: no `measured` fields, the verifier writes /logs/verifier/reward.json itself.
      expect(fs.readFileSync(path.join(dir, 'tests', 'test.sh'), 'utf8')).toMatch(/\/logs\/verifier\/reward\.json/);
      return;
    }
    // Every editable glob names something the agent starts with (or params.json, written by proposals).
    for (const g of t.editable) if (g !== 'params.json') expect(fs.existsSync(path.join(t.environmentDir, g)), `${t.id}: ${g}`).toBe(true);
    expect(t.baseline.measured, `${t.id}: baseline.measured says how it was measured`).toBeTruthy();
    expect(t.reference.measured, `${t.id}: reference.measured says how it was measured`).toBeTruthy();
    // The verifier writes reward.json under $LOGS_DIR/verifier with the AutoLab fields.
    const verifier = fs.readFileSync(path.join(dir, 'tests', 'test.sh'), 'utf8');
    expect(verifier).toMatch(/LOGS_DIR/);
    expect(verifier).toMatch(/reward\.json/);
    expect(t.measure).toBeTruthy();
    expect(t.check).toBeTruthy();
  });

  it('model tasks score linearly, the others by log-speedup', () => {
    for (const t of tasks) expect(t.scoring).toBe(t.domain === 'model' ? 'linear' : 'log-speedup');
  });

  // One cheap task end to end (deterministic metric, ~1 s): baseline passes, solve.sh beats it,
  // wrong.sh fails the check. Runs without bubblewrap so the test works in any CI container.
  it('validates puzzle/shop-schedule end to end', async () => {
    const v = await validateTask(path.join(ROOT, 'puzzle', 'shop-schedule'), 'none (unsafe)');
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    // A fresh instance every timed repeat (AGENTDYNO_SEED): the costs vary by instance; the schedule
    // is scored by a process without solver.py and its output compared with the baseline's.
    expect(v.baseline!.median).toBeGreaterThan(v.reference!.median);
    expect(v.reference?.verified).toBe(true);
    expect(v.reference?.beatsBaseline).toBe(true);
    expect(v.wrong?.status).toBe('wrong_answer');
  }, 60_000);
});
