import { monotonicClock } from '../core/index.js';
import { evaluateHarbor, type HarborVerdict } from './harbor.js';
import { summarizeMeasurement, type MeasureStats } from './measure.js';
import { compareOutputs, pairedStats, runTimed, seedFor, unconfirmedReasons, type PairedBaseline, type TimedRun } from './timed.js';
import { runStep, tail, type ExecResult, type FailureClass, type Limits, type Phase, type SandboxMode, type SandboxSpec } from './sandbox.js';
import type { Task } from '../task/index.js';
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
  /** `ok` = built, correct, harness intact, measured; `unconfirmed` = measured but implausible (see `unconfirmed`). */
  status: 'ok' | 'unconfirmed' | FailureClass;
  /** Why the result needs a person's confirmation before it counts (speedup bound, hardware limit, host clock). */
  unconfirmed?: string[];
  /** Why it failed, in words (e.g. which element of the timed output differs). */
  reason?: string;
  /** True when the timed runs' outputs were compared with the paired baseline's (timed_output + pairs). */
  verified?: boolean;
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
  /** The baseline run beside every repeat on the same seed (drift-cancelling pairs, output comparison). */
  pair?: PairedBaseline;
}

export function summarizeStep(r: ExecResult, outputChars = 2000): StepSummary {
  const out = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');
  return { phase: r.phase, command: r.command, exitCode: r.exitCode, signal: r.signal, failure: r.failure, wallMs: Math.round(r.wallMs), output: tail(out, outputChars) };
}

/** Default step limits from the task: verifier timeout as wall limit, environment memory. */
export function taskLimits(task: Task, over: Partial<Limits> = {}): Partial<Limits> {
  return { wallSec: task.verifierTimeoutSec, memoryMb: task.environment.memoryMb, fileMb: task.environment.storageMb, tmpMb: Math.min(task.environment.storageMb, 1024), workspaceMb: task.environment.storageMb, cpus: task.environment.cpus, ...over };
}

/** Network and devices the task declares: allow_internet keeps the host network, GPU tasks get /dev/nvidia*. */
export function taskSandboxSpec(task: Task): SandboxSpec {
  return { network: task.environment.allowInternet ? 'host' : 'none', gpu: task.environment.gpus > 0 || task.requires.includes('gpu') };
}

/**
 * build → check → per repeat: harness hash check, then the timed run (fresh seed) and, when a paired
 * baseline is given, the baseline on the same seed (order alternating: drift cancels in the ratio);
 * the timed run's own output must match the baseline's (timed.ts). A changed harness file scores
 * nothing (`harness_modified`); an implausible result is `unconfirmed` (kept, never a success).
 */
export async function evaluate(task: Task, ws: Workspace, opts: EvalOptions): Promise<Evaluation> {
  // Harbor tasks: tests/test.sh is build + check + measure in one (harbor.ts).
  if (task.kind === 'harbor') return evaluateHarbor(task, ws, opts);
  const t0 = monotonicClock.nowMs(); // durations from the monotonic clock, not wall time
  const steps: StepSummary[] = [];
  const limits = taskLimits(task, opts.limits);
  const spec = taskSandboxSpec(task);
  const run = async (phase: Phase, cmd: string) => {
    const r = await runStep(cmd, ws.dir, { phase, sandbox: opts.sandbox, limits, ...spec });
    steps.push(summarizeStep(r));
    return r;
  };
  const ev: Evaluation = { status: 'ok', steps, measurement: null, harnessModified: [], sandbox: opts.sandbox, wallMs: 0, verified: task.timedOutput !== null && opts.pair !== undefined };
  const done = (status: Evaluation['status'], extra: Partial<Evaluation> = {}): Evaluation => Object.assign(ev, { status, ...extra, wallMs: Math.round(monotonicClock.nowMs() - t0) });

  if (task.build) {
    const b = await run('build', task.build);
    if (b.failure) return done(b.failure);
  }
  const c = await run('check', task.check);
  if (c.failure) return done(c.failure);

  const values: number[] = [];
  const base: number[] = [];
  const candHost: number[] = [];
  const baseHost: number[] = [];
  const warmup = opts.warmup ?? task.warmup;
  const repeats = opts.repeats ?? task.repeats;
  const seeds: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    if (opts.signal?.aborted) break;
    // Before every repeat: a harness rewritten by an earlier repeat never times anything.
    const bad = modifiedHarness(ws.dir, opts.harness);
    if (bad.length) return done('harness_modified', { harnessModified: bad });
    const seed = seedFor(opts.seed, i);
    seeds.push(seed);
    let b: TimedRun | null = null;
    if (opts.pair && i % 2 === 0) b = await opts.pair.run(seed);
    const m = await runTimed(task, ws.dir, seed, opts.sandbox, limits, spec);
    if (opts.pair && i % 2 === 1) b = await opts.pair.run(seed);
    // Keep only the first and last measure outputs: repeats say the same thing.
    const s = summarizeStep(m.exec);
    if (i > 0 && steps.length > 0 && steps[steps.length - 1].phase === 'measure') steps.pop();
    steps.push(s);
    if (m.exec.failure) return done(m.exec.failure);
    if (m.problem) {
      steps[steps.length - 1] = { ...s, failure: 'measure_error', output: tail(`${s.output}\nmeasurement refused: ${m.problem}`, 2000) };
      return done('measure_error', { reason: m.problem });
    }
    if (b && (b.exec.failure || b.problem || b.value === null)) return done('measure_error', { reason: `the paired baseline run failed (seed ${seed}): ${b.problem ?? b.exec.failure}` });
    if (b && task.timedOutput && m.output && b.output) {
      const diff = compareOutputs(task.timedOutput, m.output, b.output);
      if (diff) {
        const reason = `the timed run's own output is wrong (seed ${seed}, compared with the baseline on the same input): ${diff}`;
        steps[steps.length - 1] = { ...s, failure: 'wrong_answer', output: tail(`${s.output}\n${reason}`, 2000) };
        return done('wrong_answer', { reason });
      }
    }
    if (i >= warmup) {
      values.push(m.value!);
      candHost.push(m.hostMs);
      if (b) {
        base.push(b.value!);
        baseHost.push(b.hostMs);
      }
    }
  }
  const bad = modifiedHarness(ws.dir, opts.harness);
  if (bad.length) return done('harness_modified', { harnessModified: bad });
  if (values.length === 0) return done('measure_error');
  const measurement: MeasureStats = summarizeMeasurement(values, opts.seed);
  measurement.seeds = seeds;
  measurement.hostMs = candHost;
  if (base.length === values.length) measurement.paired = pairedStats(values, base, candHost, baseHost, task.direction, opts.seed);
  const unconfirmed = unconfirmedReasons(task, measurement, measurement.paired ?? null, opts.seed);
  return done(unconfirmed.length ? 'unconfirmed' : 'ok', { measurement, unconfirmed });
}
