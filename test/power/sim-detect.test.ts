/** Issue 12 item 6: power read from the simulator's /metrics is simulated whatever the spec calls it. */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openPowerChannel, parsePrometheusText } from '../../src/power/index.js';
import { pageIsSimulator } from '../../src/power/sources/dcgm.js';
import { startSimServer } from '../../src/sim/index.js';
import { fastProfile } from '../sim/helpers.js';

const FIX = path.join(import.meta.dirname, '../fixtures/power');
const fixture = (f: string) => readFileSync(path.join(FIX, f), 'utf8');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function pageServer(page: string): Promise<string> {
  const srv: Server = createServer((_q, res) => res.end(page));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}/metrics`;
}

describe('simulator /metrics read as dcgm-exporter', () => {
  it('the live simulator named as dcgm-exporter: class simulated, simulated true, with the reason', async () => {
    const sim = await startSimServer({ profile: fastProfile(), port: 0 });
    cleanups.push(() => sim.close());
    const ch = await openPowerChannel(`dcgm-exporter:url=${sim.url}/metrics;interval_ms=50`);
    const start = process.hrtime.bigint();
    await ch.start();
    await new Promise((r) => setTimeout(r, 300));
    const w = await ch.window(start, process.hrtime.bigint());
    await ch.stop();
    expect(ch.info()).toMatchObject({ comparabilityClass: 'simulated', simulated: true, boundaryKind: 'simulated', source: 'sim' });
    expect(w.comparabilityClass).toBe('simulated');
    expect(w.simulated).toBe(true);
    expect(w.flags.join(' ')).toMatch(/agentdyno's simulator/);
  });

  it('an older simulator page without the info gauge is still recognised by its DCGM labels', () => {
    expect(pageIsSimulator(parsePrometheusText(fixture('sim-metrics.txt')))).toBe(true);
  });

  it('a real dcgm-exporter page stays gpu-board, not simulated', async () => {
    expect(pageIsSimulator(parsePrometheusText(fixture('dcgm-exporter.metrics.txt')))).toBe(false);
    const ch = await openPowerChannel(`dcgm-exporter:url=${await pageServer(fixture('dcgm-exporter.metrics.txt'))}`);
    expect(ch.info()).toMatchObject({ comparabilityClass: 'gpu-board', simulated: false, source: 'dcgm-exporter' });
  });
});
