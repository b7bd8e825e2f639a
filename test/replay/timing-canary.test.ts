/**
 * Acceptance (issue 12 item 5): `replay --target` against a paced server in another process that
 * logs its own write times reports, from its timing canary, a read lag within a factor of 2 of the
 * true lag of the load's tokens (server write log vs the client's stored arrival stamps; clock offset
 * measured from the requests themselves, bench/timing-canary/compare.mjs). Needs the built CLI
 * (dist/; `npm test` builds first). 100 lanes here; bench/timing-canary/run.mjs does 500.
 *
 * Robustness on a loaded 2-core machine: the timing assertions compare the two p99s, with 1 ms of
 * slack (plus the measured clock-offset uncertainty) below which a ratio of two small numbers says
 * nothing. Every window must not hide lag (canary >= half the truth); one of at most two windows must
 * agree within 2x (a window beside another test file's burst can over-read, which only voids levels).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS bench helper, no types
import { timingCheck } from '../../bench/timing-canary/check.mjs';
// @ts-expect-error plain JS bench helper, no types
import { withinFactor2 } from '../../bench/timing-canary/compare.mjs';

describe('timing canary against an independent paced server (another process)', () => {
  it('100 streams: the canary p99 read lag is within a factor of 2 of the server-log truth, and never hides it', async () => {
    // Up to two measurements: with other test files on the same 2 cores, one 8 s window's p99 can rest
    // on a few spikes. Every window must not hide lag (the lie that matters: the gate would pass a level
    // whose timing was bad); one of them must agree within 2x (the claim; the bench measures it alone).
    const lines: string[] = [];
    let agreed = false;
    for (let attempt = 0; attempt < 2 && !agreed; attempt++) {
      const r = await timingCheck({ streams: 100, windowS: 8, warmupS: 2, tickMs: 20, outCap: 32, toolTimeScale: 0.1 });
      const line = `canary p50/p99/max ${r.canary.p50Ms.toFixed(2)}/${r.canary.p99Ms.toFixed(2)}/${r.canary.maxMs.toFixed(2)} ms (${r.canary.samples} events); ` +
        `server-log truth ${r.truth.p50Ms.toFixed(2)}/${r.truth.p99Ms.toFixed(2)}/${r.truth.maxMs.toFixed(2)} ms (${r.truth.samples} tokens); ` +
        `clock offset ${r.clock.thetaMs.toFixed(3)} +/- ${r.clock.uncertaintyMs.toFixed(3)} ms over ${r.clock.requestsMatched} requests`;
      console.log(`attempt ${attempt + 1}: ${line}`);
      lines.push(line);
      expect(r.canary.samples).toBeGreaterThan(100);
      expect(r.truth.samples).toBeGreaterThan(100);
      const slackMs = 1 + r.clock.uncertaintyMs;
      expect(r.canary.p99Ms, line).toBeGreaterThanOrEqual(r.truth.p99Ms / 2 - slackMs);
      agreed = withinFactor2(r.canary.p99Ms, r.truth.p99Ms, slackMs);
      // An ordinary server is not labelled simulated; the level counts coalesced window calls.
      expect(r.simulated).toBe(false);
      expect(typeof r.coalescedCalls).toBe('number');
    }
    expect(agreed, lines.join('\n')).toBe(true);
  }, 300_000);
});
