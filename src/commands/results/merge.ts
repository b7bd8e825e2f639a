import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { formatMerged, loadShardRuns, mergeShards, writeMergedRun, type MergedLevel } from '../../scale/index.js';

export default class ResultsMerge extends AgentdynoCommand {
  static override description =
    'Merge the shard runs of one sharded replay level (`replay --concurrency N --shard I/K`, one database per machine) into one run: agents active and meeting summed per SLO tier and the verdict recomputed from the sums, errors and output tok/s summed, TTFT/TPOT/ITL/E2EL percentiles from added HDR histograms (never averaged percentiles). ' +
    'Refuses shards of different experiments, a missing or repeated shard, and windows that overlap by less than 90% of the shortest in wall-clock time (placed through each run\'s clock anchor). One level only: the adaptive sweep search cannot be sharded.';
  static override examples = [
    '<%= config.bin %> results merge --from shard0.db --from shard1.db --db merged.db',
    '<%= config.bin %> results merge replay-20260501-120000-ab12 replay-20260501-120000-cd34 --json',
  ];
  static override strict = false;
  static override args = { runs: Args.string({ description: 'Shard run ids (default: every completed shard run in the --from databases).' }) };
  static override flags = {
    from: Flags.string({ description: 'A shard\'s results database (repeatable); run ids are looked up in these. Default: the default database.', multiple: true }),
    db: Flags.string({ description: 'Database the merged run is written to (default $AGENTDYNO_DB or results/agentdyno.db).' }),
  };

  async run(): Promise<{ runId: string; db: string; merged: MergedLevel }> {
    const { argv, flags } = await this.parse(ResultsMerge);
    const shards = loadShardRuns(argv as string[], flags.from ?? []);
    const merged = mergeShards(shards);
    const out = writeMergedRun(flags.db, merged, shards);
    if (!this.jsonEnabled()) this.log(`agentdyno results merge -> ${out.runId} (${out.db})\n${formatMerged(merged)}`);
    return { runId: out.runId, db: out.db, merged };
  }
}
