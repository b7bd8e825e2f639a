import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { openStore, toRunDocument, validateRunDocument, type LoopConfirmationRow, type LoopIterationRow, type RunRecord, type SweepPointRow } from '../../store/index.js';
import { renderRunDetail } from '../../ui/index.js';
import { formatBudgetTree, type AgentBudgetTreeReport } from '../../budget/index.js';

export default class ResultsShow extends AgentdynoCommand {
  static override description = 'Show one stored run: metadata, and for sweeps the sweep points of every SLO tier.';
  static override examples = ['<%= config.bin %> results show sweep-20261123-120000-ab12', '<%= config.bin %> results show sweep-20261123-120000-ab12 --json'];
  static override args = { id: Args.string({ description: 'run id (see `agentdyno results list`)', required: true }) };
  static override flags = {
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
  };

  async run(): Promise<{ run: RunRecord; sweepPoints: SweepPointRow[]; requestCount: number; loopIterations: LoopIterationRow[]; loopConfirmations: LoopConfirmationRow[] }> {
    const { args, flags } = await this.parse(ResultsShow);
    const store = openStore(flags.db, { mustExist: true });
    try {
      const run = store.requireRun(args.id);
      const sweepPoints = store.getSweepPoints(run.id);
      const requestCount = store.countRequests(run.id);
      const loopIterations = store.getLoopIterations(run.id).map((it) => ({
        ...it,
        // JSON output has no bigint
        tStartNs: it.tStartNs === null ? null : (String(it.tStartNs) as unknown as bigint),
        tEndNs: it.tEndNs === null ? null : (String(it.tEndNs) as unknown as bigint),
      }));
      // `loop confirm` re-measurements: events of their own, the iterations above untouched.
      const loopConfirmations = store.getLoopConfirmations(run.id);
      // Stored results are agentdyno.run.v1: say so when one does not match (older version, or a bug).
      const problems = validateRunDocument(toRunDocument(run));
      if (problems.length) this.logToStderr(`warning: the stored result does not match agentdyno.run.v1 (${problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`).join('; ')}); shown as stored`);
      if (!this.jsonEnabled()) {
        this.log(renderRunDetail(run, { sweepPoints, requestCount }).trimEnd());
        // Loop runs (every agent kind): the budget tree across the agent and its sub-agents.
        const tree = (run.result as { budgetTree?: AgentBudgetTreeReport } | null)?.budgetTree;
        if (tree) for (const l of formatBudgetTree(tree)) this.log(l);
        for (const c of loopConfirmations) this.log(`confirmation ${c.seq} (${c.at}): iteration ${c.iteration} ${c.outcome}${(c.detail as { reasons?: string[] } | null)?.reasons?.length ? `: ${(c.detail as { reasons: string[] }).reasons.join('; ')}` : ''}`);
      }
      return { run, sweepPoints, requestCount, loopIterations, loopConfirmations };
    } finally {
      store.close();
    }
  }
}
