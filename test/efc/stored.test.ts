import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEpisode, scoreEpisode, scriptFor } from '../../src/efc/index.js';
import { findBwrap, loadTask, resolveTaskDir, runTask } from '../../src/loop/index.js';
import { openStore } from '../../src/store/index.js';

// Real loop runs (tiny iteration caps) stored in an in-memory store, then scored from the store.
const store = openStore(':memory:');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efc-test-'));
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Real loop runs need the sandbox; without bubblewrap they are skipped and named by test/setup/sandbox-report.ts.
const hasBwrap = findBwrap() !== null;

describe.skipIf(!hasBwrap)('EFC from stored loop runs', () => {
  it('terse feedback scores lower informativeness than rich on the same search', async () => {
    const task = loadTask(resolveTaskDir('kernel/matmul-c'));
    const run = (feedback: 'rich' | 'terse') => runTask(task, { agent: { kind: 'search', strategy: 'grid' }, budgets: { iterations: 2 }, feedback, store, resultsDir: tmp });
    const rich = scoreEpisode(loadEpisode(store, (await run('rich')).runId));
    const terse = scoreEpisode(loadEpisode(store, (await run('terse')).runId));
    expect(rich.events.length).toBeGreaterThan(0);
    expect(rich.feedbackMode).toBe('rich');
    const measI = (s: typeof rich) => s.events.filter((e) => e.kind === 'measurement').map((e) => e.informativeness);
    expect(Math.min(...measI(rich))).toBe(1);
    expect(Math.max(...measI(terse))).toBeLessThan(1);
    expect(terse.axisMeans.informativeness).toBeLessThan(rich.axisMeans.informativeness);
    expect(rich.rawCompute.toolCalls).toBe(2);
  }, 120_000);

  it('a retried broken edit is discounted and its failure scores zero retention', async () => {
    const task = loadTask(resolveTaskDir('puzzle/collatz-c'));
    const broken = { 'solve.c': 'this is not C' };
    const script = path.join(tmp, 'script.json');
    fs.writeFileSync(script, JSON.stringify([{ files: broken }, { files: broken }, { stop: true }]));
    const r = await runTask(task, { agent: { kind: 'scripted', script }, budgets: { iterations: 3 }, store, resultsDir: tmp });
    const s = scoreEpisode(loadEpisode(store, r.runId));
    const first = s.events.filter((e) => e.iteration === 1);
    const second = s.events.filter((e) => e.iteration === 2);
    expect(first.find((e) => e.kind === 'build_output')!.retention).toBe(0);
    expect(second.every((e) => e.retryIndex === 1)).toBe(true);
    // The second failure repeats the first word for word: redundant.
    expect(second.find((e) => e.kind === 'build_output')!.nonRedundancy).toBeLessThan(0.1);
  }, 120_000);

});

describe('EFC scripts', () => {
  it('builds seeded scripts that end with the reference edit and a stop', () => {
    const steps = scriptFor({ 'a.c': 'ref' }, { 'a.c': 'wrong' }, 4);
    expect(steps.at(-1)).toMatchObject({ stop: true });
    expect(steps.at(-2)).toMatchObject({ files: { 'a.c': 'ref' } });
    expect(scriptFor({ 'a.c': 'ref' }, null, 4)).toEqual(scriptFor({ 'a.c': 'ref' }, null, 4));
  });
});
