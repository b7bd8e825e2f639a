/**
 * Over real HTTP against the simulator (fast test profile): a short sweep finds N_max inside the
 * bracket predicted from the profile's step-time model and the trajectories' duty cycle, with the
 * simulated power integrated over each level's window; fault injection shows every error class
 * counted while the level still finishes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { EndpointClient } from '../../src/endpoint/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { openTarget, runRealLevel, runRealSweep, type SessionOptions, type Target } from '../../src/replay/index.js';
import { loadProfile, startSimServerInWorker } from '../../src/sim/index.js';
import { analyticCapacity } from '../../src/plan/index.js';
import { loadTrajectories } from '../../src/trajectory/index.js';

const FIX = resolve(__dirname, '../fixtures/replay');
const profile = loadProfile(resolve(FIX, 'fast.yaml'));
const trajectories = loadTrajectories([resolve(FIX, 'tiny.jsonl')]).map((l) => l.trajectory);
const tiers = [
  { sloTokPerS: 25, ttftCeilingMs: 2000 },
  { sloTokPerS: 50, ttftCeilingMs: 2000 },
];
const level = { warmupS: 0.3, windowS: 1.5, drainCapS: 0.5, warmupCapS: 10, toolTimeScale: 1, maxIdleGapMs: null, seed: 5, history: 'recorded' as const, midStart: true };
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

/** A Target on a sim started by the test, skipping openTarget's probes (the sim's behaviour is known). */
function simTarget(url: string): Target {
  const client = new EndpointClient({ baseUrl: url, model: profile.servedModelName, timeoutMs: 10_000 });
  closers.push(() => client.close(true));
  return {
    url,
    model: profile.servedModelName,
    maxModelLen: profile.maxModelLen,
    simulated: true,
    simProfile: profile.name,
    client,
    probe: { ok: true, errorClass: null, errorMessage: null, streamed: true, usagePresent: true, honoursForcedLength: true, requestedTokens: 16, completionTokens: 16, outputChunks: 16 },
    tokenModel: { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 },
    forceOutputLength: true,
    power: [],
    notes: [],
    close: async () => undefined,
  };
}

function session(target: Target, over: Partial<SessionOptions> = {}): SessionOptions {
  return { target, trajectories, tiers, slo: { callPassFraction: 0.9, agentPassFraction: 0.95 }, validity: { ...DEFAULT_VALIDITY, minWindowS: 1 }, level, store: null, runId: 'test', sink: null, signal: new AbortController().signal, ...over };
}

/** Analytic N_max (the planner's estimate): the batch at which the step model hits the floor, over the requests in flight per lane at that speed. */
const predictedNMax = (floor: number): number => analyticCapacity(profile, trajectories, floor).agents;

