import fs from 'node:fs';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError } from '../../core/index.js';
import { calibrateDemand, collectRuns, DEFAULT_DEMAND_FILE, demand, fitPoints, fitSuccess, splitOf, verdict } from '../../efc/index.js';
import { openStore } from '../../store/index.js';

export default class EfcDemand extends AgentdynoCommand {
  static override description = 'Calibrate the task-demand exponents on one split of runs (by run id hash), freeze them to a file, and evaluate the EFC/demand fit on the other split.';
  static override examples = ['<%= config.bin %> efc demand', '<%= config.bin %> efc demand loop-a loop-b loop-c loop-d --out results/efc/demand.json --json'];
  static override strict = false;
  static override args = { runs: Args.string({ description: 'Loop run ids (default: every completed loop run).' }) };
  static override flags = {
    db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
    root: Flags.string({ description: 'Folder holding the tasks.', default: 'tasks' }),
    out: Flags.string({ description: 'Where the frozen exponents go.', default: DEFAULT_DEMAND_FILE }),
    reps: Flags.integer({ description: 'Bootstrap replicates for the evaluation fit.', default: 500 }),
  };

  async run() {
    const { argv, flags } = await this.parse(EfcDemand);
    const store = openStore(flags.db, { mustExist: true });
    try {
      const c = collectRuns(store, argv as string[], flags.root);
      if (c.scores.length < 4) throw new AgentdynoError(`only ${c.scores.length} finished loop run(s); need at least 4 to split.`, { code: 'E_USAGE', where: store.path });
      const calib = c.scores.filter((s) => splitOf(s.runId) === 'calibration');
      const cal = calibrateDemand(calib.map((s) => ({ runId: s.runId, success: s.success === true, efc: s.efc, features: c.features.get(s.task)! })));
      fs.mkdirSync(path.dirname(flags.out), { recursive: true });
      fs.writeFileSync(flags.out, JSON.stringify({ ...cal, frozenAt: new Date().toISOString() }, null, 2) + '\n');
      const evalPoints = fitPoints(c, cal.exponents).filter((p) => splitOf(p.runId) === 'evaluation');
      const evaluation = evalPoints.length >= 4 ? fitSuccess(evalPoints, { reps: flags.reps }) : null;
      const tasks = [...c.features.values()].map((f) => ({ ...f, demand: demand(f, cal.exponents) }));
      if (!this.jsonEnabled()) {
        this.log(`calibrated on ${calib.length} run(s); exponents ${JSON.stringify(cal.exponents)}${cal.note ? ` (${cal.note})` : ''}; frozen to ${flags.out}`);
        for (const t of tasks) this.log(`  ${t.task}: headroom ${t.headroom.toFixed(2)} knobs ${t.knobs} noise ${t.baselineNoise.toFixed(3)} localEval ${t.localEvalVisible} -> D ${t.demand.toFixed(3)}`);
        this.log(evaluation ? `evaluation split: ${verdict(evaluation)}` : 'evaluation split has fewer than 4 runs: no fit.');
      }
      return { calibration: cal, file: flags.out, tasks, evaluation };
    } finally {
      store.close();
    }
  }
}
