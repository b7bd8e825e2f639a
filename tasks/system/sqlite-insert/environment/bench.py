"""Harness (not editable). `python3 bench.py check SEED N` loads N seeded rows through loader.load
and verifies them from a fresh connection; `python3 bench.py time N` times one load of N rows of
the AGENTDYNO_SEED input (timed_io.py) into a fresh database file and leaves the time in
bench.time; `python3 bench.py verify N` then, in a process that never imports loader.py, reads
every row back from the committed database and reports (timed_io.py) {"value": <rows per second>}
and a digest of the rows it read: the same for every correct loader on that seed, so rows that were
not really inserted, or insertions faked at the timed size, differ from the baseline's."""
import json
import os
import random
import sqlite3
import sys
import time
import hashlib

from timed_io import timed_report, timed_seed

SCHEMA = """
CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
                     amount REAL NOT NULL, payload TEXT NOT NULL);
CREATE INDEX events_user ON events(user_id);
"""


def make_rows(seed, n):
    rng = random.Random(seed)
    kinds = ["view", "click", "buy", "refund", "share"]
    return [(i + 1, rng.randrange(5000), rng.choice(kinds), round(rng.uniform(0, 500), 2),
             "".join(rng.choice("abcdefghij") for _ in range(rng.randrange(8, 40)))) for i in range(n)]


def fresh_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.commit()
    conn.close()


def params():
    try:
        with open("params.json") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    path = os.path.abspath("bench.db")
    if mode in ("check", "time"):
        import loader  # only these modes run the candidate's code
    if mode == "check":
        seed, n = int(sys.argv[2]), int(sys.argv[3])
        rows = make_rows(seed, n)
        fresh_db(path)
        loader.load(path, list(rows), params())
        conn = sqlite3.connect(path)  # a new connection sees only committed data
        got = conn.execute("SELECT id, user_id, kind, amount, payload FROM events ORDER BY id").fetchall()
        idx = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='index' AND name='events_user'").fetchone()[0]
        conn.close()
        if idx != 1:
            print(f"WRONG seed={seed} n={n}: index events_user is missing")
            return 1
        if got != rows:
            bad = next((i for i, (a, b) in enumerate(zip(got, rows)) if a != b), min(len(got), len(rows)))
            print(f"WRONG seed={seed} n={n}: {len(got)} rows committed, want {n}; first difference at row {bad}")
            return 1
        print(f"ok seed={seed} n={n}")
        return 0
    if mode == "time":
        n = int(sys.argv[2])
        rows = make_rows(timed_seed(), n)
        fresh_db(path)
        p = params()
        t0 = time.perf_counter()
        loader.load(path, rows, p)
        dt = time.perf_counter() - t0
        with open("bench.time", "w") as f:
            f.write(repr(dt))
        return 0
    if mode == "verify":
        n = int(sys.argv[2])
        with open("bench.time") as f:
            dt = float(f.read())
        conn = sqlite3.connect(path)
        got = conn.execute("SELECT id, user_id, kind, amount, payload FROM events ORDER BY id").fetchall()
        conn.close()
        if len(got) != n:
            print(f"only {len(got)} of {n} rows committed", file=sys.stderr)
            return 1
        if got != make_rows(timed_seed(), n):
            print("the committed rows are not the rows given (the digest differs from the baseline's)", file=sys.stderr)
        return timed_report(round(n / dt, 1), hashlib.sha256(repr(got).encode()).digest())
    print("usage: bench.py check SEED N | bench.py time N | bench.py verify N", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
