/**
 * `loop confirm`: a stored iteration re-measured on fresh seeds (DESIGN 6). An `unconfirmed` result
 * (implausible speedup, beyond the hardware limit, a claim the host clock did not see) never counts;
 * this rebuilds its candidate from the stored proposals and the baseline, each in a fresh sandboxed
 * workspace, measures them side by side with more repeats under the same integrity checks (harness
 * hashed before every repeat, timed outputs compared, host clock), and appends the outcome to the
 * run as its own event. The iteration's original figures are never rewritten.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError } from '../core/index.js';
import type { LoopConfirmationRow, LoopIterationRow, Store } from '../store/index.js';
import { loadTask, resolveTaskDir, type Task } from '../task/index.js';
import { evaluate, taskLimits, taskSandboxSpec, type Evaluation } from './executor.js';
import { assertHarborRunnable } from './harbor.js';
import type { MeasureStats } from './measure.js';
import { chooseSandbox, prepareWorkspaceOwner, type Limits, type SandboxMode } from './sandbox.js';
import { hostClockEvidence, pairedBaseline } from './timed.js';
import { harnessHashes, Workspace } from './workspace.js';

export type ConfirmOutcome = LoopConfirmationRow['outcome'];

export interface ConfirmOptions {
  store: Store;
  runId: string;
  /** Default: the run's last `unconfirmed` iteration. */
  iteration?: number;
  /** Timed repeats of the re-measurement (default: twice the task's, at least 10). */
  repeats?: number;
  /** Folder holding the tasks, for runs stored before the task folder was recorded. */
  root?: string;
  unsafeNoSandbox?: boolean;
  /** Seed of the re-measurement's inputs (default: a random one, stored with the outcome). */
  seed?: number;
  limits?: Partial<Limits>;
}

export interface ConfirmResult {
  runId: string;
  task: string;
  iteration: number;
  /** confirmed: every integrity check passed on fresh seeds; unconfirmed: still implausible; refuted: a check failed. */
  outcome: ConfirmOutcome;
  reasons: string[];
  /** The re-measurement's evaluation status. */
  status: Evaluation['status'];
  original: { status: string | null; metricValue: number | null; unconfirmed: string[] };
  measurement: MeasureStats | null;
  /** True when the timed outputs were compared with the baseline's on every repeat. */
  verified: boolean;
  seed: number;
  repeats: number;
  sandbox: SandboxMode;
  seq: number;
  at: string;
}

/** What `runTask` records in a loop run's config so a later confirm rebuilds the same task. */
export interface LoopRunTaskRecord {
  task: string;
  taskDir?: string;
  harness?: Record<string, string>;
}

/** The task's harness fingerprint as the loop saw it (params.json is editable when params are declared). */
export const taskHarness = (task: Task): Record<string, string> => harnessHashes(task.environmentDir, task.editable, Object.keys(task.params).length > 0);

/** Statuses whose proposal was refused before anything was applied (engine.ts). */
const NOT_APPLIED = new Set(['not_editable', 'invalid_proposal', 'agent_error', 'stop']);

interface Detail {
  proposal?: { kind?: string; files?: Record<string, string>; params?: Record<string, number | string> } | null;
  unconfirmed?: string[];
}

/** The candidate of iteration `it`: every applied proposal up to it, in order (the loop's working copy). */
export function candidateChanges(rows: readonly LoopIterationRow[], it: number): { files: Record<string, string>; params: Record<string, number | string> } {
  const files: Record<string, string> = {};
  let params: Record<string, number | string> = {};
  for (const r of [...rows].sort((a, b) => a.iteration - b.iteration)) {
    if (r.iteration > it || NOT_APPLIED.has(r.status ?? '')) continue;
    const p = (r.detail as Detail | null)?.proposal;
    if (p?.kind !== 'change') continue;
    Object.assign(files, p.files ?? {});
    if (p.params) params = { ...params, ...p.params };
  }
  return { files, params };
}

