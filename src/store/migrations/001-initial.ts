import type { Migration } from './types.js';

/**
 * The base schema (DESIGN 3.3). Monotonic-clock nanoseconds are INTEGER (bound as BigInt, read with
 * safeIntegers), JSON blobs are TEXT columns suffixed `_json`, booleans are 0/1 INTEGER.
 */
const migration: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
        config_json TEXT NOT NULL,
        result_json TEXT,
        agentdyno_version TEXT,
        git_sha TEXT,
        host_json TEXT,
        target_json TEXT,
        clock_anchor_json TEXT
      );
      CREATE INDEX runs_kind_started ON runs (kind, started_at);
      CREATE INDEX runs_status ON runs (status);

      CREATE TABLE sweep_points (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        level INTEGER NOT NULL,
        tier_tok_per_s REAL NOT NULL,
        ttft_ceiling_ms REAL,
        pass_rate REAL,
        agents_active INTEGER,
        agents_passing INTEGER,
        valid INTEGER NOT NULL DEFAULT 1,
        reasons_json TEXT,
        output_tok_per_s REAL,
        mean_power_w REAL,
        detail_json TEXT,
        UNIQUE (run_id, level, tier_tok_per_s)
      );
      CREATE INDEX sweep_points_run ON sweep_points (run_id);

      CREATE TABLE requests (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        level INTEGER,
        lane INTEGER,
        agent TEXT,
        step INTEGER,
        request_id TEXT,
        prompt_tokens INTEGER,
        cached_tokens INTEGER,
        expected_cached_tokens INTEGER,
        output_tokens INTEGER,
        t_sched_ns INTEGER,
        t_send_ns INTEGER,
        t_first_ns INTEGER,
        t_last_ns INTEGER,
        ttft_ms REAL,
        decode_tok_per_s REAL,
        itl_p50_ms REAL,
        itl_p99_ms REAL,
        itl_max_ms REAL,
        e2e_ms REAL,
        status TEXT NOT NULL,
        error_class TEXT,
        in_window INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX requests_run_level ON requests (run_id, level);

      CREATE TABLE power_samples (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        t_ns INTEGER NOT NULL,
        value REAL NOT NULL,
        kind TEXT NOT NULL
      );
      CREATE INDEX power_samples_run ON power_samples (run_id, channel, t_ns);

      CREATE TABLE loop_iterations (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task TEXT,
        iteration INTEGER NOT NULL,
        agent TEXT,
        status TEXT,
        score REAL,
        normalized_score REAL,
        metric_value REAL,
        tokens_in INTEGER,
        tokens_out INTEGER,
        wall_ms REAL,
        t_start_ns INTEGER,
        t_end_ns INTEGER,
        detail_json TEXT
      );
      CREATE INDEX loop_iterations_run ON loop_iterations (run_id, task, iteration);

      CREATE TABLE feedback_events (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task TEXT,
        iteration INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT,
        detail_json TEXT
      );
      CREATE INDEX feedback_events_run ON feedback_events (run_id, iteration, seq);

      CREATE TABLE budget_events (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        handle TEXT,
        amount REAL,
        detail_json TEXT
      );
      CREATE INDEX budget_events_run ON budget_events (run_id, seq);
    `);
  },
};

export default migration;
