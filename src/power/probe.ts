/** `probeAll()`: what each source kind can do here, and why not. Reads only; starts nothing lasting. */
import { probeNvidiaSmi } from './sources/nvidiaSmi.js';
import { probeRapl } from './sources/rapl.js';
import { probeIpmi } from './sources/ipmi.js';
import { httpGetText } from './sources/http.js';
import { dcgmFromPage, parsePrometheusText } from './parsers/prometheus.js';
import { SOURCE_KINDS, type SourceKind } from './spec.js';
import type { PowerContext } from './types.js';

export interface ProbeEntry {
  name: SourceKind;
  available: boolean;
  problems: string[];
  detail?: string;
  example: string;
}

export interface ProbeOptions extends PowerContext {
  dcgmUrl?: string;
  raplRoot?: string;
  nvidiaSmiBin?: string;
  ipmitoolBin?: string;
}

const EXAMPLES: Record<SourceKind, string> = {
  'nvidia-smi': 'nvidia-smi:gpus=0,1;field=power.draw.instant;interval_ms=100',
  'dcgm-exporter': 'dcgm-exporter:url=http://127.0.0.1:9400/metrics',
  rapl: 'rapl:zones=package,dram',
  ipmi: 'ipmi:host=10.0.0.7;user_env=IPMI_USER;pass_env=IPMI_PASS',
  redfish: 'redfish:url=https://bmc/redfish/v1/Chassis/1/EnvironmentMetrics;user_env=BMC_USER;pass_env=BMC_PASS',
  command: 'command:cmd=./read-pdu.sh;kind=power-instant;unit=W;boundary=node;class=node-dc',
  nameplate: 'nameplate:watts=10200;boundary=node',
  replay: 'replay:power.csv',
  sim: 'sim',
};

async function probeDcgm(url: string): Promise<{ available: boolean; problems: string[]; detail?: string }> {
  try {
    const r = dcgmFromPage(parsePrometheusText(await httpGetText(url, { timeoutMs: 2000 })));
    if (r.energyJ === null && r.powerW === null) return { available: false, problems: [`${url} answered but has no DCGM power metrics`] };
    return { available: true, problems: r.energyJ === null ? ['no energy counter on the page: the power gauge will be used'] : [], detail: `${r.gpus.length} GPU(s)` };
  } catch (e) {
    return { available: false, problems: [`${url}: ${(e as Error).message}`] };
  }
}

export async function probeAll(o: ProbeOptions = {}): Promise<{ sources: ProbeEntry[] }> {
  const dcgmUrl = o.dcgmUrl ?? 'http://127.0.0.1:9400/metrics';
  const [nv, dc, ra, ip, sim] = await Promise.all([
    probeNvidiaSmi(o.nvidiaSmiBin),
    probeDcgm(dcgmUrl),
    probeRapl(o.raplRoot),
    probeIpmi(o.ipmitoolBin),
    o.simMetricsUrl
      ? probeDcgm(o.simMetricsUrl)
      : Promise.resolve({ available: true, problems: ['available whenever the embedded simulator is the target (simulated, never comparable with hardware)'] }),
  ]);
  const r: Record<SourceKind, { available: boolean; problems: string[]; detail?: string }> = {
    'nvidia-smi': nv,
    'dcgm-exporter': dc,
    rapl: ra,
    ipmi: ip,
    redfish: { available: true, problems: ['needs url= of a BMC EnvironmentMetrics or Power resource; not probed without one'] },
    command: { available: true, problems: ['needs cmd= printing JSON lines {"t":..,"value":..}; boundary is whatever you declare'] },
    nameplate: { available: true, problems: ['declared power (class provisioned), not a measurement'] },
    replay: { available: true, problems: ['needs a recorded log file (JSONL, CSV, nvidia-smi CSV, MLPerf spl.txt)'] },
    sim: sim,
  };
  return { sources: SOURCE_KINDS.map((name) => ({ name, ...r[name], example: EXAMPLES[name] })) };
}
