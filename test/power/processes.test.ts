import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPowerChannel, SampledChannel } from '../../src/power/index.js';
import { listRaplZones, probeRapl, selectZones } from '../../src/power/sources/rapl.js';
import { probeNvidiaSmi } from '../../src/power/sources/nvidiaSmi.js';
import { recordPower } from '../../src/power/record.js';
import { openStore } from '../../src/store/index.js';

// Root reads a mode-000 file anyway (tests often run as root in containers), so the EACCES case
// is also injected at the fs layer for the one path the test names; everything else reads normally.
const deny = vi.hoisted(() => ({ path: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = ((p: unknown, ...rest: unknown[]) =>
    deny.path && String(p) === deny.path
      ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${String(p)}'`), { code: 'EACCES' }))
      : (orig.readFile as (...a: unknown[]) => Promise<unknown>)(p, ...rest)) as typeof orig.readFile;
  return { ...orig, readFile, default: { ...orig, readFile } };
});

const FIX = path.join(import.meta.dirname, '../fixtures/power');
let tmp: string;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agentdyno-power-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});

async function until(cond: () => boolean, maxMs = 10_000): Promise<void> {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > maxMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fakeBin(name: string, js: string): string {
  const dir = mkdtempSync(path.join(tmp, 'bin-'));
  const f = path.join(dir, name);
  writeFileSync(f, `#!/usr/bin/env node\n${js}\n`);
  chmodSync(f, 0o755);
  return dir;
}

function withPath(dir: string): void {
  const old = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${old}`;
  cleanups.push(() => (process.env.PATH = old));
}

describe('nvidia-smi source with a fake nvidia-smi on PATH (UNVALIDATED on real hardware)', () => {
  const FAKE = String.raw`
const a = process.argv.slice(2).join(' ');
if (!a.includes('--loop-ms=')) {
  console.log('0, GPU-aaaa, NVIDIA H100 80GB HBM3, 550.54.15');
  console.log('1, GPU-bbbb, NVIDIA H100 80GB HBM3, 550.54.15');
  process.exit(0);
}
let k = 0;
setInterval(() => {
  const ts = '2026/06/01 12:00:' + String(k % 60).padStart(2, '0') + '.000';
  console.log(ts + ', 0, GPU-aaaa, 300.00');
  console.log(ts + ', 1, GPU-bbbb, ' + (k % 5 === 4 ? '[N/A]' : '200.00'));
  k++;
}, 20);`;

  it('streams, sums GPUs, drops [N/A] ticks, records the field, and stops its child', async () => {
    withPath(fakeBin('nvidia-smi', FAKE));
    expect((await probeNvidiaSmi()).available).toBe(true);
    const ch = (await openPowerChannel('nvidia-smi:interval_ms=20')) as SampledChannel;
    const info = ch.info();
    expect(info.field).toMatch(/^power\.draw \(1 s trailing average/);
    expect(info.averagingWindowMs).toBe(1000);
    expect(info.devices).toEqual(['GPU-aaaa', 'GPU-bbbb']);
    expect(info.toolVersion).toBe('driver 550.54.15');
    const start = process.hrtime.bigint();
    await ch.start();
    await until(() => ch.samples.length >= 12);
    const end = process.hrtime.bigint();
    await ch.stop();
    const n = ch.samples.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(ch.samples.length).toBe(n); // child killed: no more lines
    expect(ch.samples.every((s) => s.value === 500)).toBe(true);
    expect(ch.invalid).toBeGreaterThanOrEqual(1);
    const w = await ch.window(start, end);
    expect(w.meanW).toBeCloseTo(500, 6);
    expect(w.comparabilityClass).toBe('gpu-board');
  });

  it('instant field uses the trapezoid and gpus= selects', async () => {
    withPath(fakeBin('nvidia-smi', FAKE));
    const ch = await openPowerChannel('nvidia-smi:gpus=0;field=power.draw.instant;interval_ms=20');
    expect(ch.info().readingKind).toBe('power-instant');
    expect(ch.info().devices).toEqual(['GPU-aaaa']);
  });

  it('a missing nvidia-smi is reported, not thrown', async () => {
    const r = await probeNvidiaSmi(path.join(tmp, 'no-such-nvidia-smi'));
    expect(r.available).toBe(false);
    expect(r.problems[0]).toMatch(/not found/);
  });
});

describe('ipmi source with a fake ipmitool', () => {
  it('passes the password only through IPMI_PASSWORD (-E), never argv', async () => {
    const log = path.join(tmp, 'ipmi-args.json');
    withPath(
      fakeBin(
        'ipmitool',
        `require('fs').writeFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), pw: process.env.IPMI_PASSWORD }));
