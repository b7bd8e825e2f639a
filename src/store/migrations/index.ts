import type { Migration } from './types.js';
import m001 from './001-initial.js';
import m003 from './003-loop-confirmations.js';
import m012 from './012-timing-labels.js';
import m015 from './015-live-events.js';
import m016 from './016-arrival-rate.js';

export type { Migration } from './types.js';

/**
 * Every schema migration, in order. To add one:
 *   1. create `NNN-short-name.ts` next to this file exporting `default { version: NNN, name, up(db) }`
 *      (`up` gets the open connection and runs inside a transaction; use `db.exec` with plain DDL);
 *   2. import it below and append it to `migrations` (never reorder or edit an applied migration:
 *      databases in the field already carry its `user_version`).
 * `openStore` applies every registered migration the database has not yet recorded (table
 * `schema_migrations`), in version order, one transaction each, and sets `PRAGMA user_version` to the
 * highest applied version. Versions must be unique; because each module adds its own tables, a
 * migration added with a lower number after a higher one was applied still gets applied.
 * Reserved numbers: 002 power, 003 loop (confirmations), 004 budget, 005 efc; 012 is issue 12's timing labels; 015 live events (ui feeds); 016 open-loop arrival rate.
 */
export const migrations: readonly Migration[] = [
  m001,
  m003,
  m012,
  m015,
  m016,
];
