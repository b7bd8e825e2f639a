import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError, errorMessage, type ErrorCode } from '../core/index.js';
import { evaluate, taskLimits, taskSandboxSpec, type Evaluation } from './executor.js';
import { pairedBaseline, type PairedBaseline } from './timed.js';
import { harborUnrunnable, runHarborSolution } from './harbor.js';
import { isImprovement, score } from './measure.js';
import { environmentProblems, missingRequirements } from './preflight.js';
import { prepareWorkspaceOwner, runStep, type SandboxMode } from './sandbox.js';
import { loadTask, type Task } from '../task/index.js';
import { harnessHashes, Workspace } from './workspace.js';

export interface TaskValidation {
  id: string;
  domain: string;
  kind?: 'agentdyno' | 'harbor';
  ok: boolean;
  problems: string[];
  /** Set when the folder itself is unsound (no verifier, bad task.toml): nothing was run. */
  code?: ErrorCode;
  baseline?: { status: string; median: number | null };
  reference?: {
    status: string;
    median: number | null;
    normalized: number | null;
    beatsBaseline: boolean;
    /** The timed runs' outputs were compared with the baseline's on the same seeds. */
    verified?: boolean;
    /** Interleaved with the baseline: the drift-cancelled speedup and the CI the verdict used. */
    paired?: { pairs: number; baselineMedian: number; speedup: number; ciLow: number; ciHigh: number; method: string };
  };
  wrong?: { status: string; reason?: string };
  /** Harbor tasks: the verifier's own figures (reward.json), apart from our measurement. */
  verifier?: { baselineReward: number | null; referenceReward: number | null; referenceSpeedup: number | null };
  notes?: string[];
}

/**
 * Proves a task sound: baseline builds and passes check; solution/solve.sh on a fresh copy passes
 * and beats the baseline beyond noise; solution/wrong.sh (when present) fails the check.
 */
