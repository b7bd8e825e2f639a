import { monotonicClock } from '../core/index.js';
import { evaluateHarbor, type HarborVerdict } from './harbor.js';
import { parseMeasureLine, summarizeMeasurement, type MeasureStats } from './measure.js';
import { runStep, tail, type ExecResult, type FailureClass, type Limits, type Phase, type SandboxMode, type SandboxSpec } from './sandbox.js';
import type { Task } from './task.js';
import { modifiedHarness, type Workspace } from './workspace.js';

/** What is kept of one step: enough to explain the outcome, bounded in size. */
export interface StepSummary {
  phase: Phase;
  command: string;
  exitCode: number | null;
  signal: string | null;
  failure: FailureClass | null;
  wallMs: number;
  output: string;
}

export interface Evaluation {
  /** `ok` = built, correct, harness intact, measured. */
  status: 'ok' | FailureClass;
  steps: StepSummary[];
  measurement: MeasureStats | null;
  harnessModified: string[];
  sandbox: SandboxMode;
  wallMs: number;
  /** Harbor tasks only: the verifier's own reward/speedup (not ours) and its failure reason. */
  verifier?: HarborVerdict;
}

export interface EvalOptions {
  sandbox: SandboxMode;
  /** sha256 of the non-editable environment files (harnessHashes). */
  harness: Record<string, string>;
  seed: number;
  limits?: Partial<Limits>;
  warmup?: number;
  repeats?: number;
  /** Stop early (e.g. the wall budget ran out between repeats). */
  signal?: AbortSignal;
}

export function summarizeStep(r: ExecResult, outputChars = 2000): StepSummary {
  const out = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');
  return { phase: r.phase, command: r.command, exitCode: r.exitCode, signal: r.signal, failure: r.failure, wallMs: Math.round(r.wallMs), output: tail(out, outputChars) };
}

/** Default step limits from the task: verifier timeout as wall limit, environment memory. */
export function taskLimits(task: Task, over: Partial<Limits> = {}): Partial<Limits> {
  return { wallSec: task.verifierTimeoutSec, memoryMb: task.environment.memoryMb, fileMb: task.environment.storageMb, tmpMb: Math.min(task.environment.storageMb, 1024), cpus: task.environment.cpus, ...over };
}

/** Network and devices the task declares: allow_internet keeps the host network, GPU tasks get /dev/nvidia*. */
export function taskSandboxSpec(task: Task): SandboxSpec {
  return { network: task.environment.allowInternet ? 'host' : 'none', gpu: task.environment.gpus > 0 || task.requires.includes('gpu') };
}

/**
 * build → check → harness hash check → warm-up + repeated measure → harness hash check.
 * The check runs before every measurement; a changed harness file scores nothing (`harness_modified`).
 */
export async function evaluate(task: Task, ws: Workspace, opts: EvalOptions): Promise<Evaluation> {
  // Harbor tasks: tests/test.sh is build + check + measure in one (harbor.ts).
  if (task.kind === 'harbor') return evaluateHarbor(task, ws, opts);
  const t0 = monotonicClock.nowMs(); // durations from the monotonic clock, not wall time
  const steps: StepSummary[] = [];
  const limits = taskLimits(task, opts.limits);
  const run = async (phase: Phase, cmd: string) => {
    const r = await runStep(cmd, ws.dir, { phase, sandbox: opts.sandbox, limits, ...taskSandboxSpec(task) });
    steps.push(summarizeStep(r));
    return r;
  };
  const done = (status: Evaluation['status'], measurement: MeasureStats | null = null, harnessModified: string[] = []): Evaluation => ({
    status,
    steps,
    measurement,
    harnessModified,
    sandbox: opts.sandbox,
    wallMs: Math.round(monotonicClock.nowMs() - t0),
  });

  if (task.build) {
    const b = await run('build', task.build);
    if (b.failure) return done(b.failure);
  }
  const c = await run('check', task.check);
  if (c.failure) return done(c.failure);
  let bad = modifiedHarness(ws.dir, opts.harness);
  if (bad.length) return done('harness_modified', null, bad);

  const values: number[] = [];
  const warmup = opts.warmup ?? task.warmup;
  const repeats = opts.repeats ?? task.repeats;
  for (let i = 0; i < warmup + repeats; i++) {
    if (opts.signal?.aborted) break;
    const m = await run('measure', task.measure);
    // Keep only the first and last measure outputs: repeats say the same thing.
    if (i > 0 && i < warmup + repeats - 1) steps.pop();
    if (m.failure) return done(m.failure);
    const v = parseMeasureLine(m.stdout);
    if (v === null) {
      steps[steps.length - 1] = { ...summarizeStep(m), failure: 'measure_error', output: tail(`${m.stdout}\nlast stdout line is not {"value": <number>}`, 2000) };
      return done('measure_error');
    }
    if (i >= warmup) values.push(v);
  }
  bad = modifiedHarness(ws.dir, opts.harness);
  if (bad.length) return done('harness_modified', null, bad);
  if (values.length === 0) return done('measure_error');
  return done('ok', summarizeMeasurement(values, opts.seed));
}
