/** `openPowerChannel(spec, ctx)`: one channel per --power spec. */
import { AgentdynoError } from '../core/index.js';
import type { ReadingKind } from './integrate.js';
import { listOption, numOption, parsePowerSpec, type PowerSpec } from './spec.js';
import { openDcgmChannel } from './sources/dcgm.js';
import { openReplayChannel } from './sources/replay.js';
import { openNvidiaSmiChannel } from './sources/nvidiaSmi.js';
import { openRaplChannel } from './sources/rapl.js';
import { openIpmiChannel } from './sources/ipmi.js';
import { openRedfishChannel } from './sources/redfish.js';
import { openCommandChannel } from './sources/command.js';
import { openNameplateChannel } from './sources/nameplate.js';
import type { BoundaryKind, ComparabilityClass, PowerChannel, PowerContext } from './types.js';

const KINDS: ReadingKind[] = ['energy-counter', 'power-instant', 'power-interval-avg', 'constant'];
const BOUNDARY_KINDS: BoundaryKind[] = ['gpu-board', 'cpu-package', 'dram', 'node', 'facility', 'provisioned', 'simulated', 'user'];
const CLASSES: ComparabilityClass[] = ['simulated', 'gpu-board', 'cpu-package', 'node-dc', 'facility', 'provisioned', 'user-declared'];

function oneOf<T extends string>(spec: PowerSpec, key: string, allowed: readonly T[]): T | undefined {
  const v = spec.options[key];
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new AgentdynoError(`option ${key}="${v}" in --power "${spec.raw}" is not one of ${allowed.join(', ')}.`, { code: 'E_POWER_SPEC', where: '--power', hint: `Pick one of ${allowed.join(', ')}.` });
  }
  return v as T;
}

/** Declared boundary options shared by replay and command. */
export function declaredBoundary(spec: PowerSpec): { boundaryKind?: BoundaryKind; comparabilityClass?: ComparabilityClass; boundary?: string } {
  const b = spec.options.boundary;
  const bk = b && (BOUNDARY_KINDS as string[]).includes(b) ? (b as BoundaryKind) : b ? 'user' : undefined;
  return { boundaryKind: bk, comparabilityClass: oneOf(spec, 'class', CLASSES), boundary: spec.options.boundary_text ?? b };
}

export async function openPowerChannel(specOrString: string | PowerSpec, ctx: PowerContext = {}): Promise<PowerChannel> {
  const spec = typeof specOrString === 'string' ? parsePowerSpec(specOrString) : specOrString;
  const o = spec.options;
  try {
    switch (spec.source) {
      case 'sim': {
        const url = o.url ?? ctx.simMetricsUrl;
        if (!url) throw new AgentdynoError('--power sim needs the simulator\'s /metrics URL.', { code: 'E_POWER_SPEC', where: '--power sim', hint: 'Run against the embedded simulator (default target) or give sim:url=http://127.0.0.1:PORT/metrics.' });
        return await openDcgmChannel({ url, simulated: true, intervalMs: numOption(spec, 'interval_ms'), field: oneOf(spec, 'field', ['energy', 'power', 'auto'] as const) });
      }
      case 'dcgm-exporter':
        return await openDcgmChannel({
          url: o.url ?? 'http://127.0.0.1:9400/metrics',
          gpus: listOption(spec, 'gpus'),
          field: oneOf(spec, 'field', ['energy', 'power', 'auto'] as const),
          intervalMs: numOption(spec, 'interval_ms'),
        });
      case 'replay': {
        if (!o.file) throw new AgentdynoError('--power replay needs a file: replay:FILE.', { code: 'E_POWER_SPEC', where: '--power', hint: 'e.g. --power replay:power.csv' });
        const d = declaredBoundary(spec);
        return await openReplayChannel({
          file: o.file,
          kind: oneOf(spec, 'kind', KINDS),
          unit: o.unit,
          field: o.field,
          gpus: listOption(spec, 'gpus'),
          offsetS: numOption(spec, 'offset_s'),
          boundary: d.boundary,
          boundaryKind: d.boundaryKind,
          comparabilityClass: d.comparabilityClass,
          simulated: o.simulated === undefined ? undefined : o.simulated === 'true',
        });
      }
      case 'nvidia-smi':
        return await openNvidiaSmiChannel({
          gpus: listOption(spec, 'gpus'),
          field: o.field,
          intervalMs: numOption(spec, 'interval_ms'),
          bin: o.bin,
        });
      case 'rapl':
        return await openRaplChannel({ root: o.root, zones: listOption(spec, 'zones'), intervalMs: numOption(spec, 'interval_ms') });
      case 'ipmi':
        return await openIpmiChannel({ host: o.host, userEnv: o.user_env, passEnv: o.pass_env, intervalMs: numOption(spec, 'interval_ms'), bin: o.bin, boundaryKind: oneOf(spec, 'boundary', BOUNDARY_KINDS) });
      case 'redfish':
        return await openRedfishChannel({
          url: o.url,
          userEnv: o.user_env,
          passEnv: o.pass_env,
          tokenEnv: o.token_env,
          insecureTls: o.insecure_tls === 'true',
          intervalMs: numOption(spec, 'interval_ms'),
        });
      case 'command': {
        if (!o.cmd) throw new AgentdynoError('--power command needs cmd=...', { code: 'E_POWER_SPEC', where: '--power', hint: 'e.g. command:cmd=./pdu.sh;kind=power-instant;unit=W;boundary=node' });
        const d = declaredBoundary(spec);
        return await openCommandChannel({ cmd: o.cmd, kind: oneOf(spec, 'kind', KINDS) ?? 'power-instant', unit: o.unit ?? 'W', ...d, accuracy: o.accuracy });
      }
      case 'nameplate': {
        const watts = numOption(spec, 'watts');
        if (watts === undefined || watts <= 0) throw new AgentdynoError('--power nameplate needs watts=N (> 0).', { code: 'E_POWER_SPEC', where: '--power', hint: 'e.g. nameplate:watts=10200;boundary=node' });
        return openNameplateChannel({ watts, boundary: o.boundary, source: o.source });
      }
    }
  } catch (e) {
    if (e instanceof AgentdynoError) throw e;
    throw new AgentdynoError(`cannot open power source "${spec.raw}": ${(e as Error).message}`, { code: 'E_POWER_SPEC', where: '--power',
      hint: 'Run `agentdyno power probe` to see which sources work on this machine and why others do not.',
      cause: e,
    });
  }
}

/**
 * Idle power for reporting beside (never subtracted from) the headline: integrates a started
 * channel over the next `durationMs` with no load applied by the caller.
 */
export async function measureIdle(ch: PowerChannel, durationMs: number): Promise<import('./types.js').WindowPower> {
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, durationMs));
  return ch.window(start, process.hrtime.bigint());
}
