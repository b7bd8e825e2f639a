import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AgentdynoError } from '../core/index.js';
import { migrations as registered, type Migration } from './migrations/index.js';

export const DEFAULT_DB_PATH = path.join('results', 'agentdyno.db');

/** `--db` flag, else `AGENTDYNO_DB`, else `results/agentdyno.db` under the working directory. */
export function resolveDbPath(p?: string): string {
  if (p === ':memory:') return p;
  return path.resolve(p ?? process.env.AGENTDYNO_DB ?? DEFAULT_DB_PATH);
}

export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Database.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new AgentdynoError(`cannot open the results database (${(e as Error).message}).`, { code: 'E_STORE', where: file,
      hint: 'Check the path given with --db or AGENTDYNO_DB and that its folder is writable.',
      cause: e,
    });
  }
  // WAL lets a dashboard read while a sweep writes; NORMAL keeps commits cheap and is still
  // crash-safe in WAL mode (a power cut may lose the last commit, never corrupt the file).
  if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Applies pending migrations; returns the versions applied now. */
export function migrate(db: Database.Database, list: readonly Migration[] = registered): number[] {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].version === sorted[i - 1].version) {
      throw new Error(`store migrations: version ${sorted[i].version} is registered twice (${sorted[i - 1].name}, ${sorted[i].name})`);
    }
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const done: number[] = [];
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
      const current = db.pragma('user_version', { simple: true }) as number;
      if (m.version > current) db.pragma(`user_version = ${Math.trunc(m.version)}`);
    }).immediate();
    done.push(m.version);
  }
  return done;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
