/**
 * What the dashboard shows for a suite (tasks) or a budget bench (policies), folded from their
 * agentdyno.events.v1 events (pure: times come from the events, never from a clock read here).
 */
import type { WorkEvent } from './types.js';

export interface TaskView {
  taskId: string;
  loopRunId: string | null;
  status: 'running' | 'success' | 'miss' | 'failed';
  iterations: number;
  /** Best accepted (improved) normalized score so far while running, the task's result once ended. */
  normalizedScore: number | null;
  tokens: number;
  stopReason: string | null;
  error: string | null;
  startedMs: number;
  /** The task's wall seconds once it ended (its own measure), else null. */
  wallS: number | null;
}

export interface PolicyView {
  policy: string;
  index: number;
  trials: number;
  trialsDone: number;
  violations: number;
  ended: boolean;
  serverFaultViolations: number | null;
  maxOvershootPct: number | null;
  p95OvershootPct: number | null;
  overProvisioning: number | null;
  completion: number | null;
}

export interface WorkState {
  kind: 'suite' | 'budget-bench' | null;
  total: number | null;
  startedMs: number | null;
  /** Time of the newest event: elapsed is measured to it (the run's own clock, as written). */
  lastMs: number | null;
  tasks: TaskView[];
  policies: PolicyView[];
}

export function initialWorkState(): WorkState {
  return { kind: null, total: null, startedMs: null, lastMs: null, tasks: [], policies: [] };
}

const isWork = (t: string) => t.startsWith('task-') || t.startsWith('policy-');

type Timed = { type: string; time: string; kind?: string; total?: number };

/** Folds one feed event; events that are not a suite's or bench's only move the clock. */
export function reduceWork(s: WorkState, f: Timed): WorkState {
  const t = Date.parse(f.time);
  const ms = Number.isFinite(t) ? t : s.lastMs;
  if (f.type === 'run-start') {
    const kind = f.kind === 'suite' || f.kind === 'budget-bench' ? f.kind : null;
    return { ...initialWorkState(), kind, total: f.total ?? null, startedMs: ms, lastMs: ms };
  }
  const next = { ...s, lastMs: ms };
  if (!isWork(f.type)) return next;
  const e = f as unknown as WorkEvent;
  const task = (id: string, fn: (t: TaskView) => TaskView) => next.tasks.map((x) => (x.taskId === id ? fn(x) : x));
  const pol = (p: string, fn: (x: PolicyView) => PolicyView) => next.policies.map((x) => (x.policy === p ? fn(x) : x));
  switch (e.type) {
    case 'task-start':
      return { ...next, tasks: [...next.tasks.filter((x) => x.taskId !== e.taskId), { taskId: e.taskId, loopRunId: e.loopRunId, status: 'running', iterations: 0, normalizedScore: null, tokens: 0, stopReason: null, error: null, startedMs: ms ?? 0, wallS: null }] };
    case 'task-iteration':
      return {
        ...next,
        tasks: task(e.taskId, (x) => ({
          ...x,
          iterations: Math.max(x.iterations, e.iteration),
          tokens: x.tokens + e.tokens,
          // The loop's best moves only on an accepted improvement (a noisy better measure is not one).
          normalizedScore: e.improved && e.normalizedScore !== null ? Math.max(x.normalizedScore ?? Number.NEGATIVE_INFINITY, e.normalizedScore) : x.normalizedScore,
        })),
      };
    case 'task-end': {
      const ended = (x: TaskView): TaskView => ({
        ...x,
        loopRunId: e.loopRunId ?? x.loopRunId,
        status: !e.ok ? 'failed' : e.success ? 'success' : 'miss',
        iterations: e.iterations ?? x.iterations,
        normalizedScore: e.normalizedScore ?? x.normalizedScore,
        stopReason: e.stopReason,
        error: e.error,
        wallS: e.wallS,
      });
      // A task that failed before its loop started never had a task-start.
      const known = next.tasks.some((x) => x.taskId === e.taskId);
      const base: TaskView = { taskId: e.taskId, loopRunId: null, status: 'running', iterations: 0, normalizedScore: null, tokens: 0, stopReason: null, error: null, startedMs: ms ?? 0, wallS: null };
      return { ...next, tasks: known ? task(e.taskId, ended) : [...next.tasks, ended(base)] };
    }
    case 'policy-start':
      return { ...next, policies: [...next.policies.filter((x) => x.policy !== e.policy), { policy: e.policy, index: e.index, trials: e.trials, trialsDone: 0, violations: 0, ended: false, serverFaultViolations: null, maxOvershootPct: null, p95OvershootPct: null, overProvisioning: null, completion: null }] };
    case 'policy-tick':
      return { ...next, policies: pol(e.policy, (x) => ({ ...x, trialsDone: e.trialsDone, trials: e.trials, violations: e.violations })) };
    case 'policy-end':
      return {
        ...next,
        policies: pol(e.policy, (x) => ({ ...x, ended: true, trialsDone: e.trials, trials: e.trials, violations: e.violations, serverFaultViolations: e.serverFaultViolations, maxOvershootPct: e.maxOvershootPct, p95OvershootPct: e.p95OvershootPct, overProvisioning: e.overProvisioning, completion: e.completion })),
      };
    default:
      return next;
  }
}

/** Seconds from the run's start to its newest event (null before any). */
export function elapsedS(s: WorkState): number | null {
  return s.startedMs === null || s.lastMs === null ? null : Math.max(0, (s.lastMs - s.startedMs) / 1000);
}
