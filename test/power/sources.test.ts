import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/core/index.js';
import { openPowerChannel, type PowerChannel } from '../../src/power/index.js';
import { openDcgmChannel } from '../../src/power/sources/dcgm.js';
import { openReplayChannel } from '../../src/power/sources/replay.js';
import { startSimServer } from '../../src/sim/index.js';
import { fastProfile } from '../sim/helpers.js';

const FIX = path.join(import.meta.dirname, '../fixtures/power');
const fixture = (f: string) => readFileSync(path.join(FIX, f), 'utf8');
const ns = (ms: number) => BigInt(Math.round(ms * 1e6));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Loopback server answering /metrics with `page(n)` for the n-th scrape. */
async function metricsServer(page: (n: number) => string): Promise<string> {
  let n = 0;
  const srv: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(page(n++));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  const addr = srv.address() as { port: number };
  return `http://127.0.0.1:${addr.port}/metrics`;
}

function simPage(counterMj: number, watts: number): string {
  return fixture('sim-metrics.txt').replace('1234567', String(counterMj)).replace('612.500000', watts.toFixed(6));
}

describe('sim source (DCGM-style /metrics of the simulator)', () => {
  it('integrates the mJ energy counter and is labelled simulated', async () => {
    const clock = new ManualClock(1000);
    // 100 J per 250 ms scrape = 400 W.
    const url = await metricsServer((n) => simPage(5_000_000 + n * 100_000, 400));
    const ch = await openDcgmChannel({ url, simulated: true, clock, intervalMs: 60_000 });
    const t0 = clock.nowMs();
    await ch.start();
    for (let i = 0; i < 40; i++) {
      clock.advanceMs(250);
      await ch.pollNow();
    }
    await ch.stop();
    const w = await ch.window(ns(t0 + 500), ns(t0 + 9500));
    expect(w.meanW).toBeCloseTo(400, 6);
    expect(w.energyJ).toBeCloseTo(3600, 6);
    expect(w.method).toBe('counter');
    expect(w.simulated).toBe(true);
    expect(w.comparabilityClass).toBe('simulated');
    expect(w.field).toBe('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION');
    expect(w.flags.join(' ')).toMatch(/simulated/);
    expect(w.tooSparse).toBe(false);
  });

  it("openPowerChannel('sim', {simMetricsUrl}) against the real simulator server", async () => {
    const sim = await startSimServer({ profile: fastProfile(), port: 0 });
    cleanups.push(() => sim.close());
    const ch: PowerChannel = await openPowerChannel('sim:interval_ms=50', { simMetricsUrl: `${sim.url}/metrics` });
    const start = process.hrtime.bigint();
    await ch.start();
    await new Promise((r) => setTimeout(r, 700));
    const end = process.hrtime.bigint();
    const w = await ch.window(start, end);
    await ch.stop();
    expect(ch.info().simulated).toBe(true);
    expect(w.comparabilityClass).toBe('simulated');
    expect(w.samples).toBeGreaterThanOrEqual(2);
    // The fast profile idles at 50 W and peaks at 250 W.
    expect(w.meanW).not.toBeNull();
    expect(w.meanW as number).toBeGreaterThan(40);
    expect(w.meanW as number).toBeLessThan(260);
  });

  it("'sim' without a metrics URL is a clear user error", async () => {
    await expect(openPowerChannel('sim', {})).rejects.toThrow(/metrics URL/);
  });
});

describe('dcgm-exporter source', () => {
  it('prefers the energy counter and sums GPUs (mJ -> J)', async () => {
    const url = await metricsServer(() => fixture('dcgm-exporter.metrics.txt'));
    const ch = await openDcgmChannel({ url });
    const info = ch.info();
    expect(info.field).toBe('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION');
    expect(info.devices).toEqual(['0', '1']);
    expect(info.comparabilityClass).toBe('gpu-board');
    expect(info.simulated).toBe(false);
  });

  it('falls back to the gauge with field=power', async () => {
    const url = await metricsServer(() => fixture('dcgm-exporter.metrics.txt'));
    const ch = await openDcgmChannel({ url, field: 'power', gpus: ['1'] });
    expect(ch.info().field).toBe('DCGM_FI_DEV_POWER_USAGE');
    expect(ch.info().devices).toEqual(['1']);
  });

  it('flags stale values and a long collect interval (30 s default)', async () => {
    const clock = new ManualClock(0);
    // The exporter refreshes every 30 s: the counter changes only on every 30th 1-s scrape.
    const url = await metricsServer((n) => fixture('dcgm-exporter.metrics.txt').replace('81234567890', String(81234567890 + Math.floor(n / 30) * 15_000_000)));
    const ch = await openDcgmChannel({ url, clock, intervalMs: 1000 });
    await ch.start();
    for (let i = 0; i < 130; i++) {
      clock.advanceMs(1000);
      await ch.pollNow();
    }
    const w = ch.windowMs(5_000, 125_000);
    expect(w.flags.join(' ')).toMatch(/update only every ~30 s/);
    const w2 = ch.windowMs(5_000, 118_000); // changes seen at 29, 59, 89, 119 s
    expect(w2.flags.join(' ')).toMatch(/stale: value unchanged/);
    // Counter stamped where it first changed: 15 kJ per 30 s = 500 W, up to the staleness at the edges.
    expect(Math.abs((w.meanW as number) - 500)).toBeLessThan(25);
    await ch.stop();
  });
});

