/**
 * Issue 12 item 6, through the built CLI (dist/): a `sim serve` process reached with --target is
 * labelled SIMULATED in the text, the JSON, the stored rows and the CSV export; its /metrics read as
 * `dcgm-exporter` is power class simulated. A plain OpenAI-compatible server is not labelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const FIX = resolve(ROOT, 'test/fixtures/replay');
const built = existsSync(join(ROOT, 'dist/commands/replay.js'));
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-simtarget-'));
const cli = (args: string[]) => execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout: 120_000, env: { CI: '1' } });
const short = ['--trajectories', join(FIX, 'tiny.jsonl'), '--concurrency', '2', '--window', '1', '--warmup', '0.2', '--drain-cap', '0.3', '--min-window', '0.5'];

let serve: ResultPromise | null = null;
let url = '';
beforeAll(async () => {
  if (!built) return;
  serve = execa('node', [join(ROOT, 'bin/run.js'), 'sim', 'serve', '--port', '0', '--profile', join(FIX, 'fast.yaml')], { cwd: ROOT, reject: false });
  url = await new Promise<string>((ok, fail) => {
    let out = '';
    serve!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok(m[1]);
    });
    void serve!.then((r) => fail(new Error(`sim serve exited: ${r.stderr}`)));
  });
}, 60_000);
afterAll(async () => {
  serve?.kill('SIGINT');
  await serve;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)('SIMULATED travels with a sim serve target', () => {
  it('replay --target <sim serve>: SIMULATED in text, JSON, stored rows and CSV; default power class simulated', async () => {
    const db = join(dir, 'a.db');
    const text = await cli(['replay', '--target', url, ...short, '--db', db]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/SIMULATED server/);
    expect(text.stdout).toMatch(/SIMULATED: the target is agentdyno's simulator \(x-agentdyno-sim header/);
    expect(text.stdout).toMatch(/class simulated; SIMULATED/);
    expect(text.stdout).toMatch(/client timing: read lag p50 [\d.]+ \/ p99 [\d.]+ \/ max [\d.]+ ms/);

    const json = await cli(['replay', '--target', url, ...short, '--db', db, '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.simulated).toBe(true);
    expect(out.power[0]).toMatchObject({ comparabilityClass: 'simulated', simulated: true });
    expect(out.level.canary.samples).toBeGreaterThan(0);
    for (const k of ['p50Ms', 'p99Ms', 'maxMs']) expect(typeof out.level.canary[k]).toBe('number');

    const csv = await cli(['results', 'export', out.runId, '--db', db, '--format', 'csv']);
    expect(csv.exitCode, csv.stderr).toBe(0);
    const [head, ...rows] = csv.stdout.trim().split('\n');
    const cols = head.split(',');
    const sim = cols.indexOf('simulated');
    const coalesced = cols.indexOf('coalesced_reads');
    expect(sim).toBeGreaterThan(0);
    expect(coalesced).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const f = r.split(',');
      expect(f[sim]).toBe('1');
      expect(f[coalesced]).toMatch(/^\d+$/);
    }
  }, 120_000);

  it('--power dcgm-exporter:url=<sim>/metrics is class simulated, not gpu-board', async () => {
    const r = await cli(['replay', '--target', url, ...short, '--db', join(dir, 'b.db'), '--json', '--power', `dcgm-exporter:url=${url}/metrics`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.power).toHaveLength(1);
    expect(out.power[0]).toMatchObject({ comparabilityClass: 'simulated', simulated: true, source: 'sim' });
  }, 120_000);
});