export async function validateTask(dir: string, sandbox: SandboxMode, seed = 1): Promise<TaskValidation> {
  let task: Task;
  try {
    task = loadTask(dir);
  } catch (e) {
    const id = `${path.basename(path.dirname(dir))}/${path.basename(dir)}`;
    return { id, domain: path.basename(path.dirname(dir)), ok: false, problems: [errorMessage(e)], code: e instanceof AgentdynoError ? e.code : 'E_TASK_INVALID' };
  }
  const v: TaskValidation = { id: task.id, domain: task.domain, kind: task.kind, ok: false, problems: [] };
  // The verifier must exist and be executable before anything is built or run.
  const verifier = path.join(task.dir, 'tests', 'test.sh');
  const st = fs.statSync(verifier, { throwIfNoEntry: false });
  if (!st || !st.isFile()) v.problems.push(`${verifier}: missing (tests/test.sh is the task's verifier)`);
  else if ((st.mode & 0o111) === 0) v.problems.push(`${verifier}: not executable (chmod +x tests/test.sh)`);
  if (v.problems.length) return { ...v, code: 'E_TASK_INVALID' };
  if (task.kind === 'harbor') {
    // Harbor tasks: the verifier as-is must pass the environment and solve.sh (run like Harbor: it edits /app).
    const why = harborUnrunnable(task, sandbox) ?? harborUnrunnable(task, sandbox, path.join(task.solutionDir, 'solve.sh'));
    if (why) {
      v.problems.push(`cannot run without bubblewrap: ${why}`);
      return v;
    }
  }
  const missing = [...missingRequirements(task.requires, sandbox), ...environmentProblems(task.environment)];
  if (missing.length) {
    v.problems.push(`requires what this machine lacks: ${missing.join('; ')}`);
    return v;
  }
  const harness = harnessHashes(task.environmentDir, task.editable, Object.keys(task.params).length > 0);
  // The baseline's built workspace stays: the reference and wrong runs are timed beside it, pair by pair.
  let baseWs: Workspace | null = null;
  let pair: PairedBaseline | undefined;
  const run = async (script: string | null) => {
    const ws = Workspace.create(task.environmentDir);
    let keep = false;
    try {
      if (script) {
        // The solution script is trusted task content, but it still runs in the sandbox.
        prepareWorkspaceOwner(ws.dir, sandbox);
        let r;
        if (task.kind === 'harbor') r = await runHarborSolution(task, ws.dir, script, sandbox);
        else {
          const copy = path.join(ws.dir, '.agentdyno-solution.sh');
          fs.copyFileSync(script, copy);
          r = await runStep(`sh ./.agentdyno-solution.sh && rm -f ./.agentdyno-solution.sh`, ws.dir, { phase: 'solution', sandbox, limits: taskLimits(task) });
        }
        if (r.exitCode !== 0) return { status: `solution script failed (exit ${r.exitCode}): ${r.stderr.slice(-300)}`, m: null };
      }
      prepareWorkspaceOwner(ws.dir, sandbox);
      // At least 5 repeats: a shared machine is noisy and the verdict should not hinge on one run.
      const e = await evaluate(task, ws, { sandbox, harness, seed, repeats: Math.max(5, task.repeats), pair });
      if (!script && e.status === 'ok' && task.kind === 'agentdyno') {
        keep = true;
        baseWs = ws;
        pair = pairedBaseline(task, ws.dir, sandbox, () => taskLimits(task), taskSandboxSpec(task));
      }
      return { status: e.status, m: e.measurement, steps: e.steps, verifier: e.verifier, reason: e.reason ?? e.unconfirmed?.join('; '), verified: e.verified };
    } finally {
      if (!keep) ws.remove();
    }
  };
  try {
    const base = await run(null);
    v.baseline = { status: base.status, median: base.m?.median ?? null };
    if (base.status !== 'ok' || !base.m) v.problems.push(`baseline does not build, pass check and measure: ${base.status}`);
    const solve = path.join(task.solutionDir, 'solve.sh');
    let refVerifier: Evaluation['verifier'];
    if (!fs.existsSync(solve)) v.problems.push('solution/solve.sh: missing');
    else {
      const ref = await run(solve);
      refVerifier = ref.verifier;
      const s = ref.m && base.m ? score(ref.m.median, { direction: task.direction, scoring: task.scoring, baselineMeasured: ref.m.paired?.baseline.median ?? base.m.median, baselineToml: task.baseline.score, referenceToml: task.reference.score }) : null;
      const p = ref.m?.paired;
      // With pairs: the paired speedup's CI must lie above 1 (drift cancels); else the two CIs must not overlap.
      const beats = Boolean(ref.m && base.m && (p ? p.speedup.ciLow > 1 : isImprovement(ref.m, base.m, task.direction)));
      v.reference = { status: ref.status, median: ref.m?.median ?? null, normalized: s?.normalized ?? null, beatsBaseline: beats, verified: ref.verified ?? false };
      if (p) v.reference.paired = { pairs: p.pairs, baselineMedian: p.baseline.median, speedup: p.speedup.median, ciLow: p.speedup.ciLow, ciHigh: p.speedup.ciHigh, method: p.method };
      if (ref.status !== 'ok') v.problems.push(`reference solution does not pass: ${ref.status}${ref.reason ? ` (${ref.reason})` : ''}`);
      else if (!beats) v.problems.push(`reference solution does not beat the baseline beyond noise (baseline ${base.m?.median}, reference ${ref.m?.median}${p ? `, paired speedup ${p.speedup.median.toFixed(2)}x, 95% CI ${p.speedup.ciLow.toFixed(2)}-${p.speedup.ciHigh.toFixed(2)}` : ''})`);
    }
    if (task.kind === 'harbor') {
      v.verifier = { baselineReward: base.verifier?.reward ?? null, referenceReward: refVerifier?.reward ?? null, referenceSpeedup: refVerifier?.speedup ?? null };
      v.notes = [`Harbor task (no [agentdyno] table): domain "${task.harbor?.declaredDomain}" → ${task.domain}; verifier tests/test.sh with the workspace at /app; every environment/ file is editable (the verifier's integrity gate protects its build files)`];
      const df = task.harbor?.dockerfile;
      if (df) {
        v.notes.push(`from environment/Dockerfile: /orig gets ${df.orig.map((e) => e.dest).join(', ') || 'nothing'}; tools checked: ${task.harbor?.requiredTools.join(', ') || 'none'}${df.baseImage ? `; image ${df.baseImage} is not used (this machine's /usr is)` : ''}`);
        if (df.notReplayed.length) v.notes.push(`Dockerfile steps not replayed: ${df.notReplayed.map((x) => x.slice(0, 80)).join(' | ')}`);
      }
    }
    const wrong = path.join(task.solutionDir, 'wrong.sh');
    if (!fs.existsSync(wrong) && task.kind === 'harbor') v.notes?.push('no wrong solution to check (solution/wrong.sh absent, as in AutoLab)');
    if (fs.existsSync(wrong)) {
      const w = await run(wrong);
      v.wrong = { status: w.status, reason: w.reason };
      if (w.status === 'ok') v.problems.push('solution/wrong.sh: the deliberately wrong solution passes the check (the check is too weak)');
    }
    if (task.kind === 'agentdyno' && !task.timedOutput) (v.notes ??= []).push('measurement not self-verifying: the task declares no [agentdyno] timed_output, so the timed run\'s output is not compared (its value is the harness\'s own report)');
    v.ok = v.problems.length === 0;
    return v;
  } finally {
    (baseWs as Workspace | null)?.remove();
  }
}
