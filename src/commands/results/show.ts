import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { openStore, toRunDocument, validateRunDocument, type LoopConfirmationRow, type LoopIterationRow, type RunDocument, type RunRecord, type SweepPointRow } from '../../store/index.js';
import { loadRun, renderRunText } from '../../report/index.js';
import { renderRunDetail, renderRunMeta } from '../../ui/index.js';
import { formatBudgetTree, type AgentBudgetTreeReport } from '../../budget/index.js';

export default class ResultsShow extends AgentdynoCommand {
  static override description =
    'Show one stored run: metadata, then its typed result (agentdyno.run.v1) section by section, as `agentdyno report` lays it out (charts named, not drawn). A run stored before that schema is shown from its stored fields, with a note.';
  static override examples = ['<%= config.bin %> results show sweep-20261123-120000-ab12', '<%= config.bin %> results show sweep-20261123-120000-ab12 --json'];
  static override args = { id: Args.string({ description: 'run id (see `agentdyno results list`)', required: true }) };
  static override flags = {
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
  };

  async run(): Promise<{ run: RunRecord; document: RunDocument | null; schemaProblems: string[]; sweepPoints: SweepPointRow[]; requestCount: number; loopIterations: LoopIterationRow[]; loopConfirmations: LoopConfirmationRow[] }> {
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
      // The typed result is what every view reads; only a run that does not match it (stored before
      // agentdyno.run.v1, or by a build with a bug) is shown from its loose stored fields.
      const doc = toRunDocument(run);
      const schemaProblems = validateRunDocument(doc).map((p) => `${p.path}: ${p.message}`);
      const typed = schemaProblems.length === 0;
      // stderr even with --json (oclif keeps logToStderr quiet then): the note is not part of the result.
      if (!typed) process.stderr.write(`note: ${run.id}'s stored result does not match agentdyno.run.v1 (${schemaProblems.slice(0, 3).join('; ')}): it was stored before the schema (or by a build with a bug), so it is shown from its stored fields as they are; \`agentdyno report\` needs the typed result.\n`);
      if (!this.jsonEnabled()) {
        if (typed) {
          this.log(renderRunMeta(run, { requestCount }));
          this.log(renderRunText(loadRun(store, run.id)).trimEnd());
        } else {
          this.log(renderRunDetail(run, { sweepPoints, requestCount }).trimEnd());
        }
        // Loop runs (every agent kind): the budget tree across the agent and its sub-agents.
        const tree = (run.result as { budgetTree?: AgentBudgetTreeReport } | null)?.budgetTree;
        if (tree) for (const l of formatBudgetTree(tree)) this.log(l);
        for (const c of loopConfirmations) this.log(`confirmation ${c.seq} (${c.at}): iteration ${c.iteration} ${c.outcome}${(c.detail as { reasons?: string[] } | null)?.reasons?.length ? `: ${(c.detail as { reasons: string[] }).reasons.join('; ')}` : ''}`);
      }
      return { run, document: typed ? doc : null, schemaProblems, sweepPoints, requestCount, loopIterations, loopConfirmations };
    } finally {
      store.close();
    }
  }
}
