import { describe, expect, it } from 'vitest';
import { endpointLost, runSweep, type LevelReport } from '../../src/replay/index.js';
import type { SearchOptions } from '../../src/slo/index.js';
import type { WindowPower } from '../../src/power/index.js';
import type { ProgressEvent } from '../../src/ui/index.js';

const tiers = [
  { sloTokPerS: 20, ttftCeilingMs: 10000 },
  { sloTokPerS: 60, ttftCeilingMs: 10000 },
];
const search: SearchOptions = { startConcurrency: 2, growth: 2, maxConcurrency: 256, resolution: 0.25, replicates: 1, maxLevels: 30 };
const slo = { callPassFraction: 0.9, agentPassFraction: 0.95 };

/** A fake level report for capacity caps (tier passes iff N <= cap); windows are 10 s apart. */
function fakeReport(n: number, index: number, caps: number[], over: Partial<LevelReport> = {}): LevelReport {
  const start = BigInt(index) * 10_000_000_000n;
  return {
    concurrency: n,
    valid: true,
    reasons: [],
    interrupted: false,
    windowStartNs: start.toString(),
    windowEndNs: (start + 5_000_000_000n).toString(),
    windowS: 5,
    warmupCompleted: true,
    callsInWindow: n * 3,
    callsSentInWindow: n * 3,
    partialCalls: 0,
    agentsActive: n,
    tiers: caps.map((c, i) => ({
      sloTokPerS: tiers[i].sloTokPerS,
      ttftCeilingMs: 10000,
      passRate: n <= c ? 1 : 0.2,
      pass: n <= c,
      agentsActive: n,
      agentsMeeting: n <= c ? n : Math.round(n * 0.2),
      callsJudged: n * 3,
      callsMeeting: 0,
      callFailures: { ttft: i === 1 ? 0 : 5, decode: i === 1 ? 9 : 1, error: 0 },
      bindingConstraint: n <= c ? ('none' as const) : i === 1 ? ('decode' as const) : ('ttft' as const),
      valid: true,
      reasons: [],
      agentRule: 'calls-and-tokens' as const,
      agentsJudged: n,
      agentsSilent: 0,
      callsPartial: 0,
      callsPartialMeeting: 0,
      excluded: [],
    })),
    errors: { http_5xx: 1 },
    errorsAllCalls: { http_5xx: 1 },
    retriedFaults: {},
    errorRate: 0.01,
    contextOverflowRate: 0,
    outputTokPerS: 100 * n,
    vllm: {} as LevelReport['vllm'],
    saturation: null,
    peakInFlight: n,
    treesCompleted: 0,
    cache: { promptTokens: 0, cachedTokens: 0, expectedCachedTokens: 0 },
    contentMode: 'synthetic',
    content: { mode: 'synthetic', recordedCalls: 0, syntheticFallbackCalls: 0 },
    promptTokenError: { calls: 0, meanPct: null, p99Pct: null, maxPct: null, calibration: 'tokenize', calibrationCheckPct: 0, targetPct: 1, synthetic: { calls: 0, meanPct: null, p99Pct: null, maxPct: null }, recorded: { calls: 0, meanPct: null, p99Pct: null, maxPct: null } },
    tokensPerPiece: 1,
    ...over,
  };
}

const simPower = (startNs: bigint, endNs: bigint, meanW: number): WindowPower => ({
  source: 'sim',
  boundary: 'simulated GPU board',
  comparabilityClass: 'simulated',
  simulated: true,
  startNs: startNs.toString(),
  endNs: endNs.toString(),
  meanW,
  energyJ: meanW * 5,
  samples: 10,
  coverage: 1,
  largestGapMs: 500,
  method: 'counter',
  flags: [],
});

