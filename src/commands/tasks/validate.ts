import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { chooseSandbox, describeSandbox, findTaskDirs, resolveTaskDir, validateTask, type TaskValidation } from '../../loop/index.js';

export default class TasksValidate extends AgentdynoCommand {
  static override description =
    'Prove tasks sound: the baseline builds and passes its check, solution/solve.sh passes and beats the baseline beyond noise, and solution/wrong.sh fails the check. Runs everything in the sandbox.';
  static override examples = ['<%= config.bin %> tasks validate', '<%= config.bin %> tasks validate kernel/matmul-c --json'];
  static override strict = false;
  static override args = { ids: Args.string({ description: 'Task ids or folders (default: every task under --root).' }) };
  static override flags = {
    root: Flags.string({ description: 'Folder holding the tasks.', default: 'tasks' }),
    'unsafe-no-sandbox': Flags.boolean({ description: 'Run without bubblewrap (only on a throwaway machine).' }),
    seed: Flags.integer({ description: 'Seed for the bootstrap CIs.', default: 1 }),
  };

  async run(): Promise<{ tasks: TaskValidation[] }> {
    const { argv, flags } = await this.parse(TasksValidate);
    const ids = argv as string[];
    const dirs = ids.length ? ids.map((i) => resolveTaskDir(i, flags.root)) : findTaskDirs(flags.root);
    const sandbox = chooseSandbox(flags['unsafe-no-sandbox']);
    const tasks: TaskValidation[] = [];
    if (!this.jsonEnabled() && dirs.length) this.log(`sandbox: ${describeSandbox({}, sandbox)} (defaults; each task's own limits apply)`);
    for (const d of dirs) {
      const v = await validateTask(d, sandbox, flags.seed);
      tasks.push(v);
      if (!this.jsonEnabled()) {
        const detail = v.baseline && v.reference ? ` (baseline ${v.baseline.median?.toFixed(3)}, reference ${v.reference.median?.toFixed(3)}, normalized ${v.reference.normalized?.toFixed(2)})` : '';
        this.log(`${v.ok ? 'ok  ' : 'FAIL'} ${v.id}${v.kind === 'harbor' ? ' [harbor]' : ''}${detail}`);
        const pr = v.reference?.paired;
        if (pr) this.log(`     paired: reference ${pr.speedup.toFixed(2)}x the baseline (95% CI ${pr.ciLow.toFixed(2)}-${pr.ciHigh.toFixed(2)}; ${pr.pairs} ${pr.method}); timed outputs ${v.reference?.verified ? 'compared with the baseline\'s' : 'NOT compared (no timed_output)'}`);
        if (v.wrong) this.log(`     wrong.sh: ${v.wrong.status}${v.wrong.reason ? ` (${v.wrong.reason.slice(0, 160)})` : ''}`);
        for (const p of v.problems) this.log(`     - ${p}`);
        for (const n of v.notes ?? []) this.log(`     note: ${n}`);
      }
    }
    if (tasks.some((t) => !t.ok)) process.exitCode = 1;
    return { tasks };
  }
}
