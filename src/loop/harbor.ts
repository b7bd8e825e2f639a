/**
 * Running AutoLab / Harbor tasks as they are (their format: task/harbor.ts). Their verifier `tests/test.sh` is the whole build → check → measure step: under
 * bubblewrap the fresh workspace is mounted at /app (cwd), the task's tests/ read-only at /tests and
 * a per-run logs folder at /logs (LOGS_DIR=/logs), as Harbor's container would have them. The
 * verifier's /logs/verifier/reward.json is parsed: `reason` or `correctness: false` fails the
 * iteration; otherwise `metric` is the measured value (median over repeats, bootstrap CI as for our
 * own tasks) and the verifier's own `reward`/`speedup` are recorded apart from our scores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentdynoError, median, monotonicClock } from '../core/index.js';
import { summarizeStep, taskLimits, taskSandboxSpec, type EvalOptions, type Evaluation, type StepSummary } from './executor.js';
import { summarizeMeasurement } from './measure.js';
import { materializeOrig, namedPaths, parseRewardJson, type DockerfileInfo, type RewardJson, type Task } from '../task/index.js';
import { safeReadUnder } from './safe-read.js';
import { prepareWorkspaceOwner, runStep, tail, type ExecResult, type FailureClass, type Limits, type Phase, type SandboxMode, type SandboxSpec } from './sandbox.js';
import type { Workspace } from './workspace.js';

/** reward.json is a few fields; anything bigger is not read. */
const REWARD_CAP = 64 << 10;

/** Why this task cannot run with this sandbox, or null. Without bwrap there is no /app to mount. */
export function harborUnrunnable(task: Task, sandbox: SandboxMode, script = task.harbor?.verifier): string | null {
  if (task.kind !== 'harbor' || sandbox === 'bwrap' || !script) return null;
  const named = fs.existsSync(script) ? namedPaths(fs.readFileSync(script, 'utf8')) : [];
  if (named.length === 0) return null;
  return `${path.relative(task.dir, script)} uses ${named.join(', ')}, which only the bubblewrap sandbox provides (workspace at /app, tests at /tests, logs at /logs); without it a Harbor script runs with cwd = workspace and LOGS_DIR set, and only if it names none of these paths`;
}

export function assertHarborRunnable(task: Task, sandbox: SandboxMode): void {
  const why = harborUnrunnable(task, sandbox);
  if (why) throw new AgentdynoError(`Harbor task ${task.id} cannot run without bubblewrap: ${why}.`, { code: 'E_SANDBOX_UNAVAILABLE', where: task.harbor?.verifier, hint: 'Install bubblewrap (apt-get install bubblewrap) and run again.' });
}

/** A verifier's failure reason → our failure class (the reason itself is kept as the detail). */
export function reasonClass(reason: string): FailureClass {
  if (/modified|integrity|tamper/i.test(reason)) return 'harness_modified';
  if (/build|compile/i.test(reason)) return 'build_error';
  if (/timeout|timed out/i.test(reason)) return 'timeout';
  return 'wrong_answer';
}

export interface VerifierRun {
  exec: ExecResult;
  reward: RewardJson | null;
  /** null = correct and measured (`reward.metric` is the value). */
  failure: FailureClass | null;
  reason: string | null;
}

/** Outcome of one verifier run: the verifier's own verdict first, then how the process ended. */
export function verdict(exec: Pick<ExecResult, 'timedOut' | 'failure' | 'exitCode'>, reward: RewardJson | null): Pick<VerifierRun, 'failure' | 'reason'> {
  if (exec.timedOut) return { failure: 'timeout', reason: 'verifier timed out' };
  if (reward && (reward.reason !== null || reward.correctness === false)) {
    const reason = reward.reason ?? 'incorrect';
    return { failure: reasonClass(reason), reason };
  }
  if (exec.failure) return { failure: exec.failure, reason: `verifier exited ${exec.exitCode ?? 'by signal'} without a failure reason` };
  if (!reward) return { failure: 'measure_error', reason: 'no valid /logs/verifier/reward.json written' };
  if (reward.metric === null) return { failure: 'measure_error', reason: 'reward.json has no numeric "metric"' };
  return { failure: null, reason: null };
}

