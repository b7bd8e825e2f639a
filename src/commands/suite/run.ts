import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, clockAnchor, newRunId } from '../../core/index.js';
import { openStore, type SuiteResultV1 } from '../../store/index.js';
import { runSuite, type SuiteTaskResult } from '../../loop/index.js';
import { loopFlags, optionsFrom } from '../loop/run.js';

export default class SuiteRun extends AgentdynoCommand {
  static override description = 'Run the loop on every task under a folder, N at a time; prints each task\'s result as it finishes.';
  static override examples = ['<%= config.bin %> suite run tasks/ --agent search --parallel 2', '<%= config.bin %> suite run tasks/ --agent llm --target http://127.0.0.1:8000/v1 --model m --json'];
  static override args = { dir: Args.string({ description: 'Folder holding the tasks.', default: 'tasks' }) };
  static override flags = { ...loopFlags, parallel: Flags.integer({ description: 'Tasks at a time.', default: 1 }) };

  async run() {
    const { args, flags } = await this.parse(SuiteRun);
    const onResult = (r: SuiteTaskResult) => {
      if (this.jsonEnabled()) return;
      if (!r.ok || !r.result) this.log(`FAIL ${r.id}: ${r.error}`);
      else {
        const x = r.result;
        this.log(`${x.success ? 'ok  ' : 'miss'} ${x.task.padEnd(24)} normalized ${x.normalizedScore.toFixed(3)}  iterations ${x.iterations}  tokens ${x.budgetUsed.tokens}  wall ${x.budgetUsed.wallSec}s  stop ${x.stopReason}${x.agentStopReason ? ` (${x.agentStopReason})` : ''}${x.stoppedEarly ? '  stoppedEarly' : ''}${x.noProgressBurn ? '  noProgressBurn' : ''}  run ${x.runId}`);
      }
    };
    // The suite is a run of its own (kind suite) whose result points at each task's loop run.
    const suiteStore = openStore(flags.db);
    const suiteId = newRunId('suite');
    suiteStore.createRun({ id: suiteId, kind: 'suite', config: { dir: args.dir, parallel: flags.parallel, agent: flags.agent, iterations: flags.iterations, feedback: flags.feedback, seed: flags.seed }, clockAnchor: clockAnchor() });
    let results: Awaited<ReturnType<typeof runSuite>>;
    try {
      results = await runSuite(args.dir, { ...optionsFrom(flags), parallel: flags.parallel, onResult });
    } catch (e) {
      suiteStore.finishRun(suiteId, 'failed', { error: (e as Error).message });
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
    suiteStore.close();
    if (!this.jsonEnabled()) this.log(`suite: ${summary.succeeded}/${summary.tasks} succeeded, mean normalized ${summary.meanNormalizedScore.toFixed(3)} (run ${suiteId})`);
    return { runId: suiteId, summary, results: results.map((r) => (r.result ? { id: r.id, ok: r.ok, runId: r.result.runId, success: r.result.success, normalizedScore: r.result.normalizedScore, iterations: r.result.iterations, budgetUsed: r.result.budgetUsed, timeToFirstImprovement: r.result.timeToFirstImprovement, stoppedEarly: r.result.stoppedEarly, noProgressBurn: r.result.noProgressBurn, curve: r.result.curve } : r)) };
  }
}
