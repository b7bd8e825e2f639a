import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, clockAnchor, newRunId } from '../../core/index.js';
import { openStore, type SuiteResultV1 } from '../../store/index.js';
import { runSuite, type SuiteTaskResult } from '../../loop/index.js';
import { feedFlags, openFeeds } from '../../replay/index.js';
import { teeSinks } from '../../ui/index.js';
import { findTaskDirs } from '../../task/index.js';
import { loopFlags, optionsFrom } from '../loop/run.js';

const safeUrl = (u: string) => {
  try {
    const x = new URL(u);
    return `${x.protocol}//${x.host}${x.pathname}`;
  } catch {
    return '(target)';
  }
};

/** The tasks the suite will run, for the dashboard's progress (runSuite reports a bad folder itself). */
const countTasks = (dir: string): number | undefined => {
  try {
    return findTaskDirs(dir).length;
  } catch {
    return undefined;
  }
};

export default class SuiteRun extends AgentdynoCommand {
  static override description = 'Run the loop on every task under a folder, N at a time; prints each task\'s result as it finishes.';
  static override examples = ['<%= config.bin %> suite run tasks/ --agent search --parallel 2', '<%= config.bin %> suite run tasks/ --agent llm --target http://127.0.0.1:8000/v1 --model m --json'];
  static override args = { dir: Args.string({ description: 'Folder holding the tasks.', default: 'tasks' }) };
  static override flags = { ...loopFlags, ...feedFlags, parallel: Flags.integer({ description: 'Tasks at a time.', default: 1 }) };

  async run() {
    const { args, flags } = await this.parse(SuiteRun);
    // With --events - the NDJSON owns stdout: the human lines go to stderr.
    const say = (line: string) => (flags.events === '-' ? this.logToStderr(line) : this.log(line));
    let sink = teeSinks();
    const onResult = (r: SuiteTaskResult) => {
      const x = r.result;
      sink.emit({ type: 'task-end', taskId: x?.task ?? r.id, loopRunId: x?.runId ?? null, ok: r.ok && !!x, success: x ? x.success : null, normalizedScore: x ? x.normalizedScore : null, iterations: x ? x.iterations : null, stopReason: x ? x.stopReason : null, wallS: x ? x.budgetUsed.wallSec : null, error: r.error ?? null });
      if (this.jsonEnabled()) return;
      if (!r.ok || !x) say(`FAIL ${r.id}: ${r.error}`);
      else {
        say(`${x.success ? 'ok  ' : 'miss'} ${x.task.padEnd(24)} normalized ${x.normalizedScore.toFixed(3)}  iterations ${x.iterations}  tokens ${x.budgetUsed.tokens}  wall ${x.budgetUsed.wallSec}s  stop ${x.stopReason}${x.agentStopReason ? ` (${x.agentStopReason})` : ''}${x.stoppedEarly ? '  stoppedEarly' : ''}${x.noProgressBurn ? '  noProgressBurn' : ''}  run ${x.runId}`);
      }
    };
    // The suite is a run of its own (kind suite) whose result points at each task's loop run.
    const suiteStore = openStore(flags.db);
    const suiteId = newRunId('suite');
    suiteStore.createRun({ id: suiteId, kind: 'suite', config: { dir: args.dir, parallel: flags.parallel, agent: flags.agent, iterations: flags.iterations, feedback: flags.feedback, seed: flags.seed }, clockAnchor: clockAnchor() });
    const warn = (text: string) => process.stderr.write(`warning: ${text}\n`);
    const feeds = await openFeeds(flags as unknown as Record<string, unknown>, suiteStore, suiteId, this.jsonEnabled(), warn).catch((e) => {
      suiteStore.finishRun(suiteId, 'failed', { error: (e as Error).message });
      suiteStore.close();
      throw e;
    });
    sink = teeSinks(...feeds.sinks);
    // The target as a feed shows it: never its URL credentials or query.
    const target = `agent ${flags.agent}${flags.target ? ` -> ${safeUrl(flags.target)}` : ''}`;
    sink.emit({ type: 'run-start', runId: suiteId, title: `agentdyno suite run ${args.dir}`, target, simulated: false, kind: 'suite', total: countTasks(args.dir) });
    if (feeds.metricsUrl) sink.emit({ type: 'message', level: 'info', text: `Prometheus metrics at ${feeds.metricsUrl}` });
    let results: Awaited<ReturnType<typeof runSuite>>;
    try {
      results = await runSuite(args.dir, {
        ...optionsFrom(flags), parallel: flags.parallel, onResult,
        onTaskStart: (taskId, loopRunId) => sink.emit({ type: 'task-start', taskId, loopRunId }),
        onTaskIteration: (taskId, rec) => sink.emit({ type: 'task-iteration', taskId, iteration: rec.iteration, status: rec.status, normalizedScore: rec.scores?.normalized ?? null, improved: rec.improved, tokens: rec.tokensIn + rec.tokensOut }),
      });
    } catch (e) {
      suiteStore.finishRun(suiteId, 'failed', { error: (e as Error).message });
      sink.emit({ type: 'run-end', runId: suiteId, status: 'failed' });
      sink.close();
      suiteStore.close();
      throw e;
    }
    const done = results.filter((r) => r.result).map((r) => r.result!);
    const summary = {
      tasks: results.length,
      succeeded: done.filter((r) => r.success).length,
      meanNormalizedScore: done.length ? done.reduce((a, r) => a + r.normalizedScore, 0) / done.length : 0,
      stoppedEarly: done.filter((r) => r.stoppedEarly).length,
      noProgressBurn: done.filter((r) => r.noProgressBurn).length,
    };
    const stored: SuiteResultV1 = {
      summary,
      tasks: results.map((r) => ({ id: r.result?.task ?? r.id, ok: r.ok, runId: r.result?.runId ?? null, error: r.error ?? null, ...(r.result ? { success: r.result.success, normalizedScore: r.result.normalizedScore, iterations: r.result.iterations, stopReason: r.result.stopReason, stoppedEarly: r.result.stoppedEarly, noProgressBurn: r.result.noProgressBurn } : {}) })),
    };
    suiteStore.finishRun(suiteId, 'completed', stored);
    sink.emit({ type: 'run-end', runId: suiteId, status: 'completed' });
    sink.close();
    suiteStore.close();
    if (!this.jsonEnabled()) say(`suite: ${summary.succeeded}/${summary.tasks} succeeded, mean normalized ${summary.meanNormalizedScore.toFixed(3)} (run ${suiteId})`);
    return { runId: suiteId, summary, results: results.map((r) => (r.result ? { id: r.id, ok: r.ok, runId: r.result.runId, success: r.result.success, normalizedScore: r.result.normalizedScore, iterations: r.result.iterations, budgetUsed: r.result.budgetUsed, timeToFirstImprovement: r.result.timeToFirstImprovement, stoppedEarly: r.result.stoppedEarly, noProgressBurn: r.result.noProgressBurn, curve: r.result.curve } : r)) };
  }
}