/**
 * Copies `dirs` into a fresh run folder with logs/verifier, owned by the sandbox user, and `orig/`
 * as the Dockerfile would have made it (root-owned, mounted read-only at /orig).
 */
function runFolder(dirs: Record<string, string>, sandbox: SandboxMode, origFrom?: { info: DockerfileInfo; envDir: string }): { run: string; origMissing: string[] } {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-harbor-'));
  for (const [name, src] of Object.entries(dirs)) fs.cpSync(src, path.join(run, name), { recursive: true });
  fs.mkdirSync(path.join(run, 'logs', 'verifier'), { recursive: true });
  prepareWorkspaceOwner(run, sandbox);
  const origMissing = origFrom ? materializeOrig(origFrom.info, origFrom.envDir, path.join(run, 'orig')) : [];
  fs.mkdirSync(path.join(run, 'orig'), { recursive: true });
  return { run, origMissing };
}

/** Runs `bash <dir>/<script>` the way Harbor would: bwrap with /app, /<name>, /logs; unsafe: cwd = workspace. */
async function runHarborScript(name: 'tests' | 'solution', srcDir: string, script: string, wsDir: string, sandbox: SandboxMode, phase: Phase, limits: Partial<Limits>, spec: SandboxSpec = {}, origFrom?: { info: DockerfileInfo; envDir: string }) {
  const { run, origMissing } = runFolder({ [name]: srcDir }, sandbox, origFrom);
  try {
    const bwrap = sandbox === 'bwrap';
    const exec = await runStep(bwrap ? `bash /${name}/${script}` : `bash '${path.join(run, name, script)}'`, wsDir, {
      phase,
      sandbox,
      limits,
      env: { LOGS_DIR: bwrap ? '/logs' : path.join(run, 'logs'), HOME: bwrap ? '/app' : wsDir },
      binds: [{ src: path.join(run, name), dest: `/${name}`, readOnly: true }, { src: path.join(run, 'logs'), dest: '/logs' }, { src: path.join(run, 'orig'), dest: '/orig', readOnly: true }],
      mountWorkspaceAt: '/app',
      ...spec,
    });
    // /logs is sandbox-writable: reward.json may be a link to a root-only file or a FIFO.
    const got = safeReadUnder(run, 'logs/verifier/reward.json', REWARD_CAP);
    const rewardText = got.ok ? got.data.toString('utf8') : null;
    const rewardRefused = !got.ok && !got.why.endsWith('missing') ? got.why : null;
    return { exec, rewardText, rewardRefused, origMissing };
  } finally {
    fs.rmSync(run, { recursive: true, force: true });
  }
}

/** One run of a tests/ folder's test.sh against a workspace (also used on our own tasks' verifiers). */
export async function runVerifier(testsDir: string, wsDir: string, sandbox: SandboxMode, limits: Partial<Limits> = {}, spec: SandboxSpec = {}, origFrom?: { info: DockerfileInfo; envDir: string }): Promise<VerifierRun & { rewardText: string | null; origMissing?: string[] }> {
  const { exec, rewardText, rewardRefused, origMissing } = await runHarborScript('tests', testsDir, 'test.sh', wsDir, sandbox, 'check', limits, spec, origFrom);
  const reward = rewardText === null ? null : parseRewardJson(rewardText);
  if (rewardRefused) return { exec, reward: null, rewardText: null, origMissing, failure: 'sandbox_violation', reason: `reward.json not read: ${rewardRefused}` };
  return { exec, reward, rewardText, origMissing, ...verdict(exec, reward) };
}

