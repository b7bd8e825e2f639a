/**
 * `budget bench --workload trajectory:FILE`: every trial replays the fan-out shape of an imported
 * session with parallel sub-agents (test/fixtures/importers/weka-parallel-subagents.json: a main
 * agent that spawns two sub-agents at once; HAND-MADE numbers in weka's real layout, see the
 * fixtures README), under every policy, over HTTP against the simulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planTrials, runBudgetBench, workloadsFromTrajectories } from '../../src/budget/index.js';
import { isAgentdynoError } from '../../src/core/index.js';
import { importFiles, trajectoriesToJsonl } from '../../src/trajectory/index.js';

const FIX = path.resolve(__dirname, '../fixtures/importers');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-bench-traj-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function imported(format: string, files: string[], name: string): string {
  const out = path.join(dir, name);
  fs.writeFileSync(out, trajectoriesToJsonl(importFiles(format, files).trajectories));
  return out;
}
const parallel = imported('weka', [path.join(FIX, 'weka-parallel-subagents.json')], 'weka-parallel.jsonl');

describe('budget bench on a recorded fan-out shape', () => {
  it('every trial keeps the recorded shape (2 parallel sub-agents after the first turn); sizes vary per trial', () => {
    const { trajectories } = importFiles('weka', [path.join(FIX, 'weka-parallel-subagents.json')]);
    const [w] = workloadsFromTrajectories(trajectories);
    expect(w.agents).toBe(3);
    expect(w.root.children).toHaveLength(2);
    const plans = planTrials({ trials: 30, seed: 5, faults: ['none'], workloads: [w] });
    for (const p of plans) {
      expect(p.workload.id).toBe(w.id);
      expect(p.workload.root.children.map((c) => c.id)).toEqual(w.root.children.map((c) => c.id));
      expect(p.workload.root.spawnAfter).toBe(w.root.spawnAfter);
      expect(p.workload.root.children.map((c) => c.turns.length)).toEqual(w.root.children.map((c) => c.turns.length));
    }
    expect(new Set(plans.map((p) => p.workload.demandTokens)).size).toBeGreaterThan(10);
  });

  it('naive / static / affine / adaptive run on it; the affine policies never overrun except by the server', async () => {
    const r = await runBudgetBench({ policies: 'naive,static,affine,adaptive', trials: 28, seed: 3, workload: `trajectory:${parallel}`, db: null, concurrency: 8 });
    expect(r.workloads.generated).toBe(0);
    expect(r.workloads.fromTrajectories).toBe(28);
    expect(r.workloads.shapes).toEqual([expect.objectContaining({ file: parallel, agents: 3, width: 2, spawnAfterTurn: 1, depth: 1, turnsPerAgent: [2, 2, 2] })]);
    expect(r.notes.join(' ')).toMatch(/replays the recorded fan-out shape/);
    const by = Object.fromEntries(r.policies.map((p) => [p.policy, p]));
    for (const p of r.policies) expect(p.trials).toBe(28);
    for (const name of ['affine', 'adaptive'] as const) {
      expect(by[name].violationsExcludingServerFaults).toBe(0);
      expect(by[name].conservationFailures).toBe(0);
      expect(by[name].completion).toBeGreaterThan(0);
    }
    // The two sub-agents run at once: naive check-then-spend overruns on this shape.
    expect(by.naive.violations).toBeGreaterThan(0);
    expect(by.naive.byCategory.check_then_spend_race ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it('a trajectory without sub-agents, or a bad --workload, is a usage error', async () => {
    const flat = imported('weka', [path.join(FIX, 'weka-sample-trace.json')], 'flat.jsonl');
    for (const workload of [`trajectory:${flat}`, 'trajectory:', 'recorded']) {
      const e = await runBudgetBench({ policies: 'affine', trials: 1, seed: 1, workload, db: null }).catch((x: unknown) => x);
      expect(isAgentdynoError(e) && e.code, String(e)).toBe('E_USAGE');
    }
  }, 60_000);
});
