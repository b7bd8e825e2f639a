import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { recordPower, parseDurationMs, type RecordResult } from '../../power/record.js';
import { openStore } from '../../store/index.js';

export default class PowerRecord extends AgentdynoCommand {
  static override description =
    'Record a standalone power trace from one source into the results store (run kind power-record) and print its mean power, energy, coverage and flags.';
  static override examples = [
    "<%= config.bin %> power record --source 'nvidia-smi:field=power.draw.instant;interval_ms=100' --duration 60s",
    '<%= config.bin %> power record --source replay:power.jsonl --duration 5s --json',
    "<%= config.bin %> power record --source 'ipmi:host=10.0.0.7;user_env=IPMI_USER;pass_env=IPMI_PASS' --duration 10m",
  ];
  static override flags = {
    source: Flags.string({ description: 'power source spec SOURCE[:k=v;...] (see `agentdyno power probe`)', required: true }),
    duration: Flags.string({ description: 'how long to record: 30s, 5m, 1h, 500ms', default: '30s' }),
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
    'sim-url': Flags.string({ description: "simulator /metrics URL for --source sim" }),
  };

  async run(): Promise<RecordResult> {
    const { flags } = await this.parse(PowerRecord);
    const durationMs = parseDurationMs(flags.duration);
    const store = openStore(flags.db);
    const ac = new AbortController();
    const onInt = () => ac.abort();
    process.once('SIGINT', onInt);
    try {
      const r = await recordPower({ spec: flags.source, durationMs, store, ctx: { simMetricsUrl: flags['sim-url'] }, abort: ac.signal });
      if (!this.jsonEnabled()) {
        const w = r.window;
        const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
        this.log(`run ${r.runId}${r.interrupted ? ' (interrupted)' : ''}: ${r.samplesStored} samples over ${r.durationS.toFixed(1)} s`);
        this.log(`source ${w.source}${w.simulated ? ' (SIMULATED)' : ''}, field ${w.field ?? '?'}, boundary: ${w.boundary}, class ${w.comparabilityClass}`);
        this.log(`mean ${f(w.meanW)} W, energy ${f(w.energyJ)} J (${w.method}), coverage ${(w.coverage * 100).toFixed(1)} %, largest gap ${(w.largestGapMs / 1000).toFixed(2)} s, wraps ${w.wraps ?? 0}, resets ${w.resets ?? 0}`);
        for (const fl of w.flags) this.log(`  ! ${fl}`);
      }
      return r;
    } finally {
      process.removeListener('SIGINT', onInt);
      store.close();
    }
  }
}
