/**
 * A user command that prints JSON lines `{"t": seconds, "value": number}` on stdout (a PDU script, a
 * meter bridge). Readings are stamped with the local monotonic clock on receipt; `t` is kept only as
 * the command's own label. The user declares kind, unit and boundary; a counter that goes
 * backwards is handled as a reset by the integrator.
 */
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import { SampledChannel } from '../channel.js';
import { unitFactor } from '../parsers/logs.js';
import type { ReadingKind } from '../integrate.js';
import type { BoundaryKind, ComparabilityClass, PowerSourceInfo } from '../types.js';

export interface CommandOptions {
  cmd: string;
  kind: ReadingKind;
  unit: string;
  boundary?: string;
  boundaryKind?: BoundaryKind;
  comparabilityClass?: ComparabilityClass;
  accuracy?: string;
}

export async function openCommandChannel(o: CommandOptions): Promise<SampledChannel> {
  const f = unitFactor(o.unit, '--power command unit');
  const info: PowerSourceInfo = {
    source: 'command',
    boundary: o.boundary ? `user-declared: ${o.boundary}` : 'user-declared (undeclared boundary)',
    field: `JSON lines value [${o.unit}] (${o.kind})`,
    tool: 'command',
    statedAccuracy: o.accuracy ?? 'as declared (none given)',
    comparabilityClass: o.comparabilityClass ?? 'user-declared',
    simulated: false,
    boundaryKind: o.boundaryKind ?? 'user',
    host: 'local',
    devices: [o.cmd.split(/\s+/)[0]],
    clockRule: 'each line stamped with the local monotonic clock on receipt',
  };
  let child: ResultPromise | null = null;
  let bad = 0;
  return new SampledChannel({
    info,
    kind: o.kind,
    onStart: async (c) => {
      child = execa(o.cmd, { shell: true, buffer: false, reject: false, stdin: 'ignore', stderr: 'ignore' });
      const rl = createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        try {
          const j = JSON.parse(line) as { value?: unknown };
          c.push(typeof j.value === 'number' ? j.value * f : null);
        } catch {
          bad++;
          c.push(null);
        }
      });
      child.catch(() => {});
    },
    onStop: async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await child.catch(() => {});
      }
    },
    extraFlags: () => (bad ? [`${bad} line(s) from the command were not JSON`] : []),
  });
}
