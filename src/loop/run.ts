import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { AgentBudgetTree } from '../budget/index.js';
import { AgentdynoError, clockAnchor, errorMessage, newRunId } from '../core/index.js';
import { markFailedOnCrash, markInterruptedOnExit, openStore, type Store } from '../store/index.js';
import type { Agent } from './agent.js';
import { LlmAgent, type LlmAgentOptions } from './agents/llm.js';
import { ScriptedAgent } from './agents/scripted.js';
import { CommandAgent, type CommandAgentOptions } from './agents/command.js';
import { SearchAgent, type SearchStrategy } from './agents/search.js';
import { runLoop, type IterationRecord, type LoopBudgets, type LoopResult } from './engine.js';
import type { FeedbackMode } from './feedback.js';
import { MultiRecorder, ScoreLog, StoreRecorder } from './recorder.js';
import { environmentProblems, missingRequirements } from './preflight.js';
import { taskHarness } from './confirm.js';
import { chooseSandbox, type SandboxMode } from './sandbox.js';
import { findTaskDirs, loadTask, type Task } from '../task/index.js';

export type AgentKind = 'search' | 'llm' | 'scripted' | 'command';

export interface AgentSpec {
  kind: AgentKind;
  script?: string;
  strategy?: SearchStrategy;
  llm?: Omit<LlmAgentOptions, 'target' | 'model'> & { target?: string; model?: string };
  /** --agent command: the CLI to run and its proxy settings (upstream = llm.target). */
  command?: Pick<CommandAgentOptions, 'cmd' | 'preset' | 'subagentShare' | 'env' | 'timeoutSec' | 'keepContent'>;
}

export interface RunTaskOptions {
  agent: AgentSpec;
  budgets?: Partial<LoopBudgets>;
  feedback?: FeedbackMode;
  unsafeNoSandbox?: boolean;
  seed?: number;
  db?: string;
  /** Folder for score logs (default results/). */
  resultsDir?: string;
  store?: Store;
  /** Called once the run exists in the store (a suite tracks the runs in flight). */
  onRunStart?: (runId: string) => void;
  /** Called as each iteration finishes (the CLI prints its status and reason). */
  onIteration?: (rec: IterationRecord) => void;
}

export interface TaskRunSummary extends LoopResult {
  runId: string;
  scoreLog: string;
  /** --agent command: the recorded trajectory (JSONL). */
  trajectory?: string;
}

export function makeAgent(spec: AgentSpec, task: Task, seed: number, run?: { sandbox: SandboxMode; budgetTokens: number; runDir: string; tree?: AgentBudgetTree }): Agent {
  if (spec.kind === 'command') {
    if (!spec.llm?.target) throw new AgentdynoError('the command agent needs --target URL: the model endpoint its proxy forwards to.', { code: 'E_USAGE', where: '--target', hint: 'Example: --target http://127.0.0.1:8000 (a model server, or agentdyno sim serve --script SESSION).' });
    if (!run) throw new AgentdynoError('the command agent runs only inside a loop run', { code: 'E_INTERNAL', where: 'makeAgent' });
    return new CommandAgent({ ...spec.command, upstream: spec.llm.target, model: spec.llm.model, apiKeyEnv: spec.llm.apiKeyEnv, budgetTokens: run.budgetTokens, tree: run.tree, sandbox: run.sandbox, timeoutSec: spec.command?.timeoutSec ?? task.agentTimeoutSec, trajectoryOut: path.join(run.runDir, 'trajectory.jsonl') });
  }
  if (spec.kind === 'scripted') {
    if (!spec.script) throw new AgentdynoError('the scripted agent needs --script FILE (a JSON array of proposals).', { code: 'E_USAGE', where: '--script' });
    return ScriptedAgent.fromFile(spec.script);
  }
  if (spec.kind === 'search') return new SearchAgent(task.params, spec.strategy ?? 'coordinate', seed);
  if (!spec.llm?.target || !spec.llm.model) throw new AgentdynoError('the llm agent needs --target URL and --model NAME.', { code: 'E_USAGE', where: '--target/--model', hint: 'Example: --target http://127.0.0.1:8000/v1 --model qwen3-8b' });
  return new LlmAgent({ ...spec.llm, target: spec.llm.target, model: spec.llm.model });
}

