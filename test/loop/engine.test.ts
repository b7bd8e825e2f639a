import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseSandbox, loadTask, loopFailureFlags, resolveTaskDir, runLoop, ScriptedAgent, SearchAgent, StoreRecorder, type ScriptStep } from '../../src/loop/index.js';
import { openStore } from '../../src/store/index.js';

const task = loadTask(resolveTaskDir('puzzle/collatz-c'));
const reference = fs.readFileSync('tasks/puzzle/collatz-c/solution/solve.sh', 'utf8').split("<<'C'\n")[1].split('\nC\n')[0];
const sandbox = chooseSandbox(true);

describe('loop engine (scripted agent, real sandbox)', () => {
  it('records bad proposals with their failure class, goes on, and finds the improvement', async () => {
    const steps: ScriptStep[] = [
      { files: { 'solve.c': 'this is not C' }, tokens: 100 },
      { files: { 'solve.c': 'long longest_collatz(long l, long *len) { *len = 0; return 1; }' }, tokens: 100 },
      { files: { 'check.sh': 'exit 0' }, tokens: 100 },
      // Correct, but rewrites a harness file while it runs: must score 0 as harness_modified.
      { files: { 'solve.c': reference.replace('#include <stdlib.h>', '#include <stdlib.h>\n#include <stdio.h>').replace('if (limit <= 2)', 'FILE *hf = fopen("check.sh", "a"); if (hf) { fputs("#\\n", hf); fclose(hf); }\n  if (limit <= 2)') }, tokens: 100 },
      { files: { 'solve.c': 'long longest_collatz(long l, long *len) { for (;;) {} }' }, tokens: 100 },
      { files: { 'solve.c': reference }, tokens: 100, claimed: { value: 1.0 } },
      { stop: true },
    ];
    const agent = new ScriptedAgent(steps);
    const store = openStore(':memory:');
    store.createRun({ id: 'r1', kind: 'loop', config: {} });
    const res = await runLoop({ task, agent, sandbox, budgets: { tokens: 10_000, wallSec: 120, iterations: 10 }, limits: { wallSec: 5 }, recorder: new StoreRecorder(store, 'r1') });
    expect(res.failureCounts).toMatchObject({ build_error: 1, wrong_answer: 1, not_editable: 1, harness_modified: 1, timeout: 1 });
    expect(res.stopReason).toBe('agent');
    expect(res.bestIteration).toBe(6);
    expect(res.success).toBe(true);
    expect(res.normalizedScore).toBeGreaterThan(0);
    expect(res.iterations).toBe(6);
    expect(res.budgetUsed.tokens).toBe(600);
    expect(res.timeToFirstImprovement?.iteration).toBe(6);
    // The agent is told its remaining budget every turn, and sees what went wrong.
    expect(agent.seen[1].feedback).toMatch(/\[budget\] iteration 2 of 10; 9900 tokens/);
    expect(agent.seen[1].feedback).toContain('build FAILED (build_error');
    expect(agent.seen[3].feedback).toContain('not editable');
    expect(agent.seen[4].feedback).toContain('harness_modified');
    const its = store.db.prepare('SELECT iteration, status, detail_json FROM loop_iterations WHERE run_id = ? ORDER BY iteration').all('r1') as { iteration: number; status: string; detail_json: string }[];
    expect(its.map((r) => r.status)).toEqual(['build_error', 'wrong_answer', 'not_editable', 'harness_modified', 'timeout', 'ok', 'stop']);
    expect(JSON.parse(its[1].detail_json).feedbackShown).toBe(agent.seen[1].feedback);
    const ev = store.db.prepare('SELECT kind, detail_json FROM feedback_events WHERE run_id = ? AND iteration = 6').all('r1') as { kind: string; detail_json: string }[];
    const m = ev.find((e) => e.kind === 'measurement');
    expect(JSON.parse(m!.detail_json)).toMatchObject({ improved: true, repeats: 3, mode: 'rich', corrupted: false });
    store.close();
  }, 90_000);

  it('terse feedback hides numbers; search agent runs over declared params', async () => {
    const mm = loadTask(resolveTaskDir('kernel/matmul-c'));
    const agent = new SearchAgent(mm.params, 'grid');
    const seen: string[] = [];
    const res = await runLoop({ task: mm, agent, sandbox, budgets: { tokens: 0, wallSec: 120, iterations: 3 }, feedback: 'terse', onIteration: (r) => seen.push(r.feedbackShown) });
    expect(res.iterations).toBe(3);
    expect(res.stopReason).toBe('iterations');
    expect(seen[1]).toMatch(/measured: (better|not better)/);
    expect(seen[1]).not.toMatch(/CI/);
    expect(res.fastP?.n).toBe(3);
  }, 90_000);

  it('flags noProgressBurn when the budget runs out without an improvement, and stoppedEarly when the agent quits with most of it left', async () => {
    const wrong: ScriptStep = { files: { 'solve.c': 'long longest_collatz(long l, long *len) { *len = 0; return 1; }' }, tokens: 100 };
    const burn = await runLoop({ task, agent: new ScriptedAgent([wrong, wrong, wrong]), sandbox, budgets: { tokens: 10_000, wallSec: 120, iterations: 3 }, limits: { wallSec: 5 } });
    expect(burn.stopReason).toBe('iterations');
    expect(burn.success).toBe(false);
    expect(burn).toMatchObject({ noProgressBurn: true, stoppedEarly: false });
    const quit = await runLoop({ task, agent: new ScriptedAgent([wrong, { stop: true, reason: 'giving up' }]), sandbox, budgets: { tokens: 10_000, wallSec: 120, iterations: 10 }, limits: { wallSec: 5 } });
    expect(quit.stopReason).toBe('agent');
    expect(quit.agentStopReason).toBe('giving up');
    expect(burn.agentStopReason).toBeNull();
    expect(quit).toMatchObject({ noProgressBurn: false, stoppedEarly: true });
  }, 90_000);
});

describe('loopFailureFlags', () => {
  const base = { stopReason: 'iterations', budgetFraction: 1, normalizedScore: 0, improved: false, iterations: 5 };
  it('noProgressBurn: a budget limit hit without one improvement, not for a single iteration or a failed baseline', () => {
    expect(loopFailureFlags(base).noProgressBurn).toBe(true);
    expect(loopFailureFlags({ ...base, stopReason: 'tokens' }).noProgressBurn).toBe(true);
    expect(loopFailureFlags({ ...base, improved: true }).noProgressBurn).toBe(false);
    expect(loopFailureFlags({ ...base, iterations: 1 }).noProgressBurn).toBe(false);
    expect(loopFailureFlags({ ...base, stopReason: 'baseline_failed' }).noProgressBurn).toBe(false);
    expect(loopFailureFlags({ ...base, stopReason: 'agent' }).noProgressBurn).toBe(false);
  });
  it('stoppedEarly: the agent stops with over half the budget left and short of the reference', () => {
    const q = { ...base, stopReason: 'agent', budgetFraction: 0.2 };
    expect(loopFailureFlags(q).stoppedEarly).toBe(true);
    expect(loopFailureFlags({ ...q, budgetFraction: 0.6 }).stoppedEarly).toBe(false);
    expect(loopFailureFlags({ ...q, normalizedScore: 1 }).stoppedEarly).toBe(false);
    expect(loopFailureFlags({ ...q, stopReason: 'wall' }).stoppedEarly).toBe(false);
  });
});
