/**
 * Tuning tasks whose correct outputs legitimately differ (issue 13): the timed run's output is an
 * invariant a harness process that never runs the candidate's code computes (a digest of the rows
 * read back, of what the chunks really decompress to), compared with the baseline's on the same
 * seed. A do-nothing candidate that fools the old in-process checks is caught at the timed size;
 * an honest, different candidate passes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseSandbox, evaluate, findBwrap, harnessHashes, loadTask, pairedBaseline, prepareWorkspaceOwner, resolveTaskDir, runStep, taskLimits, taskSandboxSpec, Workspace, type Evaluation, type Task } from '../../src/loop/index.js';

const sandbox = chooseSandbox(findBwrap() === null);
const cleanup: Workspace[] = [];
afterAll(() => cleanup.forEach((w) => w.remove()));

/** Evaluates `files` (+ params) on `task` beside its built baseline, on the timed input. */
async function evalWith(task: Task, files: Record<string, string>, params?: Record<string, number | string>): Promise<Evaluation> {
  const hasParams = Object.keys(task.params).length > 0;
  const harness = harnessHashes(task.environmentDir, task.editable, hasParams);
  const bws = Workspace.create(task.environmentDir);
  cleanup.push(bws);
  prepareWorkspaceOwner(bws.dir, sandbox);
  const b = await runStep(task.build!, bws.dir, { phase: 'build', sandbox, limits: taskLimits(task) });
  expect(b.failure).toBeNull();
  const pair = pairedBaseline(task, bws.dir, sandbox, () => taskLimits(task), taskSandboxSpec(task));
  const ws = Workspace.create(task.environmentDir);
  try {
    ws.apply({ files, params }, task.editable);
    prepareWorkspaceOwner(ws.dir, sandbox);
    return await evaluate(task, ws, { sandbox, harness, seed: 5, warmup: 0, repeats: 2, pair });
  } finally {
    ws.remove();
  }
}

describe('timed outputs of tuning tasks', () => {
  it('every shipped agentdyno task declares a timed_output (none is "not self-verifying")', () => {
    const root = path.resolve('tasks');
    const dirs = fs.readdirSync(root).flatMap((d) => fs.readdirSync(path.join(root, d)).map((t) => path.join(root, d, t)));
    const missing = dirs.map((d) => loadTask(d)).filter((t) => t.kind === 'agentdyno' && !t.timedOutput).map((t) => t.id);
    expect(missing).toEqual([]);
  });

  it('sqlite-insert: a loader that fakes the rows at the timed size is wrong_answer; an honest fast one is not', async () => {
    const task = loadTask(resolveTaskDir('system/sqlite-insert'));
    const fake = [
      'import sqlite3',
      'def load(db_path, rows, params):',
      '    conn = sqlite3.connect(db_path)',
      '    if len(rows) == 4000:  # the timed size: 4000 dummy rows in one statement (the row count still matches)',
      '        conn.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000) INSERT INTO events SELECT i, 0, \'view\', 0, \'\' FROM c")',
      '    else:',
      '        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)',
      '    conn.commit()',
      '    conn.close()',
      '',
    ].join('\n');
    const e = await evalWith(task, { 'loader.py': fake });
    expect(e.steps.find((s) => s.phase === 'check')?.failure ?? null).toBeNull(); // the checks' sizes pass
    expect(e.status).toBe('wrong_answer');
    expect(e.reason).toMatch(/timed run's own output is wrong/);
    const honest = fake.replace('len(rows) == 4000', 'False');
    const h = await evalWith(task, { 'loader.py': honest });
    expect(h.status, h.reason ?? '').not.toBe('wrong_answer');
    expect(h.verified).toBe(true);
  }, 120_000);

  it('compress-tune: a codec that patches the harness to skip compression is wrong_answer; another codec is not', async () => {
    const task = loadTask(resolveTaskDir('system/compress-tune'));
    // Fools the in-process round trip: compress() returns nothing, decompress() the cached original.
    const fake = [
      'import sys',
      '_h = sys.modules["__main__"]',
      '_order = []',
      'def choose(chunk):',
      '    _h.compress = lambda spec, data: (_order.append(data), b"")[1]',
      '    _h.decompress = lambda spec, blob: _order.pop(0)',
      '    return ("raw",)',
      '',
    ].join('\n');
    const e = await evalWith(task, { 'codec.py': fake });
    expect(e.steps.find((s) => s.phase === 'check')?.failure ?? null).toBeNull(); // the old check is fooled
    expect(e.status).toBe('wrong_answer');
    expect(e.reason).toMatch(/timed run's own output is wrong/);
    const h = await evalWith(task, {}, { codec: 'zlib', level: 1 });
    expect(h.status, h.reason ?? '').not.toBe('wrong_answer');
    expect(h.verified).toBe(true);
  }, 120_000);
});