describe('replay source (virtual clock: log t=0 = channel start)', () => {
  it('replays a JSONL square wave with declared boundary', async () => {
    const clock = new ManualClock(10_000);
    const ch = await openReplayChannel({ file: path.join(FIX, 'square-wave.jsonl'), clock });
    await ch.start();
    const w = await ch.window(ns(10_000), ns(70_000));
    expect(w.meanW).toBeCloseTo(400, 1);
    expect(w.method).toBe('trapezoid');
    expect(w.comparabilityClass).toBe('node-dc');
    expect(w.boundaryKind).toBe('node');
    expect(w.clockRule).toMatch(/t=0 aligned to channel start/);
    // A window 20-30 s into the log: 200 W for 20-25 s? No: 20-25 is period 4 (even) -> 200, 25-30 -> 600.
    const w2 = await ch.window(ns(30_000), ns(40_000));
    expect(w2.meanW).toBeCloseTo(400, 0);
    const w3 = await ch.window(ns(30_500), ns(34_500));
    expect(w3.meanW).toBeCloseTo(200, 6);
  });

  it('replays an MLPerf spl.txt (1 s averages, 0 W line dropped)', async () => {
    const clock = new ManualClock(0);
    const ch = await openReplayChannel({ file: path.join(FIX, 'mlperf-spl.txt'), clock });
    await ch.start();
    const w = await ch.window(ns(1_000), ns(59_000));
    expect(w.method).toBe('interval-average');
    expect(w.meanW as number).toBeGreaterThan(395);
    expect(w.meanW as number).toBeLessThan(405);
    expect(w.invalidSamples).toBe(1);
    expect(w.comparabilityClass).toBe('facility');
  });

  it('replays a nvidia-smi CSV, summing GPUs, [N/A] tick dropped', async () => {
    const clock = new ManualClock(0);
    const ch = await openReplayChannel({ file: path.join(FIX, 'nvidia-smi.csv'), clock, field: 'power.draw.instant' });
    await ch.start();
    const w = await ch.window(ns(0), ns(3_000));
    expect(w.invalidSamples).toBe(1);
    expect(w.meanW as number).toBeGreaterThan(699);
    expect(w.meanW as number).toBeLessThan(703);
    expect(w.comparabilityClass).toBe('gpu-board');
    expect(w.tooSparse).toBe(true); // 3 readings in 3 s
  });

  it("openPowerChannel('replay:FILE') with offset and declared class", async () => {
    const ch = await openPowerChannel(`replay:${path.join(FIX, 'square-wave.jsonl')};offset_s=0;class=facility;boundary=facility`);
    expect(ch.info().comparabilityClass).toBe('facility');
    const t = process.hrtime.bigint();
    await ch.start();
    const w = await ch.window(t, t + 60_000_000_000n);
    expect(w.meanW as number).toBeGreaterThan(395);
    expect(w.meanW as number).toBeLessThan(405);
    await ch.stop();
  });

  it('a missing replay file is a clear user error', async () => {
    await expect(openPowerChannel('replay:/nonexistent/power.csv')).rejects.toThrow(/cannot read power log/);
  });
});

describe('the sweep path: open, start, window per level, stop, agents/MW', () => {
  it('replays a log across three levels and prints agents/MW with metadata', async () => {
    const { agentsPerMW, combineWindows } = await import('../../src/power/index.js');
    const ch = await openPowerChannel(`replay:${path.join(FIX, 'square-wave.jsonl')}`);
    const t0 = process.hrtime.bigint();
    await ch.start();
    const s = 1_000_000_000n;
    const levels = [
      [t0 + 0n * s, t0 + 20n * s],
      [t0 + 20n * s, t0 + 40n * s],
      [t0 + 40n * s, t0 + 60n * s],
    ];
    const ws = [];
    for (const [a, b] of levels) ws.push(await ch.window(a, b));
    await ch.stop();
    for (const w of ws) expect(w.meanW).toBeCloseTo(400, 0);
    const apm = agentsPerMW(8, ws[2]);
    expect(apm.value).toBeCloseTo(8 / 400e-6, -2);
    expect(apm).toMatchObject({ comparabilityClass: 'node-dc', label: 'measured', method: 'trapezoid' });
    expect(apm.samples).toBeGreaterThan(190);
    // A declared nameplate must not be added to it.
    const np = await openPowerChannel('nameplate:watts=10200;boundary=node');
    const npw = await np.window(levels[2][0], levels[2][1]);
    expect(() => combineWindows([ws[2], npw])).toThrow(/provisioned/);
  });
});
