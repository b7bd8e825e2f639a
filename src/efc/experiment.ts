/**
 * The EFC experiment: run the task suite with the `search` and `scripted` agents across feedback
 * shapings and iteration caps (compute levels), score every run, calibrate demand exponents on one
 * split, freeze them, and fit success on the other split against EFC/demand and raw compute.
 * The scripted agent replays a seeded mix of broken, wrong and reference edits (the reference and the
 * wrong edit come from the task's solution/ scripts, run in the sandbox); it ignores feedback, so it
 * is a control whose success depends on compute only. Everything here is measured on this machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, Rng } from '../core/index.js';
import {
  chooseSandbox,
  findTaskDirs,
  loadTask,
  missingRequirements,
  prepareWorkspaceOwner,
  runStep,
  runTask,
  taskLimits,
  Workspace,
  isEditable,
  listFiles,
  type FeedbackMode,
  type ScriptStep,
  type Task,
} from '../loop/index.js';
import type { Store } from '../store/index.js';
import { calibrateDemand, splitOf, type Calibration } from './demand.js';
import { collectRuns, fitPoints } from './collect.js';
import { fitSuccess, type FitResult } from './fit.js';
import { fitSvg } from './report.js';

export interface ExperimentOptions {
  store: Store;
  taskRoot: string;
  outDir: string;
  quick: boolean;
  tasks?: string[];
  feedback?: FeedbackMode[];
  iterationCaps?: number[];
  seeds?: number[];
  unsafeNoSandbox?: boolean;
  bootstrapReps?: number;
  onRun?: (line: string) => void;
}

export interface ExperimentResult {
  design: { tasks: string[]; agents: string[]; feedback: FeedbackMode[]; iterationCaps: number[]; seeds: number[]; scriptedAgent: string };
  runIds: string[];
  skipped: { what: string; why: string }[];
  calibration: Calibration & { file: string };
  evaluation: FitResult;
  allRuns: FitResult;
  /** SVG of the evaluation-split fit. */
  plot: string;
}

/** Runs a solution script in a sandboxed copy of the environment and returns the editable files it changed. */
async function editFrom(task: Task, script: string, unsafe: boolean): Promise<Record<string, string> | null> {
  if (!fs.existsSync(script)) return null;
  const sandbox = chooseSandbox(unsafe);
  const ws = Workspace.create(task.environmentDir);
  try {
    prepareWorkspaceOwner(ws.dir, sandbox);
    fs.copyFileSync(script, path.join(ws.dir, '.agentdyno-solution.sh'));
    const r = await runStep('sh ./.agentdyno-solution.sh && rm -f ./.agentdyno-solution.sh', ws.dir, { phase: 'solution', sandbox, limits: taskLimits(task) });
    if (r.exitCode !== 0) return null;
    const out: Record<string, string> = {};
    for (const f of listFiles(ws.dir)) {
      if (!isEditable(f, task.editable)) continue;
      const now = fs.readFileSync(path.join(ws.dir, f), 'utf8');
      const orig = path.join(task.environmentDir, f);
      if (!fs.existsSync(orig) || fs.readFileSync(orig, 'utf8') !== now) out[f] = now;
    }
    return Object.keys(out).length ? out : null;
  } finally {
    ws.remove();
  }
}

