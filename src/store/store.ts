import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { AgentdynoError, type ClockAnchor } from '../core/index.js';
import {
  BUDGET_EVENT_COLS,
  FEEDBACK_EVENT_COLS,
  LOOP_CONFIRMATION_COLS,
  LOOP_ITERATION_COLS,
  POWER_SAMPLE_COLS,
  REQUEST_COLS,
  SWEEP_POINT_COLS,
  decodeArray,
  insertStatement,
  selectList,
  type ColSpec,
} from './codec.js';
import { migrate, openDatabase, resolveDbPath } from './db.js';
import { agentdynoVersion, gitSha, hostInfo, processGone, type HostInfo } from './host.js';
import { redact } from './redact.js';
import {
  RUN_STATUSES,
  type BudgetEventInput,
  type BudgetEventRow,
  type FeedbackEventInput,
  type FeedbackEventRow,
  type LoopConfirmationRow,
  type LoopIterationInput,
  type LoopIterationRow,
  type NewRun,
  type PowerSampleInput,
  type PowerSampleRow,
  type RequestInput,
  type RequestRow,
  type RunRecord,
  type RunStatus,
  type SweepPointInput,
  type SweepPointRow,
} from './rows.js';

export interface OpenStoreOptions {
  /** Fail with a clear error instead of creating the database when it does not exist. */
  mustExist?: boolean;
  /** Mark `running` runs whose writer process is gone as `interrupted` (default true). */
  recover?: boolean;
}

/**
 * Opens (creating if needed) the results database: `path`, else env `AGENTDYNO_DB`, else
 * `results/agentdyno.db` under the working directory. Applies pending migrations.
 */
export function openStore(path?: string, opts: OpenStoreOptions = {}): Store {
  const file = resolveDbPath(path);
  if (opts.mustExist && file !== ':memory:' && !fs.existsSync(file)) {
    throw new AgentdynoError('no results database here yet.', { code: 'E_STORE', where: file,
      hint: 'Run a sweep (or another measuring command) first, or point --db / AGENTDYNO_DB at an existing database.',
    });
  }
  const db = openDatabase(file);
  try {
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  const store = new Store(db, file);
  if (opts.recover ?? true) store.recoverStaleRuns();
  return store;
}

/** SQL for result_json with its `status` set to the bound parameter, when it is an object that has one. */
const STATUS_IN_RESULT = `CASE WHEN json_valid(result_json) AND json_type(result_json, '$.status') IS NOT NULL THEN json_set(result_json, '$.status', ?) ELSE result_json END`;

/** An object result with `status` set (added when `add`, else only replaced); anything else as is. */
function withStatus(result: unknown, status: string, add: boolean): unknown {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return result;
  if (!add && !('status' in result)) return result;
  return { ...(result as Record<string, unknown>), status };
}

const jsonOrNull = (s: unknown): unknown => (s === null || s === undefined ? null : JSON.parse(String(s)));
const bigintSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
/** Every JSON column passes `redact` (DESIGN 8): a result or host record that echoes a key stores it masked. */
const toJson = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(redact(v), bigintSafe));

interface RunRowRaw {
  id: string;
  kind: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  config_json: string;
  result_json: string | null;
  agentdyno_version: string | null;
  git_sha: string | null;
  host_json: string | null;
  target_json: string | null;
  clock_anchor_json: string | null;
}

function decodeRun(r: RunRowRaw): RunRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status as RunStatus,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    config: jsonOrNull(r.config_json),
    result: jsonOrNull(r.result_json),
    agentdynoVersion: r.agentdyno_version,
    gitSha: r.git_sha,
    host: jsonOrNull(r.host_json) as HostInfo | null,
    target: jsonOrNull(r.target_json),
    clockAnchor: jsonOrNull(r.clock_anchor_json) as ClockAnchor | null,
  };
}

/** Typed reads and writes over the results database. Every batch insert is one transaction. */
export class Store {
  private closed = false;
  private readonly inserters = new Map<string, (runId: string, row: Record<string, unknown>) => unknown>();

