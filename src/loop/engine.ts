import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, monotonicClock, type Clock } from '../core/index.js';
import type { Agent, AgentTaskView, Proposal, Remaining } from './agent.js';
import { evaluate, taskLimits, taskSandboxSpec, type Evaluation } from './executor.js';
import { pairedBaseline } from './timed.js';
import { composeFeedback, eventsFor, FeedbackShaper, type FeedbackMode, type ShownEvent } from './feedback.js';
import { assertHarborRunnable } from './harbor.js';
import { LoopBudget } from './budget.js';
import type { AgentBudgetTree, AgentBudgetTreeReport } from '../budget/index.js';
import { fastP, isImprovement, score, type Anchors, type MeasureStats, type Scores } from './measure.js';
import { describeSandbox } from './preflight.js';
import { prepareWorkspaceOwner, type Limits, type SandboxMode } from './sandbox.js';
import type { Task } from '../task/index.js';
import { harnessHashes, isEditable, listFiles, safeRel, Workspace } from './workspace.js';

export interface LoopBudgets {
  tokens: number;
  wallSec: number;
  iterations: number;
}

export interface IterationRecord {
  iteration: number;
  status: string;
  proposal: Proposal | null;
  measurement: MeasureStats | null;
  scores: Scores | null;
  improved: boolean;
  tokensIn: number;
  tokensOut: number;
  agentMs: number;
  evalMs: number;
  tStartNs: bigint;
  tEndNs: bigint;
  feedbackShown: string;
  shown: ShownEvent[];
  evaluation: Evaluation | null;
  agentLog?: unknown;
}

/** Where iterations go as they finish (the store, a score log); every call must be cheap and sync-safe. */
export interface LoopRecorder {
  iteration(rec: IterationRecord, task: Task, agent: string): void;
}

export interface CurvePoint {
  iteration: number;
  tokensUsed: number;
  wallMs: number;
  bestNormalized: number;
}

export interface LoopResult {
  task: string;
  agent: string;
  sandbox: SandboxMode;
  /** What the sandbox limited and what it did not (memory for the tree or per process, network, disk). */
  sandboxLimits: string;
  feedback: FeedbackMode;
  success: boolean;
  normalizedScore: number;
  reward: number;
  bestValue: number | null;
  bestIteration: number | null;
  baseline: { measured: MeasureStats | null; status: string; reason: string | null; steps: Evaluation['steps'] };
  iterations: number;
  stopReason: 'agent' | 'token_budget' | 'wall_budget' | 'iterations' | 'agent_errors' | 'baseline_failed';
  /** The agent's own words when it stopped (stopReason 'agent'), e.g. "grid exhausted". */
  agentStopReason: string | null;
  budgetUsed: { tokens: number; wallSec: number; iterations: number; fraction: number };
  budgets: LoopBudgets;
  timeToFirstImprovement: { iteration: number; wallMs: number; tokens: number } | null;
  stoppedEarly: boolean;
  noProgressBurn: boolean;
  review: boolean;
  /** Iterations whose result was implausible: kept for review, never counted as success. */
  unconfirmed: { iteration: number; value: number; reasons: string[] }[];
  fastP: { p: number; value: number; n: number } | null;
  failureCounts: Record<string, number>;
  curve: CurvePoint[];
  /** The loop's budget as the ledger kept it: every agent (and sub-agent) reserved / committed / forfeited. */
  budgetTree: AgentBudgetTreeReport;
  /** Why the token budget ended the run (a refused reservation), or null. */
  budgetStop: string | null;
}

export interface LoopOptions {
  task: Task;
  agent: Agent;
  sandbox: SandboxMode;
  budgets: LoopBudgets;
  feedback?: FeedbackMode;
  seed?: number;
  limits?: Partial<Limits>;
  recorder?: LoopRecorder;
  clock?: Clock;
  /** KernelBench fast_p threshold (kernel tasks). */
  fastPThreshold?: number;
  onIteration?: (rec: IterationRecord) => void;
  /** Consecutive agent errors after which the loop gives up. */
  maxAgentErrors?: number;
  /** The loop's budget tree (the command agent's proxy spends from it too); default: one over budgets.tokens. */
  budgetTree?: AgentBudgetTree;
}

/** The starting workspace's files (env + working overlay) as the agent sees them. */
function taskView(task: Task): AgentTaskView {
  return { id: task.id, instruction: task.instruction, editable: task.editable, params: task.params, metric: task.metric, direction: task.direction, files: listFiles(task.environmentDir) };
}