process.stdout.write(require('fs').readFileSync(${JSON.stringify(path.join(FIX, 'ipmitool-dcmi-power-reading.txt'))}, 'utf8'));`,
      ),
    );
    process.env.TEST_IPMI_USER = 'admin';
    process.env.TEST_IPMI_PASS = 's3cret';
    cleanups.push(() => {
      delete process.env.TEST_IPMI_USER;
      delete process.env.TEST_IPMI_PASS;
    });
    const ch = await openPowerChannel('ipmi:host=127.0.0.1;user_env=TEST_IPMI_USER;pass_env=TEST_IPMI_PASS');
    const seen = JSON.parse(readFileSync(log, 'utf8')) as { argv: string[]; pw: string };
    expect(seen.argv).toEqual(['-I', 'lanplus', '-H', '127.0.0.1', '-U', 'admin', '-E', 'dcmi', 'power', 'reading']);
    expect(seen.pw).toBe('s3cret');
    expect(JSON.stringify(ch.info())).not.toContain('s3cret');
    expect(ch.info()).toMatchObject({ source: 'ipmi', boundaryKind: 'node', comparabilityClass: 'node-dc', readingKind: 'power-instant' });
    const start = process.hrtime.bigint();
    await ch.start();
    const w = await ch.window(start, process.hrtime.bigint());
    await ch.stop();
    expect(w.minW).toBe(612);
  });
});

describe('rapl source on a fake powercap tree', () => {
  const R = 65_532_610_987; // uJ (AMD EPYC 7543)
  function tree(): string {
    const root = mkdtempSync(path.join(tmp, 'powercap-'));
    const zone = (dir: string, name: string, uj: number) => {
      mkdirSync(path.join(root, dir));
      writeFileSync(path.join(root, dir, 'name'), name + '\n');
      writeFileSync(path.join(root, dir, 'max_energy_range_uj'), `${R}\n`);
      writeFileSync(path.join(root, dir, 'energy_uj'), `${uj}\n`);
    };
    zone('intel-rapl:0', 'package-0', R - 1_000_000_000); // 1000 J below the wrap
    zone('intel-rapl:0:0', 'core', 5);
    zone('intel-rapl:0:1', 'dram', 7_000_000);
    zone('intel-rapl:1', 'package-1', 1_000_000_000);
    zone('intel-rapl-mmio:0', 'package-0', 123);
    return root;
  }

  it('selects packages (+dram) without core, uncore or MMIO duplicates', async () => {
    const zones = await listRaplZones(tree());
    expect(selectZones(zones).map((z) => path.basename(z.dir))).toEqual(['intel-rapl:0', 'intel-rapl:1']);
    expect(selectZones(zones, ['package', 'dram']).map((z) => z.name)).toEqual(['package-0', 'package-1', 'dram']);
    expect(() => selectZones(zones, ['core'])).toThrow(/inside the package/);
  });

  it('sums zones and handles a wrap mid-window', async () => {
    const root = tree();
    const ch = await openPowerChannel(`rapl:root=${root};interval_ms=60000`);
    const start = process.hrtime.bigint();
    await ch.start();
    writeFileSync(path.join(root, 'intel-rapl:0', 'energy_uj'), `${500_000_000}\n`); // wrapped: +1500 J
    writeFileSync(path.join(root, 'intel-rapl:1', 'energy_uj'), `${3_000_000_000}\n`); // +2000 J
    await new Promise((r) => setTimeout(r, 20));
    await ch.window(start, process.hrtime.bigint()); // takes the edge read
    // A window reaching past the last read is cut at that read: exactly the two reads' difference.
    const w = await ch.window(start, process.hrtime.bigint() + 3_600_000_000_000n);
    await ch.stop();
    expect(w.energyJ).toBeCloseTo(3500, 6);
    expect(w.wraps).toBe(1);
    expect(w.comparabilityClass).toBe('cpu-package');
    expect(w.devices).toEqual(['intel-rapl:0', 'intel-rapl:1']);
  });

  it('probe explains an unreadable energy_uj', async () => {
    const root = tree();
    const file = path.join(root, 'intel-rapl:1', 'energy_uj');
    chmodSync(file, 0o000);
    deny.path = file;
    try {
      const r = await probeRapl(root);
      expect(r.available).toBe(false);
      expect(r.problems).toHaveLength(1); // only the unreadable zone
      expect(r.problems[0]).toMatch(/intel-rapl:1\/energy_uj: permission denied.*CVE-2020-8694/);
    } finally {
      deny.path = '';
    }
  });
});

describe('command, redfish and nameplate sources', () => {
  it('command: JSON lines with declared kind/unit/boundary', async () => {
    const ch = (await openPowerChannel(`command:cmd=while true; do echo '{"t":0,"value":250000}'; echo 'junk'; sleep 0.02; done;kind=power-instant;unit=mW;boundary=node;class=node-dc`)) as SampledChannel;
    const start = process.hrtime.bigint();
    await ch.start();
    await until(() => ch.samples.length >= 5);
    await ch.stop();
    const w = await ch.window(start, process.hrtime.bigint());
    expect(ch.samples.every((s) => s.value === 250)).toBe(true);
    expect(w.comparabilityClass).toBe('node-dc');
    expect(w.boundaryKind).toBe('node');
    expect(w.flags.join(' ')).toMatch(/not JSON/);
  });

  it('redfish: EnergyJoules counter with Basic auth from env', async () => {
    let n = 0;
    let auth = '';
    const srv = createServer((req, res) => {
      auth = String(req.headers.authorization);
      const j = JSON.parse(readFileSync(path.join(FIX, 'redfish-environment-metrics.json'), 'utf8'));
      j.EnergyJoules.Reading += 1000 * n++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(j));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => srv.close(r)));
    process.env.TEST_BMC_USER = 'root';
    process.env.TEST_BMC_PASS = 'pw';
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/redfish/v1/Chassis/1/EnvironmentMetrics`;
    const ch = await openPowerChannel(`redfish:url=${url};user_env=TEST_BMC_USER;pass_env=TEST_BMC_PASS;interval_ms=60000`);
    expect(auth).toBe('Basic ' + Buffer.from('root:pw').toString('base64'));
    expect(ch.info().field).toBe('EnvironmentMetrics.EnergyJoules');
    expect(JSON.stringify(ch.info())).not.toContain('pw"');
    const start = process.hrtime.bigint();
    await ch.start();
    await new Promise((r) => setTimeout(r, 10));
    await ch.window(start, process.hrtime.bigint()); // takes the edge read
    const w = await ch.window(start, process.hrtime.bigint() + 3_600_000_000_000n);
    await ch.stop();
    expect(w.energyJ).toBeCloseTo(1000, 6);
    expect(w.method).toBe('counter');
  });

  it('nameplate: declared, provisioned, exact', async () => {
    const ch = await openPowerChannel('nameplate:watts=10200;boundary=node');
    const w = await ch.window(0n, 60_000_000_000n);
    expect(w).toMatchObject({ meanW: 10200, energyJ: 612_000, comparabilityClass: 'provisioned', method: 'declared' });
    await expect(openPowerChannel('nameplate:watts=-5')).rejects.toThrow(/watts=N/);
  });
});

describe('power record into the store', () => {
  it('writes samples and the window as the run result', async () => {
    const store = openStore(':memory:');
    cleanups.push(() => store.close());
    const r = await recordPower({ spec: `replay:${path.join(FIX, 'square-wave.jsonl')}`, durationMs: 50, store });
    expect(r.samplesStored).toBe(601);
    const run = store.getRun(r.runId)!;
    expect(run.kind).toBe('power-record');
    expect(run.status).toBe('completed');
    expect((run.result as { window: { source: string } }).window.source).toBe('replay');
    expect(store.getPowerSamples(r.runId)).toHaveLength(601);
  });
});
