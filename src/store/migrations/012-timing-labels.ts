import type { Migration } from './types.js';

/**
 * Issue 12: per request, the reads that delivered more than one output event of the call (its
 * decode rate is then not resolved by the client); per request and per sweep point, whether the
 * target was agentdyno's simulator, so a CSV or row read without its run still says SIMULATED.
 * Rows written before this migration read back null (unknown), never false.
 */
const migration: Migration = {
  version: 12,
  name: 'timing-labels',
  up(db) {
    db.exec(`
      ALTER TABLE requests ADD COLUMN coalesced_reads INTEGER;
      ALTER TABLE requests ADD COLUMN simulated INTEGER;
      ALTER TABLE sweep_points ADD COLUMN simulated INTEGER;
    `);
  },
};
export default migration;