/** A seeded script: failing edits (some retried verbatim) with the reference edit at a random position. */
export function scriptFor(reference: Record<string, string>, wrong: Record<string, string> | null, seed: number, length = 8): ScriptStep[] {
  const rng = new Rng(seed);
  const at = rng.int(1, Math.min(6, length));
  const broken = Object.fromEntries(Object.entries(reference).map(([f, c]) => [f, `${c}\n@@@ deliberately not valid source @@@\n`]));
  const steps: ScriptStep[] = [];
  for (let i = 1; i <= length; i++) {
    if (i === at) {
      steps.push({ files: reference, note: 'reference edit' });
      break;
    }
    const prev = steps[steps.length - 1];
    const pick = rng.next();
    if (prev && pick < 0.35) steps.push({ ...prev, note: 'retry of the previous step' });
    else if (wrong && pick < 0.7) steps.push({ files: wrong, note: 'wrong edit' });
    else steps.push({ files: broken, note: 'broken edit' });
  }
  steps.push({ stop: true, reason: 'script ended' });
  return steps;
}

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const feedback = o.feedback ?? (o.quick ? ['rich', 'terse', 'noisy', 'stale'] : ['rich', 'terse', 'noisy', 'stale', 'delayed']);
  const caps = o.iterationCaps ?? (o.quick ? [1, 2, 4] : [1, 2, 4, 8]);
  const seeds = o.seeds ?? (o.quick ? [1] : [1, 2, 3]);
  const skipped: ExperimentResult['skipped'] = [];
  const tasks: Task[] = [];
  for (const d of findTaskDirs(o.taskRoot)) {
    try {
      const t = loadTask(d);
      if (o.tasks && !o.tasks.includes(t.id)) continue;
      const miss = missingRequirements(t.requires);
      if (miss.length) skipped.push({ what: t.id, why: `requires ${miss.join('; ')}` });
      else tasks.push(t);
    } catch (e) {
      skipped.push({ what: d, why: errorMessage(e) });
    }
  }
  tasks.sort((a, b) => a.id.localeCompare(b.id));
  const chosen = o.quick && !o.tasks ? tasks.slice(0, 3) : tasks;
  const scriptsDir = path.join(o.outDir, 'scripts');
  fs.mkdirSync(scriptsDir, { recursive: true });
  const runIds: string[] = [];
  for (const task of chosen) {
    const reference = await editFrom(task, path.join(task.solutionDir, 'solve.sh'), o.unsafeNoSandbox ?? false);
    const wrong = await editFrom(task, path.join(task.solutionDir, 'wrong.sh'), o.unsafeNoSandbox ?? false);
    if (!reference) skipped.push({ what: `${task.id} scripted`, why: 'solution/solve.sh did not yield an edit of the editable files' });
    for (const agent of ['search', 'scripted'] as const) {
      if (agent === 'search' && Object.keys(task.params).length === 0) {
        skipped.push({ what: `${task.id} search`, why: 'no [agentdyno.params] to search over' });
        continue;
      }
      if (agent === 'scripted' && !reference) continue;
      for (const mode of feedback)
        for (const cap of caps)
          for (const seed of seeds) {
            let script: string | undefined;
            if (agent === 'scripted') {
              script = path.join(scriptsDir, `${task.id.replace(/\W+/g, '_')}-${seed}.json`);
              fs.writeFileSync(script, JSON.stringify(scriptFor(reference!, wrong, seed), null, 1));
            }
            try {
              const r = await runTask(task, { agent: { kind: agent, script, strategy: 'coordinate' }, budgets: { iterations: cap }, feedback: mode, seed, store: o.store, resultsDir: o.outDir, unsafeNoSandbox: o.unsafeNoSandbox });
              runIds.push(r.runId);
              o.onRun?.(`${r.success ? 'ok  ' : 'miss'} ${task.id} ${agent} feedback=${mode} cap=${cap} seed=${seed} iterations=${r.iterations} run=${r.runId}`);
            } catch (e) {
              skipped.push({ what: `${task.id} ${agent} ${mode} cap ${cap} seed ${seed}`, why: errorMessage(e) });
            }
          }
    }
  }
  const collected = collectRuns(o.store, runIds, o.taskRoot);
  for (const s of collected.skipped) skipped.push({ what: s.runId, why: s.why });
  const calib = collected.scores.filter((s) => splitOf(s.runId) === 'calibration');
  const calibration = calibrateDemand(calib.map((s) => ({ runId: s.runId, success: s.success === true, efc: s.efc, features: collected.features.get(s.task)! })));
  const file = path.join(o.outDir, 'demand.json');
  fs.writeFileSync(file, JSON.stringify({ ...calibration, frozenAt: new Date().toISOString() }, null, 2) + '\n');
  const points = fitPoints(collected, calibration.exponents);
  const reps = o.bootstrapReps ?? (o.quick ? 300 : 1000);
  const evalPoints = points.filter((p) => splitOf(p.runId) === 'evaluation');
  const evaluation = fitSuccess(evalPoints, { reps });
  const plot = path.join(o.outDir, 'fit.svg');
  fs.writeFileSync(plot, fitSvg(evalPoints, evaluation));
  return {
    design: {
      tasks: chosen.map((t) => t.id),
      agents: ['search:coordinate', 'scripted'],
      feedback,
      iterationCaps: caps,
      seeds,
      scriptedAgent: 'seeded replay of broken, wrong (solution/wrong.sh) and reference (solution/solve.sh) edits, retries included; ignores feedback',
    },
    runIds,
    skipped,
    calibration: { ...calibration, file },
    evaluation,
    allRuns: fitSuccess(points, { reps }),
    plot,
  };
}
