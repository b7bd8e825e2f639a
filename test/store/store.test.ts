import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import {
  exportRun,
  migrate,
  migrations,
  openDatabase,
  openStore,
  schemaVersion,
  type Migration,
  type RequestInput,
} from '../../src/store/index.js';
import { tempDb } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function fresh() {
  const t = tempDb();
  cleanups.push(t.cleanup);
  return t;
}

const req = (i: number, extra: Partial<RequestInput> = {}): RequestInput => ({
  level: 4,
  lane: i,
  agent: `a${i}`,
  step: i,
  requestId: `r${i}`,
  promptTokens: 27000 + i,
  cachedTokens: 26000,
  expectedCachedTokens: 26500,
  outputTokens: 150,
  tSchedNs: 1_700_000_000_000_000_000n + BigInt(i),
  tSendNs: 1_700_000_000_000_000_001n,
  tFirstNs: 1_700_000_000_350_000_000n,
  tLastNs: 1_700_000_004_100_000_000n,
  ttftMs: 350,
  decodeTokPerS: 40.5,
  itlP50Ms: 24,
  itlP99Ms: 61.2,
  itlMaxMs: 90,
  e2eMs: 4100,
  status: 'ok',
  errorClass: null,
  inWindow: true,
  ...extra,
});

describe('migrations', () => {
  it('creates the folder, applies 001, sets user_version, and is idempotent', () => {
    const t = fresh();
    const s = openStore(t.file);
    expect(fs.existsSync(t.file)).toBe(true);
    expect(schemaVersion(s.db)).toBe(migrations[migrations.length - 1].version);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (s.db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as { name: string }[]).map((r) => r.name);
    for (const t of ['runs', 'sweep_points', 'requests', 'power_samples', 'loop_iterations', 'feedback_events', 'budget_events']) {
      expect(tables).toContain(t);
    }
    expect(migrate(s.db)).toEqual([]); // nothing left to apply
    s.close();
    const again = openStore(t.file);
    expect(schemaVersion(again.db)).toBe(migrations[migrations.length - 1].version);
    again.close();
  });

  it('applies a new migration once, transactionally, and rolls back a failing one', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    const extra: Migration = { version: 99, name: 'extra', up: (d) => d.exec('CREATE TABLE extra (x INTEGER)') };
    expect(migrate(db, [...migrations, extra])).toEqual([99]);
    expect(schemaVersion(db)).toBe(99);
    expect(migrate(db, [...migrations, extra])).toEqual([]);
    const bad: Migration = {
      version: 100,
      name: 'bad',
      up: (d) => {
        d.exec('CREATE TABLE half (x INTEGER)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, [...migrations, extra, bad])).toThrow('boom');
    expect(schemaVersion(db)).toBe(99);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name='half'`).get()).toBeUndefined();
    expect(() => migrate(db, [extra, { ...extra, name: 'dup' }])).toThrow(/registered twice/);
    db.close();
  });

  it('registry versions are unique and ascending', () => {
    const v = migrations.map((m) => m.version);
    expect(v).toEqual([...v].sort((a, b) => a - b));
    expect(new Set(v).size).toBe(v.length);
    expect(v[0]).toBe(1);
  });
});

describe('Store', () => {
  it('keeps a run with requests across close and reopen, bigint ns exact', () => {
    const t = fresh();
    const s = openStore(t.file);
    const run = s.createRun({
      id: 'sweep-1',
      kind: 'sweep',
      config: { target: 'http://127.0.0.1:9', apiKey: 'sk-abcdefghijklmnopqrstuvwxyz' },
      target: { url: 'http://127.0.0.1:9', model: 'm' },
      clockAnchor: { monotonicNs: '123', wallClockMs: 1700000000000 },
    });
    expect(run.status).toBe('running');
    expect(run.host?.pid).toBe(process.pid);
    expect(run.agentdynoVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect((run.config as Record<string, unknown>).apiKey).toBe('[redacted]');
    expect(s.insertRequests('sweep-1', [req(0), req(1), req(2, { status: 'error', errorClass: 'http_5xx', ttftMs: null, inWindow: false })])).toBe(3);
    s.insertSweepPoints('sweep-1', [
      { level: 4, tierTokPerS: 20, ttftCeilingMs: 2000, passRate: 1, agentsActive: 4, agentsPassing: 4, outputTokPerS: 160 },
      { level: 4, tierTokPerS: 60, passRate: 0.25, agentsActive: 4, agentsPassing: 1, valid: false, reasons: ['too few requests'] },
    ]);
    s.finishRun('sweep-1', 'completed', { maxAgents: { '20': 4 } });
    s.close();

    const r = openStore(t.file);
    const got = r.getRun('sweep-1')!;
    expect(got.status).toBe('completed');
    expect(got.endedAt).not.toBeNull();
    expect(got.result).toEqual({ maxAgents: { '20': 4 } });
    expect(got.clockAnchor).toEqual({ monotonicNs: '123', wallClockMs: 1700000000000 });
    const rows = r.getRequests('sweep-1');
    expect(rows).toHaveLength(3);
    expect(rows[0].tSchedNs).toBe(1_700_000_000_000_000_000n);
    expect(rows[1].tSchedNs).toBe(1_700_000_000_000_000_001n);
    expect(rows[0].tLastNs! - rows[0].tSendNs!).toBe(4_099_999_999n);
    expect(rows[0].promptTokens).toBe(27000);
    expect(typeof rows[0].lane).toBe('number');
    expect(rows[0].inWindow).toBe(true);
    expect(rows[2]).toMatchObject({ status: 'error', errorClass: 'http_5xx', ttftMs: null, inWindow: false });
    expect(r.getRequests('sweep-1', { inWindow: true })).toHaveLength(2);
    expect(r.getRequests('sweep-1', { level: 8 })).toHaveLength(0);
    expect(r.getRequests('sweep-1', { limit: 1, offset: 1 })[0].requestId).toBe('r1');
    const pts = r.getSweepPoints('sweep-1');
    expect(pts.map((p) => p.tierTokPerS)).toEqual([20, 60]);
    expect(pts[1]).toMatchObject({ valid: false, reasons: ['too few requests'], meanPowerW: null });
    expect(pts[0]).toMatchObject({ valid: true, reasons: [] });
    r.close();
  });

  it('numbers given for ns are stored as integers; NaN becomes null', () => {
    const s = openStore(':memory:');
    s.createRun({ id: 'x', kind: 'sweep', config: {} });
    s.insertRequests('x', [req(0, { tSchedNs: 1234.6, tSendNs: '99999999999999999', decodeTokPerS: Number.NaN })]);
    const [row] = s.getRequests('x');
    expect(row.tSchedNs).toBe(1235n);
    expect(row.tSendNs).toBe(99999999999999999n);
    expect(row.decodeTokPerS).toBeNull();
    s.close();
  });

  it('a failing batch commits nothing (one transaction per batch)', () => {
    const s = openStore(':memory:');
    s.createRun({ id: 'x', kind: 'sweep', config: {} });
    expect(() => s.insertRequests('x', [req(0), req(1, { status: undefined as unknown as string })])).toThrow();
    expect(s.countRequests('x')).toBe(0);
    expect(() => s.insertRequests('nope', [req(0)])).toThrow(); // foreign key
    s.close();
  });

  it('lists newest first, filters by kind, limits; unknown ids name the id', () => {
    const s = openStore(':memory:');
    s.createRun({ id: 'a', kind: 'sweep', config: {}, startedAt: new Date('2026-01-01T00:00:00Z') });
    s.createRun({ id: 'b', kind: 'suite', config: {}, startedAt: new Date('2026-01-02T00:00:00Z') });
    s.createRun({ id: 'c', kind: 'sweep', config: {}, startedAt: new Date('2026-01-03T00:00:00Z') });
    expect(s.listRuns().map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(s.listRuns({ kind: 'sweep' }).map((r) => r.id)).toEqual(['c', 'a']);
    expect(s.listRuns({ limit: 1 }).map((r) => r.id)).toEqual(['c']);
    expect(s.getRun('zzz')).toBeNull();
    expect(() => s.finishRun('zzz', 'completed')).toThrow(/"zzz".*results list/);
    expect(() => s.requireRun('zzz')).toThrow(/"zzz"/);
    s.setRunResult('a', { partial: true });
    expect(s.getRun('a')!.result).toEqual({ partial: true });
    expect(s.getRun('a')!.status).toBe('running');
    s.close();
  });

  it('stores power samples, loop iterations, feedback and budget events', () => {
    const s = openStore(':memory:');
    s.createRun({ id: 'x', kind: 'suite', config: {} });
    s.insertPowerSamples('x', [
      { channel: 'gpu0', tNs: 2n, value: 301.5, kind: 'power_w' },
      { channel: 'gpu0', tNs: 1n, value: 300, kind: 'power_w' },
      { channel: 'rapl', tNs: 1n, value: 12, kind: 'energy_j' },
    ]);
    expect(s.getPowerSamples('x', 'gpu0').map((p) => p.tNs)).toEqual([1n, 2n]);
    expect(s.getPowerSamples('x')).toHaveLength(3);
    s.insertLoopIteration('x', { task: 'kernels/softmax', iteration: 1, score: 0.4, tokensIn: 1000, detail: { speedup: 1.3 } });
    expect(s.getLoopIterations('x')[0]).toMatchObject({ task: 'kernels/softmax', iteration: 1, score: 0.4, tokensIn: 1000, detail: { speedup: 1.3 }, tStartNs: null });
    s.insertFeedbackEvents('x', [
      { iteration: 1, seq: 2, kind: 'benchmark', text: '1.3x' },
      { iteration: 1, seq: 1, kind: 'build', text: 'ok' },
    ]);
    expect(s.getFeedbackEvents('x', 1).map((e) => e.seq)).toEqual([1, 2]);
    s.insertBudgetEvents('x', [{ seq: 1, kind: 'split', handle: 'root', amount: 500 }]);
    expect(s.getBudgetEvents('x')).toEqual([{ seq: 1, kind: 'split', handle: 'root', amount: 500, detail: null }]);
    s.close();
  });

  it('AGENTDYNO_DB overrides the default path', () => {
    const t = fresh();
    const prev = process.env.AGENTDYNO_DB;
    process.env.AGENTDYNO_DB = t.file;
    try {
      const s = openStore();
      expect(s.path).toBe(path.resolve(t.file));
      s.close();
    } finally {
      if (prev === undefined) delete process.env.AGENTDYNO_DB;
      else process.env.AGENTDYNO_DB = prev;
    }
  });

  it('mustExist refuses to create a database and names the path', () => {
    const t = fresh();
    expect(() => openStore(t.file, { mustExist: true })).toThrow(new RegExp(path.basename(t.file)));
    expect(fs.existsSync(t.file)).toBe(false);
  });
});

describe('export', () => {
  it('json holds run, sweep points and requests with ns as strings', () => {
    const s = openStore(':memory:');
    s.createRun({ id: 'e', kind: 'sweep', config: { password: 'hunter2', levels: [1] } });
    s.insertRequests('e', [req(0), req(1, { agent: 'has,comma "q"' })]);
    s.insertSweepPoints('e', [{ level: 4, tierTokPerS: 20, passRate: 1 }]);
    const j = JSON.parse(exportRun(s, 'e', 'json'));
    expect(j.format).toBe('agentdyno.run-export.v1');
    expect(j.run.config).toEqual({ password: '[redacted]', levels: [1] });
    expect(j.sweepPoints).toHaveLength(1);
    expect(j.requests[0].tSchedNs).toBe('1700000000000000000');
    expect(j.requests).toHaveLength(2);
    const csv = exportRun(s, 'e', 'csv').trimEnd().split('\n');
    expect(csv[0]).toBe(
      'run_id,level,lane,agent,step,request_id,prompt_tokens,cached_tokens,expected_cached_tokens,output_tokens,t_sched_ns,t_send_ns,t_first_ns,t_last_ns,ttft_ms,decode_tok_per_s,itl_p50_ms,itl_p99_ms,itl_max_ms,e2e_ms,status,error_class,in_window,coalesced_reads,simulated,arrival_rate_per_s',
    );
    expect(csv).toHaveLength(3);
    expect(csv[1].split(',')[0]).toBe('e');
    expect(csv[1]).toContain(',1700000000000000000,');
    expect(csv[1].endsWith(',ok,,1,,,')).toBe(true); // coalesced_reads, simulated and arrival_rate_per_s not given: empty (unknown), not 0
    expect(csv[2]).toContain(',"has,comma ""q""",');
    expect(() => exportRun(s, 'missing', 'csv')).toThrow(/"missing"/);
    s.close();
  });
});
