import fs from 'node:fs';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, checkOutputPath } from '../../core/index.js';
import { openStore, resolveDbPath, writeRunExport, type ExportFormat } from '../../store/index.js';

export default class ResultsExport extends AgentdynoCommand {
  static override description =
    'Export one stored run: json = run + sweep points + requests (ns as strings); csv = the requests table with a header.';
  static override examples = [
    '<%= config.bin %> results export sweep-20261123-120000-ab12 --format csv --out requests.csv',
    '<%= config.bin %> results export sweep-20261123-120000-ab12 --format json > run.json',
  ];
  static override args = { id: Args.string({ description: 'run id (see `agentdyno results list`)', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'output format', options: ['json', 'csv'], default: 'json' }),
    out: Flags.string({ description: 'write to this file instead of stdout' }),
    force: Flags.boolean({ description: 'replace --out when it exists (never the database itself)', default: false }),
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
  };

  async run(): Promise<{ id: string; format: ExportFormat; out: string | null }> {
    const { args, flags } = await this.parse(ResultsExport);
    const format = flags.format as ExportFormat;
    if (flags.out) {
      const db = resolveDbPath(flags.db);
      checkOutputPath(flags.out, { inputs: [db, `${db}-wal`, `${db}-shm`], force: flags.force });
    }
    const store = openStore(flags.db, { mustExist: true });
    try {
      store.requireRun(args.id);
      if (flags.out) {
        const file = path.resolve(flags.out);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const fd = fs.openSync(file, 'w');
        try {
          await writeRunExport(store, args.id, format, (chunk) => void fs.writeSync(fd, chunk));
        } finally {
          fs.closeSync(fd);
        }
        if (!this.jsonEnabled()) this.logToStderr(`Wrote ${format} export of ${args.id} to ${file}`);
        return { id: args.id, format, out: file };
      }
      if (this.jsonEnabled()) {
        // --json prints the command's result object; an export to stdout needs --out or no --json.
        this.logToStderr('With --json the export itself is not printed; add --out FILE to write it.');
        return { id: args.id, format, out: null };
      }
      await writeRunExport(store, args.id, format, (chunk) => writeStdout(chunk));
      return { id: args.id, format, out: null };
    } finally {
      store.close();
    }
  }
}

/** Respects back-pressure so a big csv piped into `head` or a slow consumer does not buffer in memory. */
function writeStdout(chunk: string): Promise<void> | void {
  if (process.stdout.write(chunk)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