  /** The open connection, for modules that add their own tables through a migration. */
  constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  get isOpen(): boolean {
    return !this.closed && this.db.open;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.db.open) this.db.close();
  }

  // ---- runs ---------------------------------------------------------------------------------

  /** Records a new run as `running`, with version, git sha and host; config and target are redacted. */
  createRun(run: NewRun): RunRecord {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, started_at, status, config_json, agentdyno_version, git_sha, host_json, target_json, clock_anchor_json)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.id,
        run.kind,
        (run.startedAt ?? new Date()).toISOString(),
        toJson(redact(run.config ?? {})),
        agentdynoVersion(),
        gitSha(),
        toJson(hostInfo()),
        toJson(run.target === undefined ? undefined : redact(run.target)),
        toJson(run.clockAnchor),
      );
    return this.getRun(run.id)!;
  }

  /**
   * Sets the final status (and result, when given) and the end time. A result that carries its own
   * `status` is given the run's, so the summary never contradicts the record.
   */
  finishRun(id: string, status: RunStatus, result?: unknown): void {
    if (!RUN_STATUSES.includes(status)) throw new TypeError(`unknown run status: ${status}`);
    const info =
      result === undefined
        ? this.db.prepare(`UPDATE runs SET status = ?, ended_at = ?, result_json = ${STATUS_IN_RESULT} WHERE id = ?`).run(status, new Date().toISOString(), status, id)
        : this.db
            .prepare('UPDATE runs SET status = ?, ended_at = ?, result_json = ? WHERE id = ?')
            .run(status, new Date().toISOString(), toJson(withStatus(result, status, false)), id);
    if (info.changes === 0) throw this.unknownRun(id);
  }

  /**
   * Stores (or replaces) the result without finishing: e.g. partial results after every level. While
   * the run is `running` an object result says `status: "running"` (whatever the summary computed),
   * so a reader never takes an in-progress result for a finished one.
   */
  setRunResult(id: string, result: unknown): void {
    const run = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string } | undefined;
    if (!run) throw this.unknownRun(id);
    const stored = run.status === 'running' ? withStatus(result, 'running', false) : result;
    this.db.prepare('UPDATE runs SET result_json = ? WHERE id = ?').run(toJson(stored), id);
  }

  /** Marks the run `interrupted` only if it is still `running` (its result says so too); returns whether it changed. */
  markInterrupted(id: string): boolean {
    return this.markEnded(id, 'interrupted', new Date().toISOString());
  }

  /** Marks the run `failed` only if it is still `running` (its partial result is kept, and says failed); returns whether it changed. */
  markFailed(id: string): boolean {
    return this.markEnded(id, 'failed', new Date().toISOString());
  }

  private markEnded(id: string, status: 'interrupted' | 'failed', endedAt: string): boolean {
    const info = this.db
      .prepare(`UPDATE runs SET status = ?, ended_at = ?, result_json = ${STATUS_IN_RESULT} WHERE id = ? AND status = 'running'`)
      .run(status, endedAt, status, id);
    return info.changes > 0;
  }

  getRun(id: string): RunRecord | null {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRowRaw | undefined;
    return r ? decodeRun(r) : null;
  }

  /** Like getRun, but an unknown id is a user error naming the id. */
  requireRun(id: string): RunRecord {
    const r = this.getRun(id);
    if (!r) throw this.unknownRun(id);
    return r;
  }

  /** Newest first. */
  listRuns(opts: { kind?: string; status?: RunStatus; limit?: number } = {}): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.kind) (where.push('kind = ?'), args.push(opts.kind));
    if (opts.status) (where.push('status = ?'), args.push(opts.status));
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY started_at DESC, rowid DESC ${opts.limit ? 'LIMIT ?' : ''}`;
    if (opts.limit) args.push(Math.max(1, Math.trunc(opts.limit)));
    return (this.db.prepare(sql).all(...args) as RunRowRaw[]).map(decodeRun);
  }

  /** Runs left `running` by a process that no longer exists (crash, kill -9) become `interrupted`. */
  recoverStaleRuns(): string[] {
    const rows = this.db.prepare(`SELECT id, host_json FROM runs WHERE status = 'running'`).all() as {
      id: string;
      host_json: string | null;
    }[];
    const recovered: string[] = [];
    for (const r of rows) {
      const host = jsonOrNull(r.host_json) as Partial<HostInfo> | null;
      if (!host || typeof host.pid !== 'number' || typeof host.hostname !== 'string') continue;
      if (processGone(host.pid, host.hostname)) {
        // The real end time is unknown: ended_at is when its end was noticed, and the result says so.
        const now = new Date().toISOString();
        const changed = this.db
          .prepare(
            `UPDATE runs SET status = 'interrupted', ended_at = ?,
               result_json = json_set(CASE WHEN json_valid(result_json) AND json_type(result_json) = 'object' THEN result_json ELSE '{}' END,
                 '$.status', 'interrupted', '$.interruption', json(?))
             WHERE id = ? AND status = 'running'`,
          )
          .run(now, JSON.stringify({ reason: `process ${host.pid} on ${host.hostname} ended without finishing the run (killed or crashed)`, detectedAt: now, endedAtIsDetection: true }), r.id);
        if (changed.changes > 0) recovered.push(r.id);
      }
    }
    return recovered;
  }

  // ---- batches ------------------------------------------------------------------------------

  private insertMany(table: string, cols: readonly ColSpec[], runId: string, rows: readonly object[], orReplace = false): number {
    if (rows.length === 0) return 0;
    const key = `${table}:${orReplace}`;
    let ins = this.inserters.get(key);
    if (!ins) {
      ins = insertStatement(this.db, table, cols, orReplace);
      this.inserters.set(key, ins);
    }
    const run = ins;
    this.db.transaction(() => {
      for (const row of rows) run(runId, row as Record<string, unknown>);
    })();
    return rows.length;
  }

  /** One transaction per call: call it per level or every few hundred rows. */
  insertRequests(runId: string, rows: readonly RequestInput[]): number {
    return this.insertMany('requests', REQUEST_COLS, runId, rows);
  }

  /** (run, level, tier) is unique: re-inserting a point replaces it. */
  insertSweepPoints(runId: string, rows: readonly SweepPointInput[]): number {
    return this.insertMany('sweep_points', SWEEP_POINT_COLS, runId, rows.map((r) => ({ valid: true, ...r })), true);
  }

  insertPowerSamples(runId: string, rows: readonly PowerSampleInput[]): number {
    return this.insertMany('power_samples', POWER_SAMPLE_COLS, runId, rows);
  }

  insertLoopIteration(runId: string, row: LoopIterationInput): void {
    this.insertMany('loop_iterations', LOOP_ITERATION_COLS, runId, [row]);
  }

  /** Appends a confirmation event (numbered after the run's earlier ones) and returns it. */
  appendLoopConfirmation(runId: string, row: Omit<LoopConfirmationRow, 'seq'>): LoopConfirmationRow {
    const r = this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM loop_confirmations WHERE run_id = ?').get(runId) as { n: number };
    const full = { ...row, seq: r.n + 1 };
    this.insertMany('loop_confirmations', LOOP_CONFIRMATION_COLS, runId, [full]);
    return full;
  }

  insertFeedbackEvents(runId: string, rows: readonly FeedbackEventInput[]): number {
    return this.insertMany('feedback_events', FEEDBACK_EVENT_COLS, runId, rows);
  }

  insertBudgetEvents(runId: string, rows: readonly BudgetEventInput[]): number {
    return this.insertMany('budget_events', BUDGET_EVENT_COLS, runId, rows);
  }

  // ---- reads --------------------------------------------------------------------------------

  private select<T>(table: string, cols: readonly ColSpec[], runId: string, extra = '', args: unknown[] = [], order = 'rowid'): T[] {
    const stmt = this.db.prepare(`SELECT ${selectList(cols)} FROM ${table} WHERE run_id = ? ${extra} ORDER BY ${order}`);
    stmt.safeIntegers(true).raw(true);
    return (stmt.all(runId, ...args) as unknown[][]).map((r) => decodeArray<T>(r, cols));
  }

  getSweepPoints(runId: string): SweepPointRow[] {
    return this.select('sweep_points', SWEEP_POINT_COLS, runId, '', [], 'tier_tok_per_s, level');
  }

  getRequests(runId: string, opts: { level?: number; inWindow?: boolean; limit?: number; offset?: number } = {}): RequestRow[] {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (opts.level !== undefined) (parts.push('AND level = ?'), args.push(opts.level));
    if (opts.inWindow !== undefined) (parts.push('AND in_window = ?'), args.push(opts.inWindow ? 1 : 0));
    let tail = '';
    if (opts.limit !== undefined) {
      tail = ' LIMIT ? OFFSET ?';
      args.push(Math.max(0, Math.trunc(opts.limit)), Math.max(0, Math.trunc(opts.offset ?? 0)));
    }
    return this.select('requests', REQUEST_COLS, runId, parts.join(' '), args, 'rowid' + tail);
  }

  /** Streams a run's requests in insertion order without loading them all (exports of big runs). */
  *iterateRequests(runId: string): Generator<RequestRow> {
    const stmt = this.db.prepare(`SELECT ${selectList(REQUEST_COLS)} FROM requests WHERE run_id = ? ORDER BY rowid`);
    stmt.safeIntegers(true).raw(true);
    for (const r of stmt.iterate(runId) as Iterable<unknown[]>) yield decodeArray<RequestRow>(r, REQUEST_COLS);
  }

  /**
   * The per-call figures a report summarises, as plain tuples in insertion order (no bigint decoding):
   * [level, inWindow 0/1, status, errorClass, ttftMs, decodeTokPerS, itlP50Ms, itlP99Ms]. Several times
   * cheaper than iterateRequests on 100k-call runs.
   */
  *iterateRequestFigures(runId: string): Generator<[number, number, string, string | null, number | null, number | null, number | null, number | null]> {
    const stmt = this.db.prepare('SELECT level, in_window, status, error_class, ttft_ms, decode_tok_per_s, itl_p50_ms, itl_p99_ms FROM requests WHERE run_id = ? ORDER BY rowid').raw(true);
    yield* stmt.iterate(runId) as Iterable<[number, number, string, string | null, number | null, number | null, number | null, number | null]>;
  }

  countRequests(runId: string): number {
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM requests WHERE run_id = ?').get(runId) as { n: number };
    return r.n;
  }

  getPowerSamples(runId: string, channel?: string): PowerSampleRow[] {
    return channel === undefined
      ? this.select('power_samples', POWER_SAMPLE_COLS, runId, '', [], 't_ns, rowid')
      : this.select('power_samples', POWER_SAMPLE_COLS, runId, 'AND channel = ?', [channel], 't_ns, rowid');
  }

  getLoopIterations(runId: string): LoopIterationRow[] {
    return this.select('loop_iterations', LOOP_ITERATION_COLS, runId, '', [], 'task, iteration, rowid');
  }

  getLoopConfirmations(runId: string): LoopConfirmationRow[] {
    return this.select('loop_confirmations', LOOP_CONFIRMATION_COLS, runId, '', [], 'seq');
  }

  getFeedbackEvents(runId: string, iteration?: number): FeedbackEventRow[] {
    return iteration === undefined
      ? this.select('feedback_events', FEEDBACK_EVENT_COLS, runId, '', [], 'iteration, seq, rowid')
      : this.select('feedback_events', FEEDBACK_EVENT_COLS, runId, 'AND iteration = ?', [iteration], 'seq, rowid');
  }

  getBudgetEvents(runId: string): BudgetEventRow[] {
    return this.select('budget_events', BUDGET_EVENT_COLS, runId, '', [], 'seq, rowid');
  }

  // ---- live events (dashboard follow) --------------------------------------------------------

  /** One agentdyno.events.v1 object of a running run (its `seq` and `type` are indexed). */
  appendLiveEvent(runId: string, e: { seq: number; type: string }): void {
    this.db.prepare('INSERT OR REPLACE INTO live_events (run_id, seq, type, event_json) VALUES (?, ?, ?, ?)').run(runId, e.seq, e.type, toJson(e));
  }

  /** Events after `afterSeq`, in order (a follower polls with the last seq it saw). */
  getLiveEvents(runId: string, afterSeq = 0, limit = 10_000): { seq: number; type: string; event: unknown }[] {
    const rows = this.db.prepare('SELECT seq, type, event_json FROM live_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(runId, afterSeq, limit) as { seq: number; type: string; event_json: string }[];
    return rows.map((r) => ({ seq: r.seq, type: r.type, event: JSON.parse(r.event_json) }));
  }

  private unknownRun(id: string): AgentdynoError {
    return new AgentdynoError(`no run with id "${id}" in the results database.`, { code: 'E_RUN_NOT_FOUND', where: this.path,
      hint: 'List the stored runs with `agentdyno results list` (add --db PATH if the run was written elsewhere).',
    });
  }
}
