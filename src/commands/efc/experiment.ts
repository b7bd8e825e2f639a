import path from 'node:path';
import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { fitTable, runExperiment, verdict } from '../../efc/index.js';
import type { FeedbackMode } from '../../loop/index.js';
import { openStore } from '../../store/index.js';

export default class EfcExperiment extends AgentdynoCommand {
  static override description = 'Run the suite with the search and scripted agents across feedback shapings and iteration caps, score EFC, calibrate demand on one split and fit on the other; says whether EFC/demand beats raw compute, whichever way it comes out.';
  static override examples = ['<%= config.bin %> efc experiment --quick', '<%= config.bin %> efc experiment --tasks kernel/matmul-c,puzzle/collatz-c --json'];
  static override flags = {
    quick: Flags.boolean({ description: 'Small design: up to 3 tasks, rich/terse/noisy/stale, caps 1/2/4, one seed.' }),
    tasks: Flags.string({ description: 'Comma-separated task ids (default: every task under --root; --quick takes the first 3).' }),
    feedback: Flags.string({ description: 'Comma-separated shapings (default by design).' }),
    caps: Flags.string({ description: 'Comma-separated iteration caps (compute levels).' }),
    seeds: Flags.string({ description: 'Comma-separated seeds.' }),
    root: Flags.string({ description: 'Folder holding the tasks.', default: 'tasks' }),
    db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
    out: Flags.string({ description: 'Folder for scripts, score logs, demand.json and the plot.' }),
    reps: Flags.integer({ description: 'Bootstrap replicates.' }),
    'unsafe-no-sandbox': Flags.boolean({ description: 'Run proposals without bubblewrap (only on a throwaway machine).' }),
  };

  async run() {
    const { flags } = await this.parse(EfcExperiment);
    const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
    const outDir = flags.out ?? path.join('results', 'efc', `experiment-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const store = openStore(flags.db);
    try {
      const r = await runExperiment({
        store,
        taskRoot: flags.root,
        outDir,
        quick: flags.quick,
        tasks: list(flags.tasks),
        feedback: list(flags.feedback) as FeedbackMode[] | undefined,
        iterationCaps: list(flags.caps)?.map(Number),
        seeds: list(flags.seeds)?.map(Number),
        bootstrapReps: flags.reps,
        unsafeNoSandbox: flags['unsafe-no-sandbox'],
        onRun: (l) => (this.jsonEnabled() ? undefined : this.log(l)),
      });
      if (!this.jsonEnabled()) {
        for (const s of r.skipped) this.log(`skipped ${s.what}: ${s.why}`);
        this.log(`demand exponents (calibration split, frozen to ${r.calibration.file}): ${JSON.stringify(r.calibration.exponents)}${r.calibration.note ? ` — ${r.calibration.note}` : ''}`);
        this.log('\nevaluation split (frozen exponents):');
        this.log(fitTable(r.evaluation));
        this.log(verdict(r.evaluation));
        this.log('\nall runs (calibration split included, for reference):');
        this.log(fitTable(r.allRuns));
        this.log(verdict(r.allRuns));
        this.log(`plot: ${r.plot}`);
      }
      return {
        efc: { r2: r.evaluation.fits.efcPerDemand.logistic.r2, ci: r.evaluation.fits.efcPerDemand.ci },
        rawCompute: { r2: r.evaluation.fits[r.evaluation.raw].logistic.r2, ci: r.evaluation.fits[r.evaluation.raw].ci, measure: r.evaluation.raw },
        n: r.evaluation.n,
        verdict: verdict(r.evaluation),
        ...r,
      };
    } finally {
      store.close();
    }
  }
}
