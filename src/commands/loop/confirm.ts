import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { confirmIteration } from '../../loop/index.js';
import { openStore } from '../../store/index.js';

export default class LoopConfirm extends AgentdynoCommand {
  static override description = 'Re-measure a stored loop iteration (by default the run\'s last unconfirmed one): its candidate and the baseline rebuilt in fresh sandboxes, measured side by side on fresh seeds with more repeats under the same integrity checks; the outcome (confirmed, unconfirmed, refuted) is stored as a new event of the run, the original figures untouched.';
  static override examples = ['<%= config.bin %> loop confirm loop-20261202-014500-ab12', '<%= config.bin %> loop confirm loop-20261202-014500-ab12 --iteration 3 --repeats 15 --json'];
  static override args = { run: Args.string({ description: 'loop run id (see `agentdyno results list`)', required: true }) };
  static override flags = {
    iteration: Flags.integer({ description: 'Iteration to re-measure (default: the last unconfirmed one).' }),
    repeats: Flags.integer({ description: 'Timed repeats (default: twice the task\'s, at least 10).', min: 1 }),
    seed: Flags.integer({ description: 'Seed of the fresh inputs (default: random; stored with the outcome).' }),
    root: Flags.string({ description: 'Folder holding the tasks (for runs whose task folder moved).', default: 'tasks' }),
    'unsafe-no-sandbox': Flags.boolean({ description: 'Run without bubblewrap (only on a throwaway machine).' }),
    db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
  };

  async run() {
    const { args, flags } = await this.parse(LoopConfirm);
    const store = openStore(flags.db, { mustExist: true });
    try {
      const r = await confirmIteration({ store, runId: args.run, iteration: flags.iteration, repeats: flags.repeats, seed: flags.seed, root: flags.root, unsafeNoSandbox: flags['unsafe-no-sandbox'] });
      if (!this.jsonEnabled()) {
        const m = r.measurement;
        const pr = m?.paired?.speedup;
        this.log(`${r.task}  run ${r.runId}  iteration ${r.iteration} (stored: ${r.original.status}${r.original.metricValue !== null ? ` ${r.original.metricValue.toPrecision(4)}` : ''})`);
        this.log(`re-measured: ${r.repeats} repeats, seed ${r.seed}, sandbox ${r.sandbox}, outputs ${r.verified ? 'compared with the baseline\'s' : 'NOT compared (no timed_output)'}`);
        if (m) this.log(`  median ${m.median.toPrecision(4)} (95% CI ${m.ciLow.toPrecision(4)}-${m.ciHigh.toPrecision(4)})${pr ? `, ${pr.median.toFixed(2)}x the baseline beside it (95% CI ${pr.ciLow.toFixed(2)}-${pr.ciHigh.toFixed(2)})` : ''}`);
        this.log(`${r.outcome}${r.reasons.length ? `: ${r.reasons.join('; ')}` : ''}  (stored as confirmation ${r.seq} of the run)`);
      }
      return r;
    } finally {
      store.close();
    }
  }
}
