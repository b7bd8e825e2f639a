import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const built = existsSync('dist/commands/replay.js');
const run = (...args: string[]) => execa('node', ['bin/run.js', ...args], { reject: false, env: { AGENTDYNO_DB: join(mkdtempSync(join(tmpdir(), 'ol-db-')), 'a.db') } });

describe.skipIf(!built)('agentdyno replay --arrivals (CLI, embedded simulator)', () => {
  it('replays a Mooncake-style trace on its recorded arrivals and prints the measured lag', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ol-cli-'));
    const traj = join(d, 'm.jsonl');
    expect((await run('import', 'mooncake', 'test/fixtures/replay/mooncake-style.jsonl', '--out', traj)).exitCode).toBe(0);
    const r = await run('replay', '--arrivals', 'recorded', '--trajectories', traj, '--warmup', '0.5', '--window', '2', '--min-window', '1', '--drain-cap', '1', '--max-arrival-lag-ms', '500');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/OPEN LOOP: recorded arrivals of 60 calls/);
    expect(r.stdout).toMatch(/arrivals vs schedule \(client-side queueing, scheduled -> first request sent\): p50 [\d.]+ ms, p99 [\d.]+ ms/);
    const bad = await run('replay', '--rate', '3');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('--rate needs --arrivals');
  }, 60_000);
});
