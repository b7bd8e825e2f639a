/** The timing canary on each level (issue 12 item 5): measured over the window, carried on the result, judged per tier. */
import { describe, expect, it } from 'vitest';
import type { CanaryStats, TimingCanary } from '../../src/endpoint/index.js';
import { evaluateLevel, formatLevel, runLevel, type LevelConfig, type TokenModel } from '../../src/replay/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { fakeSend, VirtualTime } from './helpers.js';

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const traj: Trajectory = {
  format: 'agentdyno.trajectory.v1',
  id: 't',
  source: { kind: 'synthetic' },
  agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: Array.from({ length: 6 }, () => [{ type: 'llm' as const, input_tokens: 300, output_tokens: 100 }, { type: 'tool' as const, name: 'bash', duration_ms: 300 }]).flat() }],
};
const cfg: LevelConfig = {
  concurrency: 3, warmupS: 1, windowS: 6, drainCapS: 1, warmupCapS: 30,
  lane: { seed: 3, trajectories: [traj], tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: null, midStart: true, history: 'recorded', forceOutputLength: true, errorPauseMs: 100 },
};
const tiers = [
  { sloTokPerS: 20, ttftCeilingMs: 1000 },
  { sloTokPerS: 60, ttftCeilingMs: 1000 },
];
const slo = { callPassFraction: 0.9, agentPassFraction: 0.95 };

/** A canary that records what the level did with it; its lag figure is given. */
function fakeCanary(vt: VirtualTime, lag: CanaryStats) {
  const events: string[] = [];
  const handle: TimingCanary = {
    reset: () => void events.push(`reset@${vt.clock.nowMs()}`),
    stats: () => lag,
    stop: () => (events.push(`stop@${vt.clock.nowMs()}`), lag),
    closed: Promise.resolve(),
  };
  return { events, start: async () => (events.push(`start@${vt.clock.nowMs()}`), handle) };
}

describe('timing canary per level', () => {
  it('starts with the warm-up, resets at the window start, stops at the window end; the lag goes on the run and the report', async () => {
    const vt = new VirtualTime();
    const { send } = fakeSend(vt, { ttftMs: 50, itlMs: 10 });
    const lag = { samples: 1200, p50Ms: 0.2, p99Ms: 2.5, maxMs: 9 };
    const c = fakeCanary(vt, lag);
    const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send, canary: c.start }));
    const ws = Number(run.windowStartNs) / 1e6;
    const we = Number(run.windowEndNs) / 1e6;
    expect(c.events).toEqual([`start@1000`, `reset@${ws}`, `stop@${we}`]);
    expect(run.canary).toEqual(lag);
    const rep = evaluateLevel(run, tiers, slo);
    expect(rep.canary).toEqual(lag);
    expect(rep.coalescedCalls).toBe(0);
    // 2.5 ms p99 against ~990 ms token spans (100 tokens, 10 ms apart): every decode rate resolved.
    expect(rep.clientResolution!.unresolved).toBe(0);
    expect(rep.clientResolution!.decodeMeasured).toBeGreaterThan(0);
    for (const t of rep.tiers) expect(t.invalidReason).toBeUndefined();
    const text = formatLevel(rep, tiers);
    expect(text).toMatch(/client timing: read lag p50 0\.20 \/ p99 2\.50 \/ max 9 ms over 1200 canary events/);
    expect(text).toMatch(/decode rate resolved on (\d+) of \1 calls/);
  });

  it('a lag the client cannot resolve (over 10% of the calls\' token span, and of the TTFT ceiling) voids both tiers, with the figures', async () => {
    const vt = new VirtualTime();
    const { send } = fakeSend(vt, { ttftMs: 50, itlMs: 10 });
    const lag = { samples: 1200, p50Ms: 40, p99Ms: 300, maxMs: 400 };
    const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send, canary: fakeCanary(vt, lag).start }));
    const rep = evaluateLevel(run, tiers, slo);
    expect(rep.clientResolution!.unresolved).toBe(rep.clientResolution!.decodeMeasured);
    for (const t of rep.tiers) {
      expect(t.invalidReason).toMatch(/could not resolve the decode rate of (\d+) of \1 window calls/);
      expect(t.invalidReason).toMatch(/exceeds 10% of the TTFT ceiling \(100 of 1000 ms\)/);
    }
    expect(formatLevel(rep, tiers)).toMatch(/60 tok\/s .*INVALID/);
  });

  it('a canary that cannot start leaves the level unproven (null), never silently fine', async () => {
    const vt = new VirtualTime();
    const { send } = fakeSend(vt, { ttftMs: 50, itlMs: 10 });
    const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send, canary: () => Promise.reject(new Error('no threads')) }));
    expect(run.canary).toBeNull();
    const rep = evaluateLevel(run, tiers, slo);
    for (const t of rep.tiers) expect(t.invalidReason).toMatch(/did not run/);
    expect(formatLevel(rep, tiers)).toMatch(/read lag not measured/);
  });

  it('without a canary (virtual-time callers) nothing is claimed either way', async () => {
    const vt = new VirtualTime();
    const { send } = fakeSend(vt, { ttftMs: 50, itlMs: 10 });
    const run = await vt.run(runLevel(cfg, { clock: vt.clock, sleep: vt.sleep, send }));
    expect('canary' in run).toBe(false);
    const rep = evaluateLevel(run, tiers, slo);
    expect(rep.canary).toBeUndefined();
    for (const t of rep.tiers) expect(t.invalidReason).toBeUndefined();
  });


});