/** propose → apply → build → check → measure → feedback, until a budget, the cap, or the agent stops. */
export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const { task, agent } = o;
  assertHarborRunnable(task, o.sandbox); // a Harbor verifier naming /app needs bwrap's mounts
  const clock = o.clock ?? monotonicClock;
  const seed = o.seed ?? 1;
  const mode = o.feedback ?? 'rich';
  const shaper = new FeedbackShaper(mode, seed);
  const t0 = clock.nowMs();
  const hasParams = Object.keys(task.params).length > 0;
  const harness = harnessHashes(task.environmentDir, task.editable, hasParams);
  const wallLeft = () => o.budgets.wallSec - (clock.nowMs() - t0) / 1000;
  // Each step may run at most the verifier timeout and never far past the wall budget.
  const stepLimits = (): Partial<Limits> => ({ ...o.limits, wallSec: Math.max(1, Math.min(o.limits?.wallSec ?? task.verifierTimeoutSec, Math.ceil(wallLeft()))) });

  const working: Record<string, string> = {};
  let params: Record<string, number | string> = {};
  const fresh = (): Workspace => {
    const ws = Workspace.create(task.environmentDir);
    ws.apply({ files: working, params: hasParams && Object.keys(params).length ? params : undefined }, task.editable);
    prepareWorkspaceOwner(ws.dir, o.sandbox);
    return ws;
  };

  // Baseline re-measured at run start: anchors scores to this machine, now.
  // Its built workspace then stays for the whole run: the paired baseline beside every candidate repeat.
  const bws = fresh();
  let baseEval: Evaluation;
  try {
    baseEval = await evaluate(task, bws, { sandbox: o.sandbox, harness, seed, limits: stepLimits() });
  } catch (e) {
    bws.remove();
    throw e;
  }
  const pair = task.kind === 'agentdyno' && baseEval.status === 'ok' ? pairedBaseline(task, bws.dir, o.sandbox, stepLimits, taskSandboxSpec(task)) : undefined;
  const records: IterationRecord[] = [];
  const failureCounts: Record<string, number> = {};
  const curve: CurvePoint[] = [];
  let tokens = 0;
  const budget = new LoopBudget(o.budgets.tokens, o.budgetTree);
  let bestStats = baseEval.measurement;
  let bestIteration = 0;
  let bestScores: Scores | null = null;
  let firstImprovement: LoopResult['timeToFirstImprovement'] = null;
  let stopReason: LoopResult['stopReason'] = 'iterations';
  let agentStopReason: string | null = null;
  let anyReview = false;
  const unconfirmed: LoopResult['unconfirmed'] = [];
  // Best so far as a paired speedup CI over the baseline (the baseline itself: exactly 1).
  let bestSpeedup = { ciLow: 1, ciHigh: 1 };
  const anchors: Anchors | null = bestStats
    ? { direction: task.direction, scoring: task.scoring, baselineMeasured: bestStats.median, baselineToml: task.baseline.score, referenceToml: task.reference.score }
    : null;

  const view = taskView(task);
  let shown: ShownEvent[] = shaper.shape(
    eventsFor({ iteration: 0, status: baseEval.status, evaluation: baseEval, scores: null, improved: false, best: { median: bestStats?.median ?? NaN, ciLow: bestStats?.ciLow ?? NaN, ciHigh: bestStats?.ciHigh ?? NaN, iteration: 0 }, metric: task.metric, direction: task.direction, errors: [] }),
  );
  let agentErrors = 0;

  try {
    if (!bestStats || !anchors) stopReason = 'baseline_failed';
    else
      for (let it = 1; ; it++) {
        const remaining: Remaining = { tokens: Math.max(0, o.budgets.tokens - tokens), wallSec: Math.max(0, wallLeft()), iterations: o.budgets.iterations - it + 1 };
        if (remaining.iterations <= 0) {
          stopReason = 'iterations';
          break;
        }
        if (remaining.tokens <= 0 && o.budgets.tokens > 0 && tokens > 0) {
          stopReason = 'token_budget';
          break;
        }
        if (remaining.wallSec <= 0) {
          stopReason = 'wall_budget';
          break;
        }
        const budgetLine = `[budget] iteration ${it} of ${o.budgets.iterations}; ${remaining.tokens} tokens and ${Math.floor(remaining.wallSec)} s wall left; baseline ${task.metric} ${baseEval.measurement!.median.toPrecision(4)}, best ${bestStats.median.toPrecision(4)} (${task.direction} is better)`;
        const feedbackShown = composeFeedback(budgetLine, shown);
        const tStartNs = clock.nowNs();
        const ta = clock.nowMs();
        let proposal: Proposal | null = null;
        let tokensIn = 0;
        let tokensOut = 0;
        let agentLog: unknown;
        const errors: string[] = [];
        budget.beginTurn();
        try {
          const turn = await o.agent.propose({ iteration: it, task: view, feedback: feedbackShown, remaining, shown, budget: budget.tree, readFile: (rel) => readWorking(task, working, params, rel) });
          proposal = turn.proposal;
          tokensIn = turn.tokensIn;
          tokensOut = turn.tokensOut;
          agentLog = turn.log;
          agentErrors = 0;
        } catch (e) {
          errors.push(`agent failed: ${errorMessage(e)}`);
          agentErrors++;
        }
        tokens = budget.endTurn(tokensIn + tokensOut); // what the ledger charged
        const agentMs = clock.nowMs() - ta;
        const te = clock.nowMs();
        let status = 'agent_error';
        let evaluation: Evaluation | null = null;
        let scores: Scores | null = null;
        let improved = false;
        if (proposal?.kind === 'stop') {
          stopReason = budget.spent ? 'token_budget' : 'agent';
          agentStopReason = proposal.reason ?? null;
          const rec: IterationRecord = { iteration: it, status: 'stop', proposal, measurement: null, scores: null, improved: false, tokensIn, tokensOut, agentMs, evalMs: 0, tStartNs, tEndNs: clock.nowNs(), feedbackShown, shown, evaluation: null, agentLog };
          records.push(rec);
          o.recorder?.iteration(rec, task, agent.name);
          o.onIteration?.(rec);
          break;
        }
        if (proposal?.kind === 'change') {
          const refused = Object.keys(proposal.files ?? {}).filter((f) => { const r = safeRel(f); return !r || !isEditable(r, task.editable); });
          const badParams = hasParams ? Object.keys(proposal.params ?? {}).filter((k) => !(k in task.params)) : Object.keys(proposal.params ?? {});
          if (refused.length) {
            status = 'not_editable';
            errors.push(`not editable (allowed: ${task.editable.join(', ') || 'none'}): ${refused.join(', ')}; nothing was applied`);
          } else if (badParams.length) {
            status = 'invalid_proposal';
            errors.push(`unknown parameters: ${badParams.join(', ')} (declared: ${Object.keys(task.params).join(', ') || 'none'})`);
          } else {
            Object.assign(working, proposal.files ?? {});
            if (proposal.params) params = { ...params, ...proposal.params };
            const ws = fresh();
            try {
              evaluation = await evaluate(task, ws, { sandbox: o.sandbox, harness, seed: seed + it, limits: stepLimits(), pair });
            } finally {
              ws.remove();
            }
            status = evaluation.status;
            const m = evaluation.measurement;
            if (m) {
              // Scored against the baseline measured beside it (drift-matched), when there is one.
              scores = score(m.median, m.paired ? { ...anchors, baselineMeasured: m.paired.baseline.median } : anchors);
              const ok = evaluation.status === 'ok';
              improved = ok && (m.paired ? m.paired.speedup.ciLow > bestSpeedup.ciHigh : isImprovement(m, bestStats, task.direction));
              anyReview ||= scores.review || evaluation.status === 'unconfirmed';
              if (evaluation.status === 'unconfirmed') unconfirmed.push({ iteration: it, value: m.median, reasons: evaluation.unconfirmed ?? [] });
              if (!ok) scores = { ...scores, reward: 0 }; // kept for review, never counted
            }
          }
        }
        if (status !== 'ok') failureCounts[status] = (failureCounts[status] ?? 0) + 1;
        const prevBest = { median: bestStats.median, ciLow: bestStats.ciLow, ciHigh: bestStats.ciHigh, iteration: bestIteration };
        if (improved && evaluation?.measurement) {
          bestStats = evaluation.measurement;
          if (evaluation.measurement.paired) bestSpeedup = evaluation.measurement.paired.speedup;
          bestIteration = it;
          bestScores = scores;
          firstImprovement ??= { iteration: it, wallMs: clock.nowMs() - t0, tokens };
        }
        const rec: IterationRecord = { iteration: it, status, proposal, measurement: evaluation?.measurement ?? null, scores, improved, tokensIn, tokensOut, agentMs, evalMs: clock.nowMs() - te, tStartNs, tEndNs: clock.nowNs(), feedbackShown, shown: [], evaluation, agentLog };
        // What the agent sees next turn (shaped); stored with the iteration it answers.
        shown = shaper.shape(eventsFor({ iteration: it, status, evaluation, scores, improved, best: prevBest, metric: task.metric, direction: task.direction, errors }));
        rec.shown = shown;
        records.push(rec);
        curve.push({ iteration: it, tokensUsed: tokens, wallMs: Math.round(clock.nowMs() - t0), bestNormalized: bestScores?.normalized ?? 0 });
        o.recorder?.iteration(rec, task, agent.name);
        o.onIteration?.(rec);
        if (agentErrors >= (o.maxAgentErrors ?? 3)) {
          stopReason = 'agent_errors';
          break;
        }
        if (budget.spent) {
          stopReason = 'token_budget'; // the turn was cut by a refused reservation: its staged work was measured
          break;
        }
      }
  } finally {
    bws.remove();
  }
  const wallSec = (clock.nowMs() - t0) / 1000;
  const iterations = records.filter((r) => r.status !== 'stop').length;
  const fractions = [o.budgets.tokens > 0 ? tokens / o.budgets.tokens : 0, wallSec / o.budgets.wallSec, iterations / o.budgets.iterations];
  const fraction = Math.min(1, Math.max(...fractions));
  const normalizedScore = bestScores?.normalized ?? 0;
  const reward = bestScores?.reward ?? 0;
  const measuredSamples = records.filter((r) => r.evaluation).map((r) => ({ correct: r.status === 'ok', speedup: r.scores?.speedup ?? null }));
  return {
    task: task.id,
    agent: agent.name,
    sandbox: o.sandbox,
    sandboxLimits: describeSandbox(taskLimits(task, o.limits), o.sandbox, taskSandboxSpec(task)),
    feedback: mode,
    // Success = a correct, harness-intact candidate beat the re-measured baseline beyond noise.
    success: reward > 0,
    normalizedScore,
    reward,
    bestValue: bestIteration > 0 ? bestStats?.median ?? null : null,
    bestIteration: bestIteration > 0 ? bestIteration : null,
    baseline: { measured: baseEval.measurement, status: baseEval.status, reason: baseEval.reason ?? null, steps: baseEval.steps },
    iterations,
    stopReason,
    agentStopReason,
    budgetUsed: { tokens, wallSec: Math.round(wallSec * 10) / 10, iterations, fraction },
    budgets: o.budgets,
    timeToFirstImprovement: firstImprovement,
    ...loopFailureFlags({ stopReason, budgetFraction: fraction, normalizedScore, improved: bestIteration > 0, iterations }),
    review: anyReview,
    unconfirmed,
    fastP: task.domain === 'kernel' ? { p: o.fastPThreshold ?? 1, value: fastP(measuredSamples, o.fastPThreshold ?? 1), n: measuredSamples.length } : null,
    failureCounts,
    curve,
    budgetTree: budget.report(),
    budgetStop: budget.spent,
  };
}

/**
 * AutoLab's two failure modes: quitting with over half the budget left (and short of the reference),
 * or running into a budget limit without one measured improvement.
 */
export function loopFailureFlags(o: { stopReason: string; budgetFraction: number; normalizedScore: number; improved: boolean; iterations: number }): { stoppedEarly: boolean; noProgressBurn: boolean } {
  return {
    stoppedEarly: o.stopReason === 'agent' && o.budgetFraction < 0.5 && o.normalizedScore < 1,
    noProgressBurn: o.stopReason !== 'agent' && o.stopReason !== 'baseline_failed' && !o.improved && o.iterations >= 2,
  };
}

/** The agent's current view of a file: its own edits over the original environment. */
function readWorking(task: Task, working: Record<string, string>, params: Record<string, number | string>, rel: string): string | null {
  const r = safeRel(rel);
  if (!r) return null;
  if (r in working) return working[r];
  if (r === 'params.json' && Object.keys(params).length) return JSON.stringify(params, null, 2) + '\n';
  const f = path.join(task.environmentDir, r);
  return fs.existsSync(f) && fs.statSync(f).isFile() ? fs.readFileSync(f, 'utf8') : null;
}
