/** `agentdyno budget bench` end to end: workloads, targets, trials, store. The command only parses flags. */
import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError, clockAnchor, monotonicClock, newRunId } from '../core/index.js';
import { FAULTS, POLICIES, runBench, type FaultName, type PolicySummary, type TrialRecord } from './bench.js';
import { startBenchTargets } from './http-model.js';
import type { PolicyName } from './policies.js';
import { workloadsFromTrajectories, type Workload } from './workload.js';

export interface BudgetBenchConfig {
  policies: string;
  trials: number;
  seed: number;
  faults?: string;
  target?: string;
  model?: string;
  budgetShare?: number;
  concurrency?: number;
  /** Trajectory files/folders whose spawn steps become workloads (default: bundled `trajectories/`). */
  trajectories?: string[];
  /** `generated` (default: generated trees, every third trial a bundled spawn tree) or `trajectory:FILE[,FILE]`: only the fan-out shapes recorded there. */
  workload?: string;
  /** Results database; null = do not store. */
  db?: string | null;
  onProgress?: (done: number, total: number) => void;
  /** Store the run under this id (default a new one): lets a caller open feeds on it first. */
  runId?: string;
  /** Live progress for feeds and the dashboard: fired once the run is stored (runId null with db: null), per policy and per trial. */
  on?: {
    start?: (runId: string | null, run: { simulated: boolean; target: string; policies: PolicyName[]; trials: number }) => void;
    policyStart?: (policy: PolicyName, index: number) => void;
    trial?: (r: TrialRecord, done: number, total: number) => void;
    policyEnd?: (s: PolicySummary) => void;
  };
}

export interface BudgetBenchResult {
  runId: string | null;
  simulated: boolean;
  target: string;
  policies: PolicySummary[];
  workloads: { generated: number; fromTrajectories: number; trajectoryNote: string | null; shapes?: WorkloadShape[] };
  faults: FaultName[];
  unsupportedFaults: FaultName[];
  notes: string[];
  wallS: number;
}

/** A recorded fan-out shape as the bench replays it. */
export interface WorkloadShape {
  id: string;
  file: string;
  agents: number;
  /** Sub-agents the root spawns at once (parallel), and after which of its turns. */
  width: number;
  spawnAfterTurn: number;
  depth: number;
  turnsPerAgent: number[];
  /** Token demand of the scaled tree (before per-trial jitter). */
  demandTokens: number;
}

/** `trajectory:FILE[,FILE]`: every trajectory there with a spawn step becomes a workload, nothing else. */
async function recordedWorkloads(spec: string): Promise<{ ws: Workload[]; shapes: WorkloadShape[] }> {
  const files = spec.slice('trajectory:'.length).split(',').map((s) => s.trim()).filter(Boolean);
  if (!files.length) throw new AgentdynoError('--workload trajectory: needs a file.', { code: 'E_USAGE', where: '--workload', hint: 'Example: --workload trajectory:session.jsonl (an agentdyno trajectory file, e.g. from agentdyno import weka|claude-code FILE --out session.jsonl).' });
  const { loadTrajectories } = await import('../trajectory/index.js');
  const ws: Workload[] = [];
  const shapes: WorkloadShape[] = [];
  for (const file of files) {
    for (const l of loadTrajectories([file])) {
      for (const w of workloadsFromTrajectories([l.trajectory])) {
        const turns: number[] = [];
        const walk = (n: Workload['root']) => { turns.push(n.turns.length); n.children.forEach(walk); };
        walk(w.root);
        ws.push(w);
        shapes.push({ id: w.id, file, agents: w.agents, width: w.width, spawnAfterTurn: w.root.spawnAfter, depth: w.depth, turnsPerAgent: turns, demandTokens: w.demandTokens });
      }
    }
  }
  if (!ws.length) throw new AgentdynoError(`no trajectory in ${files.join(', ')} spawns a sub-agent, so there is no fan-out shape to replay.`, { code: 'E_USAGE', where: '--workload', hint: 'Give a session with sub-agents (a spawn step), e.g. one imported from Claude Code or weka traces with --include-subagents.' });
  return { ws, shapes };
}

export function parseList<T extends string>(raw: string, allowed: readonly T[], flag: string): T[] {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new AgentdynoError(`${flag} is empty.`, { code: 'E_USAGE', where: flag, hint: `Use a comma-separated list of: ${allowed.join(', ')}.` });
  for (const it of items) {
    if (!allowed.includes(it as T)) throw new AgentdynoError(`unknown value "${it}" in ${flag}.`, { code: 'E_USAGE', where: flag, hint: `Use a comma-separated list of: ${allowed.join(', ')}.` });
  }
  return items as T[];
}

async function trajectoryWorkloads(paths: string[] | undefined): Promise<{ ws: Workload[]; note: string | null }> {
  const targets = paths ?? [path.resolve('trajectories')];
  if (!targets.some((p) => fs.existsSync(p))) return { ws: [], note: `no trajectories at ${targets.join(', ')}: generated trees only` };
  try {
    const mod = await import('../trajectory/index.js');
    const loaded = mod.loadTrajectories(targets);
    const ws = workloadsFromTrajectories(loaded.map((l) => l.trajectory));
    return { ws, note: ws.length ? null : 'the trajectories have no spawn steps: generated trees only' };
  } catch (e) {
    // Another module's loader may be unfinished or the files invalid: the bench still runs.
    return { ws: [], note: `trajectories skipped (${(e as Error).message.split('\n')[0]})` };
  }
}

