import type Database from 'better-sqlite3';

/** One schema step. `up` runs inside a transaction together with the `user_version` bump. */
export interface Migration {
  /** Must equal the migration's position in the registry (1, 2, 3, ...). */
  version: number;
  name: string;
  up(db: Database.Database): void;
}
