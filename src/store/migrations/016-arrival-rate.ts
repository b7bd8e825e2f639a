import type { Migration } from './types.js';

/**
 * Issue 14: open-loop sweeps search an arrival rate, not a concurrency. Requests and sweep points
 * carry the level's offered rate (req/s); their `level` is then the level's ordinal, never a rate
 * scaled into an agent count. Closed-loop rows, and every row written before this, read back null.
 */
const migration: Migration = {
  version: 16,
  name: 'arrival-rate',
  up(db) {
    db.exec(`
      ALTER TABLE requests ADD COLUMN arrival_rate_per_s REAL;
      ALTER TABLE sweep_points ADD COLUMN arrival_rate_per_s REAL;
    `);
  },
};
export default migration;
