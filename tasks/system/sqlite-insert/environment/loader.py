"""Bulk-load rows into SQLite. This is the file to optimize (params.json is yours too).

`load(db_path, rows, params)` must insert every row of `rows` (a list of tuples
(id, user_id, kind, amount, payload)) into the existing table `events` of the database at
`db_path`, and have everything committed when it returns. params.json (read by the harness and
passed in as `params`): {"batch": rows per commit, "journal": journal_mode, "synchronous": level}.
"""
import sqlite3


def load(db_path, rows, params):
    batch = int(params.get("batch", 50))
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA journal_mode={params.get('journal', 'DELETE')}")
    conn.execute(f"PRAGMA synchronous={params.get('synchronous', 'FULL')}")
    pending = 0
    for row in rows:
        conn.execute("INSERT INTO events (id, user_id, kind, amount, payload) VALUES (?, ?, ?, ?, ?)", row)
        pending += 1
        if pending >= batch:
            conn.commit()
            pending = 0
    conn.commit()
    conn.close()
