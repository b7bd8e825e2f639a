/**
 * The `command:` power source stops within a deadline: the whole process group gets SIGTERM, then
 * SIGKILL, and the shell is reaped (no defunct child), even when the command ignores SIGTERM or a
 * pipeline stage holds stdout open.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { openPowerChannel, type SampledChannel } from '../../src/power/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'agentdyno-cmdstop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (f: () => boolean, ms = 20_000) => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Processes left in the group (ps lists zombies too, as state Z). */
function groupMembers(pgid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,stat=', '-g', String(pgid)], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

async function stopCase(script: string): Promise<void> {
  const pidFile = path.join(dir, `${Math.random().toString(36).slice(2)}.pid`);
  const ch = (await openPowerChannel(`command:cmd=echo $$ > ${pidFile}; ${script};kind=power-instant;unit=W`)) as SampledChannel;
  await ch.start();
  await until(() => ch.samples.length >= 3);
  const pgid = Number(readFileSync(pidFile, 'utf8').trim());
  expect(groupMembers(pgid).length).toBeGreaterThan(0);
  await ch.stop(); // the test's own timeout is the deadline: a hang fails it
  await until(() => groupMembers(pgid).length === 0, 3_000);
}

describe('command power source stop()', () => {
  it('ends a plain loop', async () => {
    await stopCase(`while true; do echo '{"value": 100}'; sleep 0.05; done`);
  }, 15_000);

  it('ends a shell that ignores SIGTERM (SIGKILL after the grace period)', async () => {
    await stopCase(`trap '' TERM; while true; do echo '{"value": 100}'; sleep 0.05; done`);
  }, 15_000);

  it('ends every stage of a pipeline that holds stdout open', async () => {
    await stopCase(`while true; do echo '{"value": 100}'; sleep 0.05; done | cat`);
  }, 15_000);
});