describe('sweep orchestration', () => {
  it('resolves every tier from the same levels, integrates power over each level window, and computes agents/MW at N_max', async () => {
    const windows: [bigint, bigint][] = [];
    const events: ProgressEvent[] = [];
    const stored: number[] = [];
    const r = await runSweep(tiers, slo, search, {
      runLevel: async (n, i) => fakeReport(n, i, [40, 6]),
      powerWindows: async (a, b) => {
        windows.push([a, b]);
        return [simPower(a, b, 100 + Number(a / 1_000_000_000n))];
      },
      onLevelDone: (l) => void stored.push(l.concurrency),
      emit: (e) => events.push(e),
      idle: [simPower(0n, 1_000_000_000n, 42)],
    });
    expect(r.status).toBe('completed');
    const [t20, t60] = r.tiers;
    // Idle power is reported beside the headline and not subtracted from it.
    expect(t60.power!.idleW).toBe(42);
    expect(t60.powerChannels[0].idleW).toBe(42);
    expect(t20.nMax).toBeLessThanOrEqual(40);
    expect(t20.minFailing).toBeGreaterThan(40);
    expect(t60.nMax).toBe(6);
    expect(t60.minFailing).toBeGreaterThan(6);
    expect(t60.minFailing).toBeLessThanOrEqual(8);
    expect(t60.bindingConstraint).toBe('decode');
    expect(t20.bindingConstraint).toBe('ttft');
    expect(t60.cliff).toBe(true);
    // Power over exactly the window of the first run at N_max.
    const lvl = r.levels.find((l) => l.concurrency === t60.nMax)!;
    expect(t60.power!.windowStartNs).toBe(lvl.report.windowStartNs);
    expect(t60.power!.windowEndNs).toBe(lvl.report.windowEndNs);
    expect(t60.agentsPerMW).toBeCloseTo(6 / (t60.power!.meanW! / 1e6));
    expect(t60.power!.simulated).toBe(true);
    expect(windows).toHaveLength(r.levels.length);
    expect(stored).toEqual(r.levels.map((l) => l.concurrency));
    expect(events.filter((e) => e.type === 'level-end')).toHaveLength(r.levels.length);
    expect(r.valid).toBe(true);
  });

  it('a tier with no passing level gives nMax 0 and agents/MW null with a reason; no power source is a reason too', async () => {
    const r = await runSweep(tiers, slo, { ...search, startConcurrency: 1 }, { runLevel: async (n, i) => fakeReport(n, i, [3, 0]), noPowerReason: 'no power source' });
    expect(r.tiers[1].nMax).toBe(0);
    expect(r.tiers[1].agentsPerMW).toBeNull();
    expect(r.tiers[1].agentsPerMWReason).toMatch(/fails already at 1/);
    expect(r.tiers[0].agentsPerMW).toBeNull();
    expect(r.tiers[0].agentsPerMWReason).toBe('no power source');
  });

  it('an invalid boundary level makes the sweep not valid, with the reason', async () => {
    const r = await runSweep(tiers, slo, { ...search, replicates: 0 }, {
      runLevel: async (n, i) => (n >= 16 ? fakeReport(n, i, [0, 0], { valid: false, reasons: ['client saturated: event loop busy 99%'] }) : fakeReport(n, i, [100, 100])),
    });
    expect(r.valid).toBe(false);
    expect(r.tiers[0].minFailing).toBe(16);
    expect(r.reasons.join()).toMatch(/invalid/);
  });

  it('stops on interrupt and keeps the finished levels', async () => {
    const ac = new AbortController();
    const r = await runSweep(tiers, slo, search, {
      signal: ac.signal,
      runLevel: async (n, i) => {
        if (i === 2) {
          ac.abort();
          return fakeReport(n, i, [100, 100], { interrupted: true });
        }
        return fakeReport(n, i, [100, 100]);
      },
    });
    expect(r.status).toBe('interrupted');
    expect(r.levels).toHaveLength(2);
    expect(r.valid).toBe(false);
  });

  it('a level that could not run as asked (a worker lost) is stored invalid, and the sweep ends failed with the reason', async () => {
    const stored: number[] = [];
    const r = await runSweep(tiers, slo, search, {
      onLevelDone: (l) => void stored.push(l.concurrency),
      runLevel: async (n, i) => (i === 1 ? fakeReport(n, i, [100, 100], { valid: false, reasons: ['worker w1 was lost'], fatal: 'worker w1 was lost' }) : fakeReport(n, i, [100, 100])),
    });
    expect(r.status).toBe('failed');
    expect(stored).toEqual([2, 4]);
    expect(r.levels[1].valid).toBe(false);
    expect(r.reasons[0]).toMatch(/level 4 could not run as asked \(worker w1 was lost\)/);
  });
});

describe('an endpoint that goes away mid-sweep', () => {
  it('stops the search, keeps the levels measured before, and marks the result failed', async () => {
    const run: number[] = [];
    const r = await runSweep(tiers, slo, search, {
      runLevel: async (n, index) => {
        run.push(n);
        if (index < 2) return fakeReport(n, index, [100, 100]);
        const calls = 12;
        return fakeReport(n, index, [0, 0], { valid: false, callsSentInWindow: calls, errors: { refused: calls }, errorRate: 1 });
      },
    });
    expect(run).toEqual([2, 4, 8]);
    expect(r.status).toBe('failed');
    expect(r.valid).toBe(false);
    expect(r.levels.map((l) => l.concurrency)).toEqual([2, 4]);
    expect(r.reasons[0]).toMatch(/stopped accepting connections: at 8 agents all 12 calls/);
    expect(r.tiers[0].nMax).toBe(4);
  });

  it('is not an overloaded endpoint: some calls succeed, or the errors are not refused connections', () => {
    expect(endpointLost(fakeReport(8, 0, [100, 100], { callsSentInWindow: 12, errors: { refused: 11 } }))).toBeNull();
    expect(endpointLost(fakeReport(8, 0, [100, 100], { callsSentInWindow: 12, errors: { http_5xx: 12 } }))).toBeNull();
    expect(endpointLost(fakeReport(8, 0, [100, 100], { callsSentInWindow: 0, errors: {} }))).toBeNull();
    expect(endpointLost(fakeReport(8, 0, [100, 100], { callsSentInWindow: 10, errors: { refused: 9, reset: 1 } }))).toMatch(/9 refused/);
  });
});