function pickIteration(runId: string, rows: readonly LoopIterationRow[], asked?: number): LoopIterationRow {
  if (asked !== undefined) {
    const row = rows.find((r) => r.iteration === asked);
    if (!row) throw new AgentdynoError(`run ${runId} has no iteration ${asked}.`, { code: 'E_USAGE_RANGE', where: '--iteration', hint: `Its iterations: ${rows.map((r) => r.iteration).join(', ') || 'none'} (agentdyno results show ${runId}).` });
    const p = (row.detail as Detail | null)?.proposal;
    if (NOT_APPLIED.has(row.status ?? '') || p?.kind !== 'change') throw new AgentdynoError(`iteration ${asked} of run ${runId} applied no proposal (status ${row.status}): there is nothing to re-measure.`, { code: 'E_USAGE_RANGE', where: '--iteration' });
    return row;
  }
  const un = rows.filter((r) => r.status === 'unconfirmed');
  if (!un.length) throw new AgentdynoError(`run ${runId} has no unconfirmed iteration.`, { code: 'E_USAGE', where: '--iteration', hint: 'Pass --iteration I to re-measure another one.' });
  return un[un.length - 1];
}

/** The task of a stored loop run, refused when its folder is gone or its harness changed since the run. */
function taskOfRun(runId: string, cfg: LoopRunTaskRecord, root?: string): Task {
  let dir = cfg.taskDir && fs.existsSync(path.join(cfg.taskDir, 'task.toml')) ? cfg.taskDir : null;
  if (!dir) {
    try {
      dir = resolveTaskDir(cfg.task, root);
    } catch {
      throw new AgentdynoError(`the task of run ${runId} (${cfg.task}) is gone${cfg.taskDir ? ` (it was at ${cfg.taskDir})` : ''}: its candidate cannot be rebuilt.`, { code: 'E_FILE_NOT_FOUND', where: cfg.taskDir ?? cfg.task, hint: 'Restore the task folder, or pass --root FOLDER holding it.' });
    }
  }
  const task = loadTask(dir);
  if (cfg.harness) {
    const now = taskHarness(task);
    const changed = [...new Set([...Object.keys(now), ...Object.keys(cfg.harness)])].filter((k) => now[k] !== cfg.harness![k]);
    if (changed.length) throw new AgentdynoError(`the harness of ${task.id} changed since run ${runId} (${changed.join(', ')}): a re-measurement would not test the same thing.`, { code: 'E_TASK_INVALID', where: task.dir, hint: 'Restore the task as it was for that run (git), then confirm again.' });
  }
  return task;
}

