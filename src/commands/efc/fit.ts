import fs from 'node:fs';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError, checkOutputPath, newRunId } from '../../core/index.js';
import { collectRuns, fitPoints, fitSuccess, fitSvg, fitTable, hasSessionContent, logisticBand, RAW_COORDINATES, readCalibration, scoreSession, sessionFitPoints, verdict, type Collected, type Coordinate, type FitPoint } from '../../efc/index.js';
import { loadTrajectories } from '../../trajectory/index.js';
import { openStore, type EfcFitResultV1 } from '../../store/index.js';

const DEFAULT_PLOT = path.join('results', 'efc', 'fit.svg');

export default class EfcFit extends AgentdynoCommand {
  static override description = 'Fit success against ln EFC, ln EFC/demand and ln raw compute (logistic and power-law failure E = E_inf + A z^-alpha), with R^2, MAE and hierarchical bootstrap CIs; writes an SVG under results/efc/.';
  static override examples = ['<%= config.bin %> efc fit', '<%= config.bin %> efc fit loop-a loop-b loop-c --json', '<%= config.bin %> efc fit --raw tokens --demand results/efc/demand.json'];
  static override strict = false;
  static override args = { runs: Args.string({ description: 'Loop run ids (default: every completed loop run in the database).' }) };
  static override flags = {
    db: Flags.string({ description: 'Results database (default AGENTDYNO_DB or results/agentdyno.db).' }),
    root: Flags.string({ description: 'Folder holding the tasks (for demand).', default: 'tasks' }),
    demand: Flags.string({ description: 'Frozen demand exponents from `efc demand` (default results/efc/demand.json when present).' }),
    raw: Flags.string({ description: 'Raw compute reported as rawCompute.', options: [...RAW_COORDINATES], default: 'toolCalls' }),
    reps: Flags.integer({ description: 'Bootstrap replicates.', default: 500 }),
    seed: Flags.integer({ description: 'Bootstrap seed.', default: 1 }),
    out: Flags.string({ description: `SVG plot path; an existing file is refused unless --force (default ${DEFAULT_PLOT}, the latest fit's plot, replaced each time).` }),
    force: Flags.boolean({ description: 'Replace an existing --out file.' }),
    trajectories: Flags.string({ description: 'Also fit real agents\' sessions: trajectory files kept with content (recorded, or imported with messages), each scored event by event; those with labels.success count (demand is not calibrated for sessions: 1). Repeatable. With no run ids, only sessions are fitted.', multiple: true }),
  };

  async run() {
    const { argv, flags } = await this.parse(EfcFit);
    // Refused before any work: a typed path that exists is someone's file; the default is the latest fit's plot.
    if (flags.out !== undefined) checkOutputPath(flags.out, { force: flags.force, inputs: [...(flags.trajectories ?? []), ...(flags.demand ? [flags.demand] : [])] });
    const out = flags.out ?? DEFAULT_PLOT;
    const sessionsOnly = (flags.trajectories?.length ?? 0) > 0 && (argv as string[]).length === 0;
    const store = sessionsOnly ? null : openStore(flags.db, { mustExist: true });
    try {
      const collected: Collected = store ? collectRuns(store, argv as string[], flags.root) : { scores: [], features: new Map(), skipped: [] };
      const sessions = (flags.trajectories ?? []).length ? loadTrajectories(flags.trajectories!).map((l) => l.trajectory).filter(hasSessionContent).map((t) => scoreSession(t)) : [];
      const sp = sessionFitPoints(sessions);
      collected.skipped.push(...sp.skipped);
      const total = collected.scores.length + sp.points.length;
      if (total < 4) throw new AgentdynoError(`only ${total} labelled run(s) or session(s) to fit; need at least 4.`, { code: 'E_USAGE', where: store?.path ?? (flags.trajectories ?? []).join(', '), hint: 'Run `agentdyno efc experiment --quick` or several `agentdyno loop run`, or give sessions with a success label (--trajectories).' });
      const cal = readCalibration(flags.demand);
      const points: FitPoint[] = [...fitPoints(collected, cal.exponents), ...sp.points];
      const r = fitSuccess(points, { reps: flags.reps, seed: flags.seed, raw: flags.raw as Coordinate });
      // Stored as a run of kind efc-fit, so `agentdyno report` draws it without refitting.
      // (Sessions-only fits open no database, so they are not stored.)
      let runId: string | null = null;
      if (store) {
        runId = newRunId('efc-fit');
        const stored: EfcFitResultV1 = {
          fit: r, points, loopRuns: points.map((p) => p.runId), demandSource: cal.source,
          bands: { efcPerDemand: logisticBand(points, 'efcPerDemand', { seed: flags.seed }), [r.raw]: logisticBand(points, r.raw, { seed: flags.seed }) },
        };
        store.createRun({ id: runId, kind: 'efc-fit', config: { runs: argv, trajectories: flags.trajectories ?? [], raw: flags.raw, reps: flags.reps, seed: flags.seed, demand: flags.demand ?? null } });
        store.finishRun(runId, 'completed', stored);
      }
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, fitSvg(points, r));
      if (!this.jsonEnabled()) {
        this.log(fitTable(r));
        this.log(verdict(r));
        this.log(`demand: ${cal.source}${sp.points.length ? ` (${sp.points.length} session(s): demand not calibrated, 1)` : ''}; plot: ${out}${runId ? `; stored as run ${runId}` : ''}${collected.skipped.length ? `; skipped ${collected.skipped.length} run(s)` : ''}`);
      }
      return {
        runId,
        efc: { r2: r.fits.efcPerDemand.logistic.r2, ci: r.fits.efcPerDemand.ci },
        rawCompute: { r2: r.fits[r.raw].logistic.r2, ci: r.fits[r.raw].ci, measure: r.raw },
        n: r.n,
        detail: r,
        demand: cal,
        plot: out,
        skipped: collected.skipped,
        sessions: sp.points.length,
        note: 'our implementation of the EFC idea on our runs; not a reproduction of the paper',
      };
    } finally {
      store?.close();
    }
  }
}
