import type { Migration } from './types.js';

/**
 * Live events (agentdyno.events.v1) of running sweeps and replays, so `agentdyno dashboard` in another
 * process follows a run through the store. One row per event, numbered per run.
 */
const migration: Migration = {
  version: 15,
  name: 'live-events',
  up(db) {
    db.exec(`
      CREATE TABLE live_events (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        event_json TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
    `);
  },
};

export default migration;