/** Re-measures one stored iteration beside a freshly built baseline and records the outcome. */
export async function confirmIteration(o: ConfirmOptions): Promise<ConfirmResult> {
  const run = o.store.requireRun(o.runId);
  if (run.kind !== 'loop') throw new AgentdynoError(`run ${o.runId} is a ${run.kind} run, not a loop run.`, { code: 'E_USAGE', where: 'RUN', hint: 'List loop runs with `agentdyno results list --kind loop`.' });
  const cfg = (run.config ?? {}) as LoopRunTaskRecord;
  const rows = o.store.getLoopIterations(o.runId);
  const row = pickIteration(o.runId, rows, o.iteration);
  if (!cfg.task) throw new AgentdynoError(`run ${o.runId} does not record its task.`, { code: 'E_RESULT_INVALID', where: o.runId });
  const task = taskOfRun(o.runId, cfg, o.root);
  const sandbox = chooseSandbox(o.unsafeNoSandbox ?? false);
  assertHarborRunnable(task, sandbox);
  const harness = taskHarness(task);
  const seed = o.seed ?? crypto.randomInt(1, 2 ** 31 - 1);
  const repeats = o.repeats ?? Math.max(10, 2 * task.repeats);
  const limits = taskLimits(task, o.limits);
  const change = candidateChanges(rows, row.iteration);
  const hasParams = Object.keys(task.params).length > 0;
  const fresh = (c: typeof change): Workspace => {
    const ws = Workspace.create(task.environmentDir, 'agentdyno-confirm-');
    ws.apply({ files: c.files, params: hasParams && Object.keys(c.params).length ? c.params : undefined }, task.editable);
    prepareWorkspaceOwner(ws.dir, sandbox);
    return ws;
  };
  // Outputs compared on every repeat make the speedup bound moot: an implausible but verified
  // speedup reproduced on fresh seeds is confirmed. Without compared outputs the bound stays.
  const verifiable = task.kind === 'agentdyno' && task.timedOutput !== null;
  const judged: Task = verifiable ? { ...task, plausibleSpeedup: Number.POSITIVE_INFINITY } : task;
  const bws = fresh({ files: {}, params: {} });
  let ev: Evaluation;
  try {
    const base = await evaluate(task, bws, { sandbox, harness, seed: seed ^ 0x5bd1e995, limits, warmup: 0, repeats: 1 });
    if (base.status !== 'ok' && base.status !== 'unconfirmed') throw new AgentdynoError(`the baseline of ${task.id} does not build, check and measure here (${base.status}${base.reason ? `: ${base.reason}` : ''}): nothing can be confirmed against it.`, { code: 'E_TASK_UNRUNNABLE', where: task.tomlPath });
    const pair = task.kind === 'agentdyno' ? pairedBaseline(task, bws.dir, sandbox, () => limits, taskSandboxSpec(task)) : undefined;
    const ws = fresh(change);
    try {
      ev = await evaluate(judged, ws, { sandbox, harness, seed, limits, repeats, pair });
    } finally {
      ws.remove();
    }
  } finally {
    bws.remove();
  }
  const reasons: string[] = [];
  let outcome: ConfirmOutcome;
  // The waived bound needs positive evidence: compared outputs show the work was done, the host
  // clock must show the time was saved (a forged value file saves nothing there).
  const paired = ev.measurement?.paired ?? null;
  const beyondBound = verifiable && task.scoring === 'log-speedup' && paired !== null && paired.speedup.ciLow > task.plausibleSpeedup;
  const hostDoubt = beyondBound && ev.measurement ? hostClockEvidence(task, ev.measurement, paired) : null;
  if (ev.status === 'ok' && hostDoubt) {
    outcome = 'unconfirmed';
    reasons.push(`speedup ${paired!.speedup.median.toFixed(1)}x (95% CI low ${paired!.speedup.ciLow.toFixed(1)}x) is beyond the ${task.plausibleSpeedup}x bound and ${hostDoubt}`);
  } else if (ev.status === 'ok') outcome = 'confirmed';
  else if (ev.status === 'unconfirmed') {
    outcome = 'unconfirmed';
    reasons.push(...(ev.unconfirmed ?? []));
    if (!verifiable) reasons.push('the task declares no timed_output, so its outputs are not compared and the speedup bound cannot be waived');
  } else {
    outcome = 'refuted';
    reasons.push(ev.reason ?? `the re-measurement failed: ${ev.status}${ev.harnessModified.length ? ` (${ev.harnessModified.join(', ')})` : ''}`);
  }
  const detail = row.detail as Detail | null;
  const original = { status: row.status, metricValue: row.metricValue, unconfirmed: detail?.unconfirmed ?? [] };
  const at = new Date().toISOString();
  const stored = o.store.appendLoopConfirmation(o.runId, {
    iteration: row.iteration,
    outcome,
    at,
    detail: { reasons, status: ev.status, original, measurement: ev.measurement, verified: ev.verified ?? false, seed, repeats, sandbox, task: task.id, steps: ev.steps },
  });
  return { runId: o.runId, task: task.id, iteration: row.iteration, outcome, reasons, status: ev.status, original, measurement: ev.measurement, verified: ev.verified ?? false, seed, repeats, sandbox, seq: stored.seq, at };
}
