/**
 * Redfish power from a BMC / power shelf / PDU: GET an `EnvironmentMetrics` (EnergyJoules counter
 * preferred, else PowerWatts) or legacy `Power` resource on each poll. Credentials come from env
 * vars named in the spec (user_env/pass_env for Basic auth, or token_env for X-Auth-Token); they
 * are never logged, stored or printed. Self-signed TLS only with insecure_tls=true.
 */
import { registerSecret } from '../../core/index.js';
import { SampledChannel } from '../channel.js';
import { parseRedfishPower } from '../parsers/redfish.js';
import type { PowerSourceInfo } from '../types.js';
import { httpGetText } from './http.js';

export interface RedfishOptions {
  url?: string;
  userEnv?: string;
  passEnv?: string;
  tokenEnv?: string;
  insecureTls?: boolean;
  intervalMs?: number;
}

function headers(o: RedfishOptions): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  const env = (k?: string) => {
    if (!k) return undefined;
    const v = process.env[k];
    if (v === undefined) throw new Error(`env var ${k} is not set`);
    registerSecret(v); // masked wherever a BMC or anything else echoes it
    return v;
  };
  const token = env(o.tokenEnv);
  if (token) h['x-auth-token'] = token;
  const user = env(o.userEnv);
  const pass = env(o.passEnv);
  if (user !== undefined) h.authorization = 'Basic ' + Buffer.from(`${user}:${pass ?? ''}`).toString('base64');
  return h;
}

export async function openRedfishChannel(o: RedfishOptions): Promise<SampledChannel> {
  if (!o.url) throw new Error('redfish needs url=https://BMC/redfish/v1/Chassis/ID/EnvironmentMetrics (or .../Power)');
  const get = async () => parseRedfishPower(JSON.parse(await httpGetText(o.url!, { headers: headers(o), insecureTls: o.insecureTls, timeoutMs: 10_000 })));
  const first = await get();
  const counter = first.energyJ !== null;
  if (!counter && first.powerW === null) throw new Error(`${o.url}: no PowerWatts, EnergyJoules, EnergykWh or PowerControl[].PowerConsumedWatts in the response`);
  const info: PowerSourceInfo = {
    source: 'redfish',
    boundary: `the chassis/resource at ${new URL(o.url).pathname} as the BMC meters it`,
    field: counter ? first.field : first.kind === 'power' ? first.field : 'EnvironmentMetrics.PowerWatts',
    tool: 'redfish',
    statedAccuracy: first.accuracyPct !== null ? `${first.accuracyPct} % (Redfish Accuracy)` : 'unknown (no Accuracy property)',
    comparabilityClass: 'node-dc',
    simulated: false,
    boundaryKind: 'node',
    host: new URL(o.url).host,
    devices: [new URL(o.url).pathname],
    clockRule: 'each reading stamped with the local monotonic clock at receipt',
  };
  return new SampledChannel({
    info,
    kind: counter ? 'energy-counter' : 'power-instant',
    periodMs: o.intervalMs ?? 1000,
    poll: async () => {
      const r = await get();
      return counter ? r.energyJ : r.powerW;
    },
    extraFlags: () => (first.energyFromKWh ? ['energy from EnergykWh: coarse resolution, short windows are quantised'] : []),
  });
}