describe('replay against the simulator over HTTP', () => {
  it('a short sweep finds N_max per tier inside the analytically predicted bracket, with simulated agents/MW', async () => {
    const target = await openTarget({
      startEmbeddedSim: async () => {
        const s = await startSimServerInWorker({ profile, port: 0, seed: 3 });
        return { url: s.url, profileName: s.profile.name, close: () => s.close() };
      },
    });
    closers.push(() => target.close());
    expect(target.simulated).toBe(true);
    expect(target.tokenModel).toMatchObject({ tokensPerWord: 1, perMessage: 3, perRequest: 3, maxRelError: 0 });
    // A window and drain long enough for whole calls to outnumber fragments (the judged-share gate).
    // This test checks the search against the analytic bracket; the client-timing rule (canary p99
    // <= 10% of the inter-token period) has its own tests and on a shared CI host voids tiers at random.
    const r = await runRealSweep(session(target, { level: { ...level, windowS: 3, drainCapS: 2 }, validity: { ...DEFAULT_VALIDITY, minWindowS: 1, maxCanaryLagShare: Infinity } }), { startConcurrency: 3, growth: 2, maxConcurrency: 64, resolution: 0.5, replicates: 0, maxLevels: 9 });
    for (const l of r.levels) expect(l.report.reasons, `level ${l.concurrency}`).toEqual([]);
    expect(r.status).toBe('completed');
    for (const [i, t] of r.tiers.entries()) {
      const predicted = predictedNMax(t.sloTokPerS);
      expect(t.resolved).toBe(true);
      expect(t.nMax).not.toBeNull();
      // Fluctuating batches make the measured boundary lower than the mean-batch prediction.
      expect(t.nMax!).toBeGreaterThanOrEqual(Math.floor(predicted * 0.3));
      expect(t.nMax!).toBeLessThanOrEqual(Math.ceil(predicted * 1.3));
      expect(t.minFailing!).toBeGreaterThan(predicted * 0.3);
      expect(t.power?.simulated).toBe(true);
      expect(t.power?.comparabilityClass).toBe('simulated');
      expect(t.agentsPerMW).toBeCloseTo(t.nMax! / (t.power!.meanW! / 1e6), 6);
      if (i === 1) expect(t.nMax!).toBeLessThanOrEqual(r.tiers[0].nMax!); // the faster tier fails first
    }
    // Prompt sizes exact, prefix cache doing its job, no errors.
    for (const l of r.levels) {
      expect(l.report.promptTokenError.maxPct ?? 0).toBe(0);
      expect(l.report.errors).toEqual({});
      expect(l.power[0].meanW).toBeGreaterThan(profile.power.idleW - 1);
    }
    expect(r.levels.reduce((s, l) => s + (l.report.cache.cachedTokens ?? 0), 0)).toBeGreaterThan(0);
    expect(r.levels.some((l) => l.report.promptTokenError.maxPct === 0)).toBe(true);
    console.log(r.tiers.map((t) => `${t.sloTokPerS} tok/s: [${t.nMax}, ${t.minFailing}] predicted ${predictedNMax(t.sloTokPerS).toFixed(1)}; levels ${r.levels.map((l) => l.concurrency).join(',')}`).join('\n'));
  });

  it('fault injection: resets, 429s, 500s and malformed SSE are each counted per class and the level finishes', async () => {
    // Enough calls that every class shows up whatever the timing (at 8% and ~40 calls a reset was
    // missing in a few percent of runs on a loaded machine).
    const sim = await startSimServerInWorker({ profile, port: 0, seed: 11, resetProb: 0.12, rateLimitProb: 0.12, error500Prob: 0.12, malformedProb: 0.12, retryAfterS: 1 });
    closers.push(() => sim.close());
    const target = simTarget(sim.url);
    const { report } = await runRealLevel(session(target, { level: { ...level, windowS: 5 } }), 8);
    expect(report.callsSentInWindow).toBeGreaterThan(20);
    const all = report.errorsAllCalls;
    for (const cls of ['reset', 'http_429', 'http_5xx', 'malformed_sse']) expect(all[cls] ?? 0, `${cls} in ${JSON.stringify(all)}`).toBeGreaterThan(0);
    expect(report.valid, JSON.stringify({ errors: report.errors, rate: report.errorRate, sent: report.callsSentInWindow, reasons: report.reasons })).toBe(false);
    expect(report.reasons.join(' ')).toMatch(/error rate/);
    expect(report.tiers[0].callFailures.error).toBeGreaterThan(0);
    expect(report.interrupted).toBe(false);
  });

  it('--retries: 429s are retried after Retry-After, counted as retried faults, and the TTFT of a retried call counts from its first try', async () => {
    const sim = await startSimServerInWorker({ profile, port: 0, seed: 12, rateLimitProb: 0.3, retryAfterS: 0 });
    closers.push(() => sim.close());
    const target = simTarget(sim.url);
    const { run, report } = await runRealLevel(session(target, { level: { ...level, windowS: 2, retries: 6 } }), 4);
    expect(report.retriedFaults.http_429 ?? 0).toBeGreaterThan(0);
    // With 6 retries at p=0.3 a call fails for good with probability 0.3^7: the window errors nearly vanish.
    expect(report.errors.http_429 ?? 0).toBeLessThan(report.retriedFaults.http_429);
    const retried = run.records.filter((r) => r.result.ok && (r.result.attempts?.length ?? 0) > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const r of retried) expect(r.result.attempts![0].tSendNs).toBeLessThan(r.result.tSendNs);
  });
});
