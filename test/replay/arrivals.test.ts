import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arrivalLag, arrivalSchedule, isRequestLevel, singleCall } from '../../src/replay/index.js';
import { importFiles, loadTrajectories, type Trajectory } from '../../src/trajectory/index.js';

const moon = importFiles('mooncake', ['test/fixtures/replay/mooncake-style.jsonl']).trajectories;
const raw = (): number[] => readFileSync('test/fixtures/replay/mooncake-style.jsonl', 'utf8').trim().split('\n').map((l: string) => JSON.parse(l).timestamp);
const tiny = loadTrajectories(['test/fixtures/replay/tiny.jsonl']).map((l) => l.trajectory);

describe('arrival schedules (pure)', () => {
  it('recorded, request-level: one arrival per call at its recorded timestamp, time-scaled', () => {
    expect(isRequestLevel(moon)).toBe(true);
    const ts = raw();
    const s = arrivalSchedule(moon, { mode: 'recorded', seed: 1, durationMs: ts[ts.length - 1] + 1 });
    expect(s.unit).toBe('call');
    expect(s.passes).toBe(1);
    expect(s.arrivals.map((a) => a.atMs)).toEqual(ts.map((t) => t - ts[0]));
    const half = arrivalSchedule(moon, { mode: 'recorded', timeScale: 0.5, seed: 1, durationMs: (ts[ts.length - 1] - ts[0]) * 0.5 + 1 }).arrivals;
    expect(half.map((a) => a.atMs)).toEqual(ts.map((t) => (t - ts[0]) * 0.5));
    // Every arrival is one call with its recorded size and hashes.
    expect(s.arrivals.every((a) => a.trajectory.agents.length === 1 && a.trajectory.agents[0].steps.length === 1)).toBe(true);
  });

  it('recorded: a trace shorter than the run repeats (and says so) with one mean gap between passes', () => {
    const ts = raw();
    const span = ts[ts.length - 1] - ts[0];
    const s = arrivalSchedule(moon, { mode: 'recorded', seed: 1, durationMs: 3 * span });
    expect(s.passes).toBe(3);
    expect(s.describe).toContain('repeated 3 times');
    const gap = span / (ts.length - 1);
    expect(s.arrivals[ts.length].atMs).toBeCloseTo(span + gap, 6);
  });

  it('recorded without recorded arrivals is refused with a hint', () => {
    expect(() => arrivalSchedule(tiny, { mode: 'recorded', seed: 1, durationMs: 1000 })).toThrow(/no recorded arrival/);
  });

  it('poisson: seeded, the mean rate is the rate asked for, gaps are exponential', () => {
    const a = arrivalSchedule(tiny, { mode: 'poisson', ratePerS: 50, seed: 7, durationMs: 200_000 });
    const b = arrivalSchedule(tiny, { mode: 'poisson', ratePerS: 50, seed: 7, durationMs: 200_000 });
    expect(a.arrivals.map((x) => x.atMs)).toEqual(b.arrivals.map((x) => x.atMs));
    expect(a.unit).toBe('session');
    const n = a.arrivals.length;
    expect(n / 200).toBeGreaterThan(50 * 0.95);
    expect(n / 200).toBeLessThan(50 * 1.05);
    const gaps = a.arrivals.slice(1).map((x, i) => x.atMs - a.arrivals[i].atMs);
    const cv = Math.sqrt(gaps.reduce((s, g) => s + (g - 20) ** 2, 0) / gaps.length) / 20;
    expect(cv).toBeGreaterThan(0.9); // exponential: coefficient of variation 1
    expect(cv).toBeLessThan(1.1);
    // Every trajectory is drawn before any repeats.
    expect(new Set(a.arrivals.slice(0, tiny.length).map((x) => x.trajectory.id)).size).toBe(tiny.length);
    expect(() => arrivalSchedule(tiny, { mode: 'poisson', ratePerS: 0, seed: 7, durationMs: 1 })).toThrow(/--rate/);
  });

  it('singleCall keeps the call and a system prompt no larger than it', () => {
    const t: Trajectory = { format: 'agentdyno.trajectory.v1', id: 'x', source: { kind: 'k' }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 900, steps: [{ type: 'llm', input_tokens: 500, output_tokens: 5, hash_ids: [1], block_size: 512 }] }] };
    const one = singleCall(t, t.agents[0], 0);
    expect(one.agents[0]).toMatchObject({ system_prompt_tokens: 500, steps: [{ type: 'llm', input_tokens: 500, output_tokens: 5, hash_ids: [1], new_input_tokens: 0 }] });
  });

  it('arrivalLag: percentiles of lateness', () => {
    expect(arrivalLag([1, 2, 3, 4, 100])).toMatchObject({ count: 5, p50Ms: 3, p99Ms: 100, maxMs: 100 });
    expect(arrivalLag([])).toMatchObject({ count: 0 });
  });
});

describe('what arrives', () => {
  it('an agent session with timestamps (weka) arrives whole, at its _start_ts', () => {
    const w = importFiles('weka', ['test/fixtures/importers/weka-sample-trace.json']).trajectories;
    expect(isRequestLevel(w)).toBe(false);
    const s = arrivalSchedule(w, { mode: 'recorded', seed: 1, durationMs: 500 });
    expect(s.unit).toBe('session');
    expect(s.arrivals[0]).toMatchObject({ atMs: 0, trajectory: { id: '02f3098e-6bc' } });
  });
});
