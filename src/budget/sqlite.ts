/**
 * A ledger shared by processes: the state lives in one SQLite row and every operation runs in
 * `BEGIN IMMEDIATE` (read, apply, write), so sub-agents in several processes spend one budget
 * without racing. Events go to a `ledger_events` table in the same transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Clock, AgentdynoError, monotonicClock } from '../core/index.js';
import { type LedgerBackend, RuntimeBudgetHandle } from './ledger.js';
import { type BudgetEvent, type LedgerState, type RootSpec, conservation, liveHandle, newLedgerState } from './state.js';

export class SqliteBackend implements LedgerBackend {
  private readonly db: Database.Database;
  private readonly read: Database.Statement;
  private readonly write: Database.Statement;
  private readonly log: Database.Statement;

  constructor(readonly file: string, readonly clock: Clock) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new AgentdynoError(`cannot open the budget ledger (${(e as Error).message}).`, { code: 'E_STORE', where: file, hint: 'Check the path and that its folder is writable.', cause: e });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS ledger_state (id INTEGER PRIMARY KEY CHECK (id = 1), state_json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger_events (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, handle TEXT, tokens INTEGER, detail_json TEXT)`);
    this.read = this.db.prepare('SELECT state_json FROM ledger_state WHERE id = 1');
    this.write = this.db.prepare('INSERT INTO ledger_state (id, state_json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state_json = excluded.state_json');
    this.log = this.db.prepare('INSERT INTO ledger_events (seq, kind, handle, tokens, detail_json) VALUES (?, ?, ?, ?, ?)');
  }

  /** Create the root if the file has none; a ledger that exists is kept as it is. */
  init(spec: RootSpec): boolean {
    return this.db.transaction(() => {
      if (this.read.get()) return false;
      this.write.run(JSON.stringify(newLedgerState(spec, this.clock.nowMs())));
      return true;
    }).immediate();
  }

  transact<T>(fn: (state: LedgerState, events: BudgetEvent[]) => T): T {
    const events: BudgetEvent[] = [];
    let failure: unknown = null;
    const result = this.db.transaction(() => {
      const row = this.read.get() as { state_json: string } | undefined;
      if (!row) throw new AgentdynoError('the budget ledger has no root yet.', { code: 'E_STORE', where: this.file, hint: 'Create it with SqliteLedger.open(file, { tokens }) first.' });
      const state = JSON.parse(row.state_json) as LedgerState;
      let out: T | undefined;
      try {
        out = fn(state, events);
      } catch (e) {
        // Operations validate before mutating, so a throw leaves the state as it was: keep
        // the refusal events, skip the write.
        failure = e;
      }
      if (failure === null) this.write.run(JSON.stringify(state));
      else if (events.length) {
        const s2 = JSON.parse(row.state_json) as LedgerState;
        s2.seq = state.seq;
        this.write.run(JSON.stringify(s2));
      }
      for (const e of events) this.log.run(e.seq, e.kind, e.handle, e.tokens, JSON.stringify(e.detail));
      return out as T;
    }).immediate();
    if (failure !== null) throw failure;
    return result;
  }

  events(): BudgetEvent[] {
    return (this.db.prepare('SELECT seq, kind, handle, tokens, detail_json FROM ledger_events ORDER BY seq').all() as { seq: number; kind: BudgetEvent['kind']; handle: string; tokens: number; detail_json: string }[])
      .map((r) => ({ seq: r.seq, kind: r.kind, handle: r.handle, tokens: r.tokens, detail: JSON.parse(r.detail_json) as Record<string, unknown> }));
  }

  close(): void {
    this.db.close();
  }
}

/** A ledger in a SQLite file. Every process opens the same file and names handles by path. */
export class SqliteLedger {
  private constructor(readonly backend: SqliteBackend) {}

  static open(file: string, spec?: RootSpec, clock: Clock = monotonicClock): SqliteLedger {
    const b = new SqliteBackend(file, clock);
    if (spec) b.init(spec);
    return new SqliteLedger(b);
  }
  root(): RuntimeBudgetHandle {
    return this.handle('root');
  }
  handle(p: string): RuntimeBudgetHandle {
    this.backend.transact((s) => liveHandle(s, p));
    return new RuntimeBudgetHandle(this.backend, p);
  }
  snapshot(): LedgerState {
    return this.backend.transact((s) => structuredClone(s));
  }
  conservation(): ReturnType<typeof conservation> {
    return this.backend.transact((s) => conservation(s));
  }
  close(): void {
    this.backend.close();
  }
}