/** One loop run on one task, recorded in the store (kind `loop`) and a score log. */
export async function runTask(task: Task, o: RunTaskOptions): Promise<TaskRunSummary> {
  const sandbox = chooseSandbox(o.unsafeNoSandbox ?? false);
  // Reported before the run, never as a wrong answer: tools, a GPU, more CPUs than this machine has.
  const missing = [...missingRequirements(task.requires, sandbox), ...environmentProblems(task.environment)];
  if (missing.length) throw new AgentdynoError(`task ${task.id} requires what this machine lacks: ${missing.join('; ')}.`, { code: 'E_TASK_UNRUNNABLE', where: task.tomlPath, hint: 'Run it on a machine that has these, or install them (the task\'s Dockerfile says what it expects).' });
  const seed = o.seed ?? 1;
  const budgets: LoopBudgets = { tokens: o.budgets?.tokens ?? task.tokenBudget, wallSec: o.budgets?.wallSec ?? task.wallBudgetSec, iterations: o.budgets?.iterations ?? 20 };
  const runId = newRunId('loop');
  const scoreLog = path.join(o.resultsDir ?? 'results', 'loops', runId, 'score.jsonl');
  fs.mkdirSync(path.dirname(scoreLog), { recursive: true });
  // One budget tree for the run, whatever the agent: the loop's budget is a ledger handle.
  const tree = new AgentBudgetTree({ tokens: Math.max(0, budgets.tokens) }, { subagentShare: o.agent.command?.subagentShare });
  const agent = makeAgent(o.agent, task, seed, { sandbox, budgetTokens: budgets.tokens, runDir: path.dirname(scoreLog), tree });
  const store = o.store ?? openStore(o.db);
  // taskDir + harness: `loop confirm` rebuilds the same candidate later and refuses a changed harness.
  const config = { task: task.id, taskDir: task.dir, harness: taskHarness(task), agent: agent.name, budgets, feedback: o.feedback ?? 'rich', sandbox, seed, llm: o.agent.llm ? { target: o.agent.llm.target, model: o.agent.llm.model } : undefined };
  store.createRun({ id: runId, kind: 'loop', config, clockAnchor: clockAnchor() });
  o.onRunStart?.(runId);
  // A single run owns its store: Ctrl-C or a crash marks it (iterations are stored as they finish).
  // Runs of a suite share one store; one left running is recovered as interrupted on the next open.
  const offSignals = o.store ? null : [
        markInterruptedOnExit(store, runId, { onInterrupt: () => process.stderr.write(`\ninterrupted: run ${runId} is marked interrupted; its finished iterations are stored (agentdyno results show ${runId})\n`) }),
        markFailedOnCrash(store, runId),
      ];
  try {
    const result = await runLoop({ task, agent, sandbox, budgets, feedback: o.feedback, seed, budgetTree: tree, onIteration: o.onIteration, recorder: new MultiRecorder([new StoreRecorder(store, runId), new ScoreLog(scoreLog)]) });
    // The budget tree (result.budgetTree) is stored for every agent kind; a command agent's recording too.
    const trajectory = agent instanceof CommandAgent ? path.join(path.dirname(scoreLog), 'trajectory.jsonl') : undefined;
    const summary = { runId, scoreLog, ...result, ...(trajectory ? { trajectory } : {}) };
    store.finishRun(runId, result.stopReason === 'baseline_failed' ? 'failed' : 'completed', summary);
    if (result.stopReason === 'baseline_failed') {
      const why = [result.baseline.status, result.baseline.reason].filter(Boolean).join(': ');
      throw new AgentdynoError(`the baseline of ${task.id} does not build, pass its check and measure here (${why}); nothing was proposed.`, {
        code: 'E_TASK_UNRUNNABLE',
        where: task.tomlPath,
        hint: `The run ${runId} is stored as failed with the baseline's output (agentdyno results show ${runId}); \`agentdyno tasks validate ${task.id}\` shows the same check.`,
      });
    }
    return summary;
  } catch (e) {
    store.finishRun(runId, 'failed', { error: errorMessage(e) });
    throw e;
  } finally {
    if (agent instanceof CommandAgent) await agent.close();
    for (const off of offSignals ?? []) off();
    if (!o.store) store.close();
  }
}

export interface SuiteTaskResult {
  id: string;
  ok: boolean;
  error?: string;
  result?: TaskRunSummary;
}

/** Runs every task under `dir`, `parallel` at a time; `onResult` fires as each one finishes. */
export interface SuiteHooks {
  onResult?: (r: SuiteTaskResult) => void;
  /** A task's loop run was created (its id is the task's own run). */
  onTaskStart?: (taskId: string, loopRunId: string) => void;
  /** A task's iteration finished (tasks run `parallel` at a time, so the id says whose). */
  onTaskIteration?: (taskId: string, rec: IterationRecord) => void;
}

export async function runSuite(dir: string, o: RunTaskOptions & { parallel?: number } & SuiteHooks): Promise<SuiteTaskResult[]> {
  const dirs = findTaskDirs(dir);
  if (dirs.length === 0) throw new AgentdynoError('no tasks here (no task.toml below this folder).', { code: 'E_TASK_INVALID', where: path.resolve(dir) });
  const limit = pLimit(Math.max(1, o.parallel ?? 1));
  const store = o.store ?? openStore(o.db);
  // Ctrl-C marks every run in flight interrupted at once (their finished iterations are stored).
  const inFlight = new Set<string>();
  const offSignals = o.store
    ? null
    : [
        markInterruptedOnExit(store, () => [...inFlight], { onInterrupt: () => process.stderr.write(`\ninterrupted: ${inFlight.size} run(s) in flight marked interrupted (${[...inFlight].join(', ')}); finished runs and iterations are stored\n`) }),
        markFailedOnCrash(store, () => [...inFlight]),
      ];
  try {
    return await Promise.all(
      dirs.map((d) =>
        limit(async () => {
          let r: SuiteTaskResult;
          try {
            const task = loadTask(d);
            let id: string | null = null;
            try {
              const onIteration = (rec: IterationRecord) => (o.onIteration?.(rec), o.onTaskIteration?.(task.id, rec));
              r = { id: task.id, ok: true, result: await runTask(task, { ...o, store, onIteration, onRunStart: (runId) => (inFlight.add((id = runId)), o.onTaskStart?.(task.id, runId)) }) };
            } finally {
              if (id) inFlight.delete(id);
            }
          } catch (e) {
            r = { id: path.relative(path.resolve(dir), d) || d, ok: false, error: errorMessage(e) };
          }
          o.onResult?.(r);
          return r;
        }),
      ),
    );
  } finally {
    for (const off of offSignals ?? []) off();
    if (!o.store) store.close();
  }
}
