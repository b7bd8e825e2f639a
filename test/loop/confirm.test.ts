/**
 * `loop confirm` on real tasks: an implausible but genuine speedup (collatz-c's reference under a
 * lowered plausibility bound) is confirmed on fresh seeds; a forged timing claim (histogram-c kernel
 * rewriting the harness's value file, as in the hostile corpus) stays unconfirmed; the original
 * iteration is never rewritten; unknown run / iteration, a changed harness and a gone task are errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmIteration, findBwrap, runTask, loadTask, resolveTaskDir } from '../../src/loop/index.js';
import { openStore, type Store } from '../../src/store/index.js';

const unsafeNoSandbox = findBwrap() === null; // the sandbox is not what is tested here
const reference = fs.readFileSync('tasks/puzzle/collatz-c/solution/solve.sh', 'utf8').split("<<'C'\n")[1].split('\nC\n')[0];
let tmp: string;
let store: Store;
let taskCopy: string;
let forgedRun = '';

/** A loop run of `taskDir` with one scripted proposal; returns its id. */
async function runWith(taskDir: string, files: Record<string, string>): Promise<string> {
  const script = path.join(tmp, `script-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(script, JSON.stringify([{ files }, { stop: true }]));
  const r = await runTask(loadTask(taskDir), { agent: { kind: 'scripted', script }, budgets: { tokens: 0, wallSec: 120, iterations: 2 }, unsafeNoSandbox, store, resultsDir: tmp });
  return r.runId;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-confirm-test-'));
  store = openStore(path.join(tmp, 'a.db'));
  // collatz-c with a plausibility bound its reference (~15x) passes: the reference is unconfirmed.
  taskCopy = path.join(tmp, 'tasks', 'puzzle', 'collatz-c');
  fs.cpSync(resolveTaskDir('puzzle/collatz-c'), taskCopy, { recursive: true });
  const toml = path.join(taskCopy, 'task.toml');
  fs.writeFileSync(toml, fs.readFileSync(toml, 'utf8').replace(/plausible_speedup = 40/, 'plausible_speedup = 1.5'));
});

afterAll(() => {
  store?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('loop confirm', () => {
  it('confirms a genuine speedup beyond the bound on fresh seeds (outputs compared), stored as a new event', async () => {
    const runId = await runWith(taskCopy, { 'solve.c': reference });
    const before = store.getLoopIterations(runId).find((r) => r.iteration === 1)!;
    expect(before.status).toBe('unconfirmed');
    const r = await confirmIteration({ store, runId, repeats: 6, unsafeNoSandbox, seed: 99 }); // 6 pairs: the host-clock share needs a CI
    expect(r.iteration).toBe(1);
    expect(r.verified).toBe(true);
    expect(r.outcome, r.reasons.join('; ')).toBe('confirmed');
    expect(r.measurement!.paired!.speedup.ciLow).toBeGreaterThan(1.5);
    expect(r.measurement!.seeds!.length).toBe(1 + 6); // warm-up + repeats, all new
    const after = store.getLoopIterations(runId).find((x) => x.iteration === 1)!;
    expect(after).toEqual(before); // the original figures are untouched
    const ev = store.getLoopConfirmations(runId);
    expect(ev.map((e) => [e.seq, e.iteration, e.outcome])).toEqual([[1, 1, 'confirmed']]);
    expect((ev[0].detail as { seed: number }).seed).toBe(99);

    // The errors: unknown iteration, unknown run, a harness changed since the run, a task gone.
    await expect(confirmIteration({ store, runId, iteration: 7, unsafeNoSandbox })).rejects.toMatchObject({ code: 'E_USAGE_RANGE' });
    await expect(confirmIteration({ store, runId, iteration: 2, unsafeNoSandbox })).rejects.toMatchObject({ code: 'E_USAGE_RANGE' }); // the stop
    await expect(confirmIteration({ store, runId: 'loop-nope', unsafeNoSandbox })).rejects.toMatchObject({ code: 'E_RUN_NOT_FOUND' });
    const main = path.join(taskCopy, 'environment', 'main.c');
    fs.appendFileSync(main, '\n/* changed */\n');
    await expect(confirmIteration({ store, runId, unsafeNoSandbox })).rejects.toMatchObject({ code: 'E_TASK_INVALID' });
    fs.rmSync(taskCopy, { recursive: true, force: true });
    await expect(confirmIteration({ store, runId, unsafeNoSandbox, root: path.join(tmp, 'nowhere') })).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(store.getLoopConfirmations(runId)).toHaveLength(1);
  }, 120_000);

  it('a forged timing claim stays unconfirmed on re-measurement, never confirmed', async () => {
    const dir = resolveTaskDir('kernel/histogram-c');
    const base = fs.readFileSync(path.join(dir, 'environment', 'kernel.c'), 'utf8');
    // Rewrites the harness's value file at exit (the hostile corpus's forgery): a 0.001 ms claim.
    const forge = '#include <stdio.h>\n#include <stdlib.h>\nstatic void forge(void) { const char *v = getenv("AGENTDYNO_VALUE"); FILE *f = v ? fopen(v, "w") : 0; if (f) { fputs("{\\"value\\": 0.001}\\n", f); fclose(f); } }\n__attribute__((constructor)) static void reg(void) { atexit(forge); }\n';
    const runId = (forgedRun = await runWith(dir, { 'kernel.c': forge + base }));
    expect(store.getLoopIterations(runId).find((r) => r.iteration === 1)!.status).toBe('unconfirmed');
    const r = await confirmIteration({ store, runId, repeats: 4, unsafeNoSandbox });
    expect(r.outcome).toBe('unconfirmed');
    expect(r.reasons.length).toBeGreaterThan(0);
    expect(store.getLoopConfirmations(runId).map((e) => e.outcome)).toEqual(['unconfirmed']);
  }, 120_000);

  it.skipIf(!fs.existsSync('dist/commands/loop/confirm.js'))('the CLI: an unknown run and an unknown iteration exit with their codes', async () => {
    const cli = (...a: string[]) => execa('node', [path.resolve('bin/run.js'), 'loop', 'confirm', ...a, '--db', path.join(tmp, 'a.db'), '--json'], { reject: false, timeout: 60_000 });
    const nope = await cli('loop-nope');
    expect(nope.exitCode).toBe(6);
    expect(nope.stdout + nope.stderr).toContain('E_RUN_NOT_FOUND');
    if (!forgedRun) return; // the run above did not get stored
    const it9 = await cli(forgedRun, '--iteration', '9');
    expect(it9.exitCode).toBe(2);
    expect(it9.stdout + it9.stderr).toContain('E_USAGE_RANGE');
    // `results show` lists the confirmation beside the untouched iteration.
    const show = await execa('node', [path.resolve('bin/run.js'), 'results', 'show', forgedRun, '--db', path.join(tmp, 'a.db'), '--json'], { reject: false, timeout: 60_000 });
    expect(show.exitCode).toBe(0);
    const doc = JSON.parse(show.stdout) as { loopConfirmations: { outcome: string }[]; loopIterations: { status: string }[] };
    expect(doc.loopConfirmations.map((c) => c.outcome)).toEqual(['unconfirmed']);
    expect(doc.loopIterations[0].status).toBe('unconfirmed');
  }, 60_000);
});
