import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError } from '../../core/index.js';
import { compareRuns, type CompareResult } from '../../power/index.js';
import { openStore } from '../../store/index.js';

export default class ResultsCompare extends AgentdynoCommand {
  static override description =
    'Compare agents/MW of two sweep runs tier by tier. A ratio is printed only when both figures share a power comparability class; simulated vs measured and cross-boundary ratios are refused with the reason.';
  static override examples = ['<%= config.bin %> results compare sweep-20261123-120000-ab12 sweep-20261124-090000-cd34', '<%= config.bin %> results compare A B --json'];
  static override args = {
    a: Args.string({ description: 'first run id', required: true }),
    b: Args.string({ description: 'second run id', required: true }),
  };
  static override flags = { db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }) };

  async run(): Promise<CompareResult> {
    const { args, flags } = await this.parse(ResultsCompare);
    const store = openStore(flags.db, { mustExist: true });
    try {
      const ra = store.requireRun(args.a);
      const rb = store.requireRun(args.b);
      let r: CompareResult;
      try {
        r = compareRuns({ id: ra.id, result: ra.result }, { id: rb.id, result: rb.result });
      } catch (e) {
        throw new AgentdynoError((e as Error).message, { code: 'E_USAGE', where: flags.db ?? 'results store', hint: 'Compare two finished sweep runs (see `agentdyno results list`).' });
      }
      if (!this.jsonEnabled()) {
        const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : Math.round(v).toLocaleString('en-US'));
        this.log(`${'tier'.padEnd(12)} ${`${r.a}`.padEnd(30)} ${`${r.b}`.padEnd(30)} ratio A/B`);
        for (const row of r.rows) {
          const rate = (x: number | null) => (x === null ? '-' : String(x));
          const cell = (s: typeof row.a) => (!s ? '-' : s.arrivalRatePerS ? `open loop [${rate(s.arrivalRatePerS.maxPassing)}, ${rate(s.arrivalRatePerS.minFailing)}] req/s` : `${fmt(s.agentsPerMW)} agents/MW [${s.simulated ? 'SIMULATED' : s.comparabilityClass ?? '?'}]`);
          this.log(`${row.tier.padEnd(12)} ${cell(row.a).padEnd(30)} ${cell(row.b).padEnd(30)} ${row.ratio === null ? 'refused' : row.ratio.toFixed(3)}`);
          if (row.refused) this.log(`  ${row.refused}`);
        }
      }
      return r;
    } finally {
      store.close();
    }
  }
}
