#!/bin/sh
# Reference: one transaction for the whole load (a single commit, so one journal sync instead of
# one per batch), WAL journal with synchronous=NORMAL (durable against process crashes; the WAL is
# synced at checkpoints), executemany so the statement is prepared once, and a larger page cache.
set -e
printf '{"batch": 1000000, "journal": "WAL", "synchronous": "NORMAL"}\n' > params.json
cat > loader.py <<'PY'
import sqlite3


def load(db_path, rows, params):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={params.get('journal', 'WAL')}")
    conn.execute(f"PRAGMA synchronous={params.get('synchronous', 'NORMAL')}")
    conn.execute("PRAGMA cache_size=-32000")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events (id, user_id, kind, amount, payload) VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
PY
