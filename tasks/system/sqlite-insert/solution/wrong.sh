#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): inserts everything but never commits, so a
# fresh connection sees no rows (fast, and not durable at all).
set -e
cat > loader.py <<'PY'
import sqlite3


def load(db_path, rows, params):
    conn = sqlite3.connect(db_path)
    conn.executemany("INSERT INTO events (id, user_id, kind, amount, payload) VALUES (?, ?, ?, ?, ?)", rows)
    conn.close()
PY