export async function runBudgetBench(cfg: BudgetBenchConfig): Promise<BudgetBenchResult> {
  const policies = parseList<PolicyName>(cfg.policies, POLICIES, '--policy');
  let faults = parseList<FaultName>(cfg.faults ?? FAULTS.join(','), FAULTS, '--faults');
  if (!Number.isInteger(cfg.trials) || cfg.trials < 1) throw new AgentdynoError(`--trials must be a positive integer, got ${cfg.trials}.`, { code: 'E_USAGE', where: '--trials' });
  if (cfg.budgetShare !== undefined && !(cfg.budgetShare > 0 && cfg.budgetShare <= 2)) throw new AgentdynoError(`--budget-share must be in (0, 2], got ${cfg.budgetShare}.`, { code: 'E_USAGE', where: '--budget-share' });
  const t0 = monotonicClock.nowMs();
  const wspec = cfg.workload ?? 'generated';
  if (wspec !== 'generated' && !wspec.startsWith('trajectory:')) throw new AgentdynoError(`unknown --workload "${wspec}".`, { code: 'E_USAGE', where: '--workload', hint: 'Use generated or trajectory:FILE[,FILE].' });
  const recorded = wspec === 'generated' ? null : await recordedWorkloads(wspec);
  const { ws, note } = recorded ? { ws: [] as Workload[], note: null } : await trajectoryWorkloads(cfg.trajectories);
  const targets = await startBenchTargets({ target: cfg.target, model: cfg.model, seed: cfg.seed, faults });
  const notes: string[] = [];
  if (targets.simulated) notes.push('Simulated server (profile small-budget-bench, illustrative): token counts are the simulator\'s (words + chat template); the judge counts what each call really consumed with the same rule.');
  else notes.push('Real target: the judge can only use the server\'s reported usage (output words when usage is missing); server-side faults cannot be injected.');
  notes.push('tokenizer_mismatch: the client-side count is scaled by 0.85 (a stand-in for a server tokenizer that counts 18% more than the client\'s).');
  if (targets.unsupported.length) {
    notes.push(`skipped faults that need the simulator: ${targets.unsupported.join(', ')}`);
    faults = faults.filter((f) => !targets.unsupported.includes(f));
    if (!faults.length) faults = ['none'];
  }
  let store: import('../store/index.js').Store | null = null;
  let runId: string | null = null;
  const config = { policies, trials: cfg.trials, seed: cfg.seed, faults, target: cfg.target ?? 'sim', budgetShare: cfg.budgetShare ?? 0.6, workload: wspec };
  if (recorded) notes.push(`workload ${wspec}: every trial replays the recorded fan-out shape (agents, parallel spawn, turns per agent); token counts scaled down (/200, clamped) and jittered +-25% per trial, so sizes are illustrative and the shape is the recording's.`);
  if (cfg.db !== null) {
    const { openStore } = await import('../store/index.js');
    store = openStore(cfg.db);
    runId = cfg.runId ?? newRunId('budget');
    store.createRun({ id: runId, kind: 'budget-bench', config, target: { url: cfg.target ?? Object.values(targets.urls)[0] ?? null, simulated: targets.simulated }, clockAnchor: clockAnchor() });
  }
  let done = 0;
  const total = cfg.trials * policies.length;
  const targetText = cfg.target ?? 'sim (in-process worker threads)';
  try {
    cfg.on?.start?.(runId, { simulated: targets.simulated, target: targetText, policies, trials: cfg.trials });
    const { summaries, records } = await runBench({
      policies, trials: cfg.trials, seed: cfg.seed, faults, budgetShare: cfg.budgetShare, extraWorkloads: ws, workloads: recorded?.ws,
      concurrency: cfg.concurrency ?? 32, clock: monotonicClock, modelFor: (f) => targets.modelFor(f),
      onTrial: (rec) => {
        done++;
        cfg.onProgress?.(done, total);
        cfg.on?.trial?.(rec, done, total);
      },
      onPolicyStart: cfg.on?.policyStart,
      onPolicyEnd: cfg.on?.policyEnd,
    });
    const result: BudgetBenchResult = {
      runId, simulated: targets.simulated, target: targetText, policies: summaries,
      workloads: recorded
        ? { generated: 0, fromTrajectories: cfg.trials, trajectoryNote: null, shapes: recorded.shapes }
        : { generated: cfg.trials - (ws.length ? Math.floor((cfg.trials + 1) / 3) : 0), fromTrajectories: ws.length ? Math.floor((cfg.trials + 1) / 3) : 0, trajectoryNote: note },
      faults, unsupportedFaults: targets.unsupported, notes, wallS: Math.round(monotonicClock.nowMs() - t0) / 1000,
    };
    if (store && runId) {
      const rows = records.map((r, i) => ({
        seq: i + 1, kind: 'trial', handle: r.outcome.policy, amount: r.outcome.trueSpentTokens,
        detail: { trial: r.trial, fault: r.fault, workload: r.workload, budgetTokens: r.outcome.budgetTokens, violation: r.violation, overshootPct: r.overshootPct, turnsRun: r.outcome.turnsRun, turnsPlanned: r.outcome.turnsPlanned },
      }));
      store.insertBudgetEvents(runId, rows);
      store.finishRun(runId, 'completed', result);
    }
    return result;
  } catch (e) {
    if (store && runId) store.finishRun(runId, 'failed');
    throw e;
  } finally {
    await targets.close();
    store?.close();
  }
}
