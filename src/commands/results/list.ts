import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { openStore, resolveDbPath, type RunStatus } from '../../store/index.js';
import { renderTable, resultSummary, shortTime } from '../../ui/index.js';

export interface ListedRun {
  id: string;
  kind: string;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
}

export default class ResultsList extends AgentdynoCommand {
  static override description = 'List stored runs, newest first (from results/agentdyno.db, or --db / AGENTDYNO_DB).';
  static override examples = [
    '<%= config.bin %> results list',
    '<%= config.bin %> results list --kind sweep --limit 5',
    '<%= config.bin %> results list --json --db /data/agentdyno.db',
  ];
  static override flags = {
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
    kind: Flags.string({ description: 'only runs of this kind (sweep, suite, budget, ...)' }),
    limit: Flags.integer({ description: 'at most this many runs', default: 20, min: 1 }),
  };

  async run(): Promise<{ runs: ListedRun[] }> {
    const { flags } = await this.parse(ResultsList);
    const file = resolveDbPath(flags.db);
    if (file !== ':memory:' && !fs.existsSync(file)) {
      if (!this.jsonEnabled()) this.logToStderr(`No results database at ${file} yet: no runs stored.`);
      return { runs: [] };
    }
    const store = openStore(file);
    try {
      const runs = store.listRuns({ kind: flags.kind, limit: flags.limit });
      if (!this.jsonEnabled()) {
        if (runs.length === 0) this.logToStderr(`No runs${flags.kind ? ` of kind "${flags.kind}"` : ''} in ${file}.`);
        else
          this.log(
            renderTable(
              ['id', 'kind', 'status', 'started (UTC)', 'summary'],
              runs.map((r) => [r.id, r.kind, r.status, shortTime(r.startedAt), resultSummary(r.result)]),
            ).trimEnd(),
          );
      }
      return { runs: runs.map((r) => ({ id: r.id, kind: r.kind, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt })) };
    } finally {
      store.close();
    }
  }
}
