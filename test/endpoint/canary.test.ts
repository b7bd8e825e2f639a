import { describe, expect, it } from 'vitest';
import { canaryStats, startTimingCanary } from '../../src/endpoint/index.js';

const busyFor = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* hold the event loop */
  }
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timing canary', () => {
  it('canaryStats: percentiles and max of the lags; empty = NaN with 0 samples', () => {
    const s = canaryStats([1, 2, 3, 4, 100]);
    expect(s.samples).toBe(5);
    expect(s.p50Ms).toBe(3);
    expect(s.maxMs).toBe(100);
    expect(s.p99Ms).toBeGreaterThan(4);
    const e = canaryStats([]);
    expect(e.samples).toBe(0);
    expect(Number.isNaN(e.p99Ms)).toBe(true);
  });

  // The canary reads through the load's own transport: a canary on undici beside a load on net
  // over-read the load's lag 2.5x on a loaded machine (it measured undici's read path, not net's).
  it.each(['net', 'undici'] as const)('sees the time this event loop is held (%s transport): blocked stretches show up as lag of about their length', async (transport) => {
    const c = await startTimingCanary({ intervalMs: 2, transport });
    try {
      await wait(300);
      expect(c.stats().samples).toBeGreaterThan(10);
      c.reset();
      // Hold the loop for 60 ms at a time: every event written meanwhile is read only afterwards.
      for (let i = 0; i < 6; i++) {
        busyFor(60);
        await wait(20);
      }
      const s = c.stop();
      expect(s.samples).toBeGreaterThan(10);
      // An event written at the start of a 60 ms block waits ~60 ms; scheduling on a loaded machine
      // can only add to that, never take it away, so the bound is one-sided.
      expect(s.maxMs).toBeGreaterThan(40);
      expect(s.p99Ms).toBeGreaterThan(30);
      expect(s.p50Ms).toBeLessThanOrEqual(s.p99Ms);
      expect(s.p99Ms).toBeLessThanOrEqual(s.maxMs);
    } finally {
      c.stop();
      await c.closed;
    }
  });

  it('stop() is idempotent and the writer thread exits', async () => {
    const c = await startTimingCanary();
    await wait(50);
    const a = c.stop();
    const b = c.stop();
    expect(b).toEqual(a);
    await c.closed;
  });
});
