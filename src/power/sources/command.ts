/**
 * A user command that prints JSON lines `{"t": seconds, "value": number}` on stdout (a PDU script, a
 * meter bridge). Readings are stamped with the local monotonic clock on receipt; `t` is kept only as
 * the command's own label. The user declares kind, unit and boundary; a counter that goes
 * backwards is handled as a reset by the integrator.
 */
import { execa, type ResultPromise } from 'execa';
import { AgentdynoError } from '../../core/index.js';
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
      // Its own process group, so stop() reaches every process of a pipeline or script, not only the shell.
      child = execa(o.cmd, { shell: true, buffer: false, reject: false, stdin: 'ignore', stderr: 'pipe', detached: true });
      let errTail = '';
      child.stderr?.on('data', (d: Buffer) => (errTail = (errTail + d.toString('utf8')).slice(-400)));
      let lines = 0;
      const rl = createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        lines++;
        try {
          const j = JSON.parse(line) as { value?: unknown };
          c.push(typeof j.value === 'number' ? j.value * f : null);
        } catch {
          bad++;
          c.push(null);
        }
      });
      child.catch(() => {});
      // A command that dies at once (not found, wrong flags) is an error now, not "0 samples" later.
      const started = child;
      const early = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => resolve(null), EARLY_EXIT_MS);
        started.once('exit', (code, signal) => {
          clearTimeout(t);
          resolve(code ?? (signal ? 128 : 0));
        });
      });
      if (early !== null) await new Promise((r) => (rl.once('close', r), setTimeout(r, 200)));
      if (early !== null && lines === 0) {
        throw new AgentdynoError(`the command exited (status ${early}) before printing any reading${errTail.trim() ? `: ${errTail.trim().split('\n').slice(-2).join(' ')}` : ''}`, { code: 'E_POWER_SOURCE', where: `--power command:cmd=${o.cmd}`,
          hint: 'The command must keep running and print one JSON line {"t": s, "value": n} per reading on stdout; try it in a shell first.',
        });
      }
    },
    onStop: async () => {
      if (child) await stopProcessGroup(child, STOP_GRACE_MS);
    },
    extraFlags: () => (bad ? [`${bad} line(s) from the command were not JSON`] : []),
  });
}

/** A command that exits within this long of starting, without a reading, is refused at start. */
const EARLY_EXIT_MS = 300;

/** How long the command's process group gets after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 2_000;

const exited = (child: ResultPromise, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });

function signalGroup(child: ResultPromise, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  } catch {
    /* the group is gone already */
  }
}

/**
 * SIGTERM to the whole process group, SIGKILL after `graceMs`, and the stdout pipe closed, so stop()
 * resolves within about graceMs + 1 s even when a grandchild ignores SIGTERM or holds the pipe;
 * the shell is awaited, so no defunct child is left behind.
 */
export async function stopProcessGroup(child: ResultPromise, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGTERM');
  if (!(await exited(child, graceMs))) {
    signalGroup(child, 'SIGKILL');
    await exited(child, 1_000);
  }
  // Grandchildren that outlived the shell (a pipeline stage): the group is gone only once they are.
  signalGroup(child, 'SIGKILL');
  child.stdout?.destroy();
  await Promise.race([child.catch(() => undefined), new Promise((r) => setTimeout(r, 1_000))]);
}
