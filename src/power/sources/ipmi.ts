/**
 * BMC node power via `ipmitool dcmi power reading` (instantaneous W, polled ~1 Hz). Local (in-band,
 * needs /dev/ipmi0 and root) or out-of-band with `-I lanplus -H host -U user -E`: the password goes
 * through the IPMI_PASSWORD env var of the child only (`-E`), never argv, logs or the store.
 */
import { registerSecret } from '../../core/index.js';
import { runTool } from './exec.js';
import { SampledChannel } from '../channel.js';
import { parseDcmiPowerReading } from '../parsers/ipmi.js';
import type { BoundaryKind, PowerSourceInfo } from '../types.js';

export interface IpmiOptions {
  host?: string;
  userEnv?: string;
  passEnv?: string;
  intervalMs?: number;
  bin?: string;
  boundaryKind?: BoundaryKind;
}

function argsFor(o: IpmiOptions): { args: string[]; env: Record<string, string> } {
  if (!o.host) return { args: ['dcmi', 'power', 'reading'], env: {} };
  const user = o.userEnv ? process.env[o.userEnv] : undefined;
  const pass = o.passEnv ? process.env[o.passEnv] : undefined;
  if (o.userEnv && user === undefined) throw new Error(`env var ${o.userEnv} (user_env) is not set`);
  if (o.passEnv && pass === undefined) throw new Error(`env var ${o.passEnv} (pass_env) is not set`);
  registerSecret(pass); // masked wherever ipmitool or anything else echoes it
  const args = ['-I', 'lanplus', '-H', o.host];
  if (user) args.push('-U', user);
  if (pass !== undefined) args.push('-E');
  args.push('dcmi', 'power', 'reading');
  return { args, env: pass !== undefined ? { IPMI_PASSWORD: pass } : {} };
}

export async function readIpmi(o: IpmiOptions): Promise<number | null> {
  const { args, env } = argsFor(o);
  const r = await runTool(o.bin ?? 'ipmitool', args, { env });
  if (r.exitCode !== 0) throw new Error(`ipmitool exited ${r.exitCode}: ${String(r.stderr).trim().slice(0, 200)}`);
  const p = parseDcmiPowerReading(String(r.stdout));
  if (p.active === false) throw new Error('BMC reports "Power reading state is: deactivated"');
  return p.instantW;
}

export async function openIpmiChannel(o: IpmiOptions): Promise<SampledChannel> {
  const bk = o.boundaryKind ?? 'node';
  const info: PowerSourceInfo = {
    source: 'ipmi',
    boundary: `whole node as its BMC reports it (${o.host ?? 'local BMC'}); AC input or DC output depends on the BMC/PSU`,
    includes: ['everything the BMC meters: CPUs, GPUs, memory, fans, NICs (per vendor)'],
    excludes: ['other nodes', 'switches', 'facility cooling'],
    field: 'DCMI Instantaneous power reading (W, 1 W steps)',
    tool: 'ipmitool',
    statedAccuracy: 'unknown (vendor undocumented)',
    comparabilityClass: bk === 'facility' ? 'facility' : 'node-dc',
    simulated: false,
    boundaryKind: bk,
    host: o.host ?? 'local',
    clockRule: 'each reading stamped with the local monotonic clock when ipmitool returns',
  };
  await readIpmi(o); // fail early with a clear reason
  return new SampledChannel({ info, kind: 'power-instant', periodMs: o.intervalMs ?? 1000, poll: () => readIpmi(o) });
}

export async function probeIpmi(bin = 'ipmitool'): Promise<{ available: boolean; problems: string[] }> {
  try {
    const r = await runTool(bin, ['dcmi', 'power', 'reading']);
    if (r.exitCode === 0 && parseDcmiPowerReading(String(r.stdout)).instantW !== null) return { available: true, problems: [] };
    return { available: false, problems: [`ipmitool dcmi power reading failed in-band: ${String(r.stderr || r.stdout).trim().slice(0, 160) || `exit ${r.exitCode}`} (needs root and /dev/ipmi0; out-of-band: ipmi:host=...;user_env=...;pass_env=...)`] };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { available: false, problems: [err.code === 'ENOENT' ? 'ipmitool not found on PATH' : err.message] };
  }
}
