import type { Migration } from './types.js';

/**
 * Confirmations of loop iterations (`agentdyno loop confirm`): a re-measurement of a stored candidate
 * beside a fresh baseline, kept as its own event of the run. The iteration's original figures are
 * never rewritten; one row per confirmation attempt, numbered per run.
 */
const migration: Migration = {
  version: 3,
  name: 'loop-confirmations',
  up(db) {
    db.exec(`
      CREATE TABLE loop_confirmations (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        iteration INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'unconfirmed', 'refuted')),
        at TEXT NOT NULL,
        detail_json TEXT,
        PRIMARY KEY (run_id, seq)
      );
    `);
  },
};

export default migration;