/** Runs solution/solve.sh in the workspace (Harbor: it edits /app), under the sandbox. */
export async function runHarborSolution(task: Task, wsDir: string, script: string, sandbox: SandboxMode): Promise<ExecResult> {
  const why = harborUnrunnable(task, sandbox, script);
  if (why) throw new AgentdynoError(`Harbor task ${task.id}: ${why}.`, { code: 'E_SANDBOX_UNAVAILABLE', where: script, hint: 'Install bubblewrap and run again.' });
  const df = task.harbor?.dockerfile;
  const { exec } = await runHarborScript('solution', path.dirname(script), path.basename(script), wsDir, sandbox, 'solution', taskLimits(task), taskSandboxSpec(task), df ? { info: df, envDir: task.environmentDir } : undefined);
  return exec;
}

/** The verifier's own figures, kept apart from agentdyno's measured median and scores. */
export interface HarborVerdict {
  runs: { reward: number | null; speedup: number | null; metric: number | null; correctness: boolean | null }[];
  /** Median over the runs of the verifier's reward / speedup. */
  reward: number | null;
  speedup: number | null;
  /** The verifier's failure reason (e.g. build_file_modified), when it failed the candidate. */
  reason: string | null;
}

const medianOrNull = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};

/** evaluate() for Harbor tasks: `repeats` runs of tests/test.sh; median of `metric` with the bootstrap CI. */
export async function evaluateHarbor(task: Task, ws: Workspace, opts: EvalOptions): Promise<Evaluation> {
  const t0 = monotonicClock.nowMs(); // durations from the monotonic clock, not wall time
  const info = task.harbor!;
  assertHarborRunnable(task, opts.sandbox);
  const limits = taskLimits(task, opts.limits);
  const steps: StepSummary[] = [];
  const runs: HarborVerdict['runs'] = [];
  const values: number[] = [];
  const repeats = (opts.warmup ?? task.warmup) + (opts.repeats ?? task.repeats);
  const done = (status: Evaluation['status'], reason: string | null = null): Evaluation => ({
    status,
    steps,
    measurement: status === 'ok' && values.length ? summarizeMeasurement(values, opts.seed) : null,
    harnessModified: status === 'harness_modified' ? [`build files (the verifier reported ${reason})`] : [],
    sandbox: opts.sandbox,
    wallMs: Math.round(monotonicClock.nowMs() - t0),
    verifier: { runs, reward: medianOrNull(runs.map((r) => r.reward)), speedup: medianOrNull(runs.map((r) => r.speedup)), reason },
    ...(reason ? { reason: `verifier: ${reason}` } : {}),
  });
  for (let i = 0; i < repeats; i++) {
    if (opts.signal?.aborted) break;
    const v = await runVerifier(info.testsDir, ws.dir, opts.sandbox, limits, taskSandboxSpec(task), info.dockerfile ? { info: info.dockerfile, envDir: task.environmentDir } : undefined);
    const s = summarizeStep(v.exec);
    const origNote = v.origMissing?.length ? `[not derivable from the Dockerfile, so absent under /orig: ${v.origMissing.join('; ')}]` : '';
    const out = [`[${info.note}]`, origNote, s.output, v.rewardText !== null ? `reward.json: ${v.rewardText.trim()}` : '', v.reason ? `verifier reason: ${v.reason}` : ''].filter(Boolean).join('\n');
    // Keep the first and last runs' output only: repeats say the same thing.
    if (i > 0 && steps.length > 1) steps.pop();
    steps.push({ ...s, failure: v.failure, output: tail(out, 2000) });
    if (v.reward) runs.push({ reward: v.reward.reward, speedup: v.reward.speedup, metric: v.reward.metric, correctness: v.reward.correctness });
    if (v.failure) return done(v.failure, v.reason);
    if (i >= (opts.warmup ?? task.warmup)) values.push(v.reward!.metric!);
  }
  return done(values.length ? 'ok' : 'measure_error');
}
