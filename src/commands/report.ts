import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../core/index.js';
import { writeReport, type ReportFormat, type WrittenReport } from '../report/index.js';
import { openStore } from '../store/index.js';

export default class Report extends AgentdynoCommand {
  static override description =
    'Render stored runs as one self-contained HTML page (no network at view time) or Markdown, with an SVG per chart beside it. One run: its own page (sweep: pass rate vs N per tier with bracket, N_max and cliff, Pareto, TTFT/decode/ITL per level, power trace with its phases and boundary, client timing lag, provenance; loop, suite, EFC fit, budget bench, replay, merged shards, power record). Several runs: a comparison page (agents/MW ratios refused across power classes, as `results compare`). Reads stored results only: nothing is re-measured.';
  static override examples = [
    '<%= config.bin %> report sweep-20261201-222101-35e4',
    '<%= config.bin %> report sweep-A sweep-B --out results/compare.html',
    '<%= config.bin %> report loop-20261201-222218-9804 --format md --out results/loop.md',
  ];
  static override strict = false;
  static override args = { runs: Args.string({ description: 'run id(s) (see `agentdyno results list`)', required: true }) };
  static override flags = {
    out: Flags.string({ description: 'output file (default results/report-<first run>.html or .md)' }),
    format: Flags.string({ description: 'html: one self-contained page; md: Markdown with the SVGs beside it', options: ['html', 'md'], default: 'html' }),
    png: Flags.boolean({ description: 'also a PNG beside each chart SVG (drawn by the system Chromium through puppeteer-core)' }),
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
  };

  async run(): Promise<WrittenReport> {
    const { argv, flags } = await this.parse(Report);
    const ids = argv as string[];
    const format = flags.format as ReportFormat;
    const store = openStore(flags.db, { mustExist: true });
    try {
      const out = flags.out ?? `results/report-${ids[0]}${ids.length > 1 ? `-and-${ids.length - 1}` : ''}.${format === 'md' ? 'md' : 'html'}`;
      const w = await writeReport(store, ids, { out, format, png: flags.png });
      if (!this.jsonEnabled()) this.log(`wrote ${w.out} (${w.charts.length} charts; SVGs in ${w.charts[0] ? w.charts[0].svg.replace(/\/[^/]+$/, '') : '-'})`);
      return w;
    } finally {
      store.close();
    }
  }
}
