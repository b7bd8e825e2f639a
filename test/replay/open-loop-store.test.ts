/**
 * Issue 14: an open-loop sweep is stored per arrival rate. Its requests and sweep points carry the
 * rate (req/s) and a level ordinal, never rate x RATE_STEPS posing as a concurrency; results show,
 * export and report read the rate and label the axis "arrival rate (req/s)". An older database
 * (before migration 016) still opens, its rows reading back with no rate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EndpointClient } from '../../src/endpoint/index.js';
import { compareRuns } from '../../src/power/index.js';
import { buildPage, loadRun } from '../../src/report/index.js';
import { RATE_STEPS, runRealOpenLoopSweep, stepWords, type OpenLoopSettings, type SessionOptions, type Target } from '../../src/replay/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { loadProfile, startSimServerInWorker } from '../../src/sim/index.js';
import { exportRun, migrate, migrations, openStore, toRunDocument, validateRunDocument } from '../../src/store/index.js';
import { importFiles } from '../../src/trajectory/index.js';
import { renderRunDetail } from '../../src/ui/index.js';

const FIX = path.resolve(__dirname, '../fixtures/replay');
const profile = loadProfile(path.resolve(FIX, 'fast.yaml'));
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function simTarget(): Promise<Target> {
  const sim = await startSimServerInWorker({ profile, port: 0, seed: 9 });
  closers.push(() => sim.close());
  const client = new EndpointClient({ baseUrl: sim.url, model: profile.servedModelName, timeoutMs: 10_000 });
  closers.push(() => client.close(true));
  return {
    url: sim.url, model: profile.servedModelName, maxModelLen: profile.maxModelLen, simulated: true, simProfile: profile.name, client,
    probe: { ok: true, errorClass: null, errorMessage: null, streamed: true, usagePresent: true, honoursForcedLength: true, requestedTokens: 16, completionTokens: 16, outputChunks: 16 },
    tokenModel: { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 },
    forceOutputLength: true, power: [], notes: [], close: async () => undefined,
  };
}

const tiers = [{ sloTokPerS: 25, ttftCeilingMs: 2000 }, { sloTokPerS: 50, ttftCeilingMs: 2000 }];
const level = { warmupS: 0.3, windowS: 1.2, drainCapS: 0.5, warmupCapS: 10, toolTimeScale: 1, maxIdleGapMs: null, seed: 3, history: 'recorded' as const, midStart: false };

describe('open-loop sweep in the store', () => {
  it('stores the arrival rate, and results show / export / report read it (never rate x 100)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ol-store-'));
    const store = openStore(path.join(dir, 'a.db'));
    const runId = 'sweep-openloop-test';
    store.createRun({ id: runId, kind: 'sweep', config: {}, target: { url: 'sim', simulated: true } });
    const o: SessionOptions = {
      target: await simTarget(), trajectories: importFiles('mooncake', [path.resolve(FIX, 'mooncake-style.jsonl')]).trajectories, tiers,
      slo: { callPassFraction: 0.9, agentPassFraction: 0.95 }, validity: { ...DEFAULT_VALIDITY, minWindowS: 1 }, level, store, runId, sink: null, signal: new AbortController().signal,
    };
    const ol: OpenLoopSettings = { mode: 'poisson', ratePerS: 3, unit: 'auto', maxInFlightSessions: 10_000, validity: { maxArrivalLagP99Ms: 500 } };
    // Rates 3 req/s, then 12 (or 0.75 if 3 fails on a loaded machine): as steps they would read 300, 1200 or 75 "agents".
    const r = await runRealOpenLoopSweep(o, ol, { startConcurrency: 3 * RATE_STEPS, growth: 4, maxConcurrency: 48 * RATE_STEPS, resolution: 10, replicates: 0, maxLevels: 2 });
    store.finishRun(runId, r.status, r);
    const rates = r.openLoopLevels.map((l) => l.arrivalRatePerS);
    expect(rates).toHaveLength(2);
    expect(rates[0]).toBe(3);
    expect([12, 0.75]).toContain(rates[1]);
    const steps = rates.map((x) => x * RATE_STEPS);
    const sorted = [...rates].sort((a, b) => a - b);

    // sweep_points: one row per level and tier, with the rate and an ordinal level.
    const pts = store.getSweepPoints(runId);
    expect(pts).toHaveLength(rates.length * tiers.length);
    expect([...new Set(pts.map((p) => p.arrivalRatePerS))].sort((a, b) => a! - b!)).toEqual(sorted);
    expect([...new Set(pts.map((p) => p.level))].sort()).toEqual([1, 2]);
    for (const p of pts) expect(p.passRate === null || (p.passRate >= 0 && p.passRate <= 1)).toBe(true);
    // Each point's verdict is the level's own.
    const lv = r.levels.find((l) => l.arrivalRatePerS === rates[1])!;
    expect(pts.find((p) => p.arrivalRatePerS === rates[1] && p.tierTokPerS === 25)!.passRate).toBe(lv.report.tiers[0].passRate);
    // requests: the rate beside each call, no step in `level`.
    const reqs = store.getRequests(runId);
    expect(reqs.length).toBeGreaterThan(0);
    expect(new Set(reqs.map((q) => q.arrivalRatePerS))).toEqual(new Set(rates));
    expect(reqs.every((q) => q.level === 1 || q.level === 2)).toBe(true);

    // The typed result: levels and brackets in req/s; the bracket no agent count.
    const doc = toRunDocument(store.requireRun(runId));
    expect(validateRunDocument(doc)).toEqual([]);
    const res = doc.result as unknown as { mode: string; axis: { label: string }; levels: { arrivalRatePerS: number; concurrency: number }[]; tiers: { nMax: null; arrivalRatePerS: { maxPassing: number | null; minFailing: number | null } }[] };
    expect(res.mode).toBe('open-loop');
    expect(res.axis.label).toBe('arrival rate (req/s)');
    expect(res.levels.map((l) => l.arrivalRatePerS)).toEqual(rates);
    for (const l of res.levels) expect(steps).not.toContain(l.concurrency); // sessions alive, not a step
    for (const t of res.tiers) {
      expect(t.nMax).toBeNull();
      for (const x of [t.arrivalRatePerS.maxPassing, t.arrivalRatePerS.minFailing]) expect(x === null || x === 0 || rates.includes(x)).toBe(true);
    }

    // results show
    const shown = renderRunDetail(store.requireRun(runId), { sweepPoints: pts, requestCount: reqs.length });
    expect(shown).toContain('arrival rate (req/s)');
    expect(shown).not.toMatch(/\bagents\b.*pass rate/);
    const tableRates = shown.split('\n').filter((l) => /^\s*[\d.]+\s+(\d+%|-)\s/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(tableRates).toHaveLength(rates.length * tiers.length);
    expect(new Set(tableRates)).toEqual(new Set(rates));

    // results export: json points and csv rows carry the rate column; no level is a step.
    const ex = JSON.parse(exportRun(store, runId, 'json')) as { sweepPoints: { level: number; arrivalRatePerS: number }[]; requests: { level: number; arrivalRatePerS: number }[] };
    expect(new Set(ex.sweepPoints.map((p) => p.arrivalRatePerS))).toEqual(new Set(rates));
    expect(ex.sweepPoints.concat(ex.requests).every((p) => !steps.includes(p.level))).toBe(true);
    const csv = exportRun(store, runId, 'csv').trim().split('\n');
    const head = csv[0].split(',');
    const rateCol = head.indexOf('arrival_rate_per_s');
    const levelCol = head.indexOf('level');
    expect(rateCol).toBeGreaterThan(0);
    expect(new Set(csv.slice(1).map((l) => Number(l.split(',')[rateCol])))).toEqual(new Set(rates));
    expect(csv.slice(1).every((l) => ['1', '2'].includes(l.split(',')[levelCol]))).toBe(true);

    // report: the verdict table and pass-rate chart are on the arrival-rate axis.
    const page = JSON.stringify(buildPage([loadRun(store, runId)]));
    expect(page).toContain('max passing arrival rate (req/s)');
    expect(page).toContain('"title":"arrival rate (req/s)"');
    expect(page).toContain(`${rates[1]} req/s`);
    for (const st of steps) expect(page).not.toContain(`"concurrency":${st},`);
    // results compare: the rate bracket beside a refusal, never an agents/MW ratio.
    const cmp = compareRuns({ id: runId, result: store.requireRun(runId).result }, { id: 'other', result: store.requireRun(runId).result });
    for (const row of cmp.rows) {
      expect(row.ratio).toBeNull();
      expect(row.refused).toContain('open-loop sweep');
      expect(row.a?.arrivalRatePerS).toEqual(res.tiers.find((t) => row.tier.startsWith(`${(t as unknown as { sloTokPerS: number }).sloTokPerS} tok/s`))!.arrivalRatePerS);
    }
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a database from before migration 016 opens, and its rows read back with no arrival rate', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ol-old-'));
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    migrate(old, migrations.filter((m) => m.version < 16));
    old.prepare(`INSERT INTO runs (id, kind, started_at, status, config_json) VALUES ('r1', 'sweep', '2026-01-01T00:00:00Z', 'completed', '{}')`).run();
    old.prepare(`INSERT INTO sweep_points (run_id, level, tier_tok_per_s) VALUES ('r1', 8, 20)`).run();
    old.prepare(`INSERT INTO requests (run_id, level, status) VALUES ('r1', 8, 'ok')`).run();
    old.close();
    const s = openStore(file);
    expect(s.getSweepPoints('r1')[0]).toMatchObject({ level: 8, arrivalRatePerS: null });
    expect(s.getRequests('r1')[0]).toMatchObject({ level: 8, arrivalRatePerS: null });
    // Closed-loop readers are unchanged: the agents column.
    expect(renderRunDetail(s.requireRun('r1'), { sweepPoints: s.getSweepPoints('r1') })).toMatch(/agents\s+pass rate/);
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('open-loop notes', () => {
  it('say search steps as arrival rates', () => {
    const r = (step: number) => step / RATE_STEPS;
    expect(stepWords('non-monotone: a level above 400 passes again', r)).toBe('non-monotone: a rate above 4 req/s passes again');
    expect(stepWords('no failing level up to the cap 204800: the true maximum may be higher', r)).toBe('no failing level up to the cap 2048 req/s: the true maximum may be higher');
    expect(stepWords('fails already at concurrency 1', r)).toBe('fails already at rate 0.01 req/s');
    expect(stepWords('replicates of level 150 disagreed', r)).toBe('replicates of rate 1.5 req/s disagreed');
  });
});
