import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { probeAll, type ProbeEntry } from '../../power/index.js';

export default class PowerProbe extends AgentdynoCommand {
  static override description =
    'Check which power sources work on this machine (nvidia-smi, dcgm-exporter, rapl, ipmi, redfish, command, nameplate, replay, sim) and why the others do not. Reads only; changes nothing.';
  static override examples = ['<%= config.bin %> power probe', '<%= config.bin %> power probe --json', '<%= config.bin %> power probe --dcgm-url http://node07:9400/metrics'];
  static override flags = {
    'dcgm-url': Flags.string({ description: 'dcgm-exporter /metrics URL to try', default: 'http://127.0.0.1:9400/metrics' }),
    'sim-url': Flags.string({ description: "a running simulator's /metrics URL to try" }),
  };

  async run(): Promise<{ sources: ProbeEntry[] }> {
    const { flags } = await this.parse(PowerProbe);
    const r = await probeAll({ dcgmUrl: flags['dcgm-url'], simMetricsUrl: flags['sim-url'] });
    if (!this.jsonEnabled()) {
      for (const s of r.sources) {
        this.log(`${s.available ? 'yes' : 'no '}  ${s.name.padEnd(14)} ${s.detail ?? ''}`.trimEnd());
        for (const p of s.problems) this.log(`       - ${p}`);
        this.log(`       e.g. --power '${s.example}'`);
      }
    }
    return r;
  }
}
