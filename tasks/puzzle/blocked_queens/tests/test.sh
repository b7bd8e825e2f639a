#!/usr/bin/env bash
# tests/test.sh — verifier for blocked_queens. Writes /logs/verifier/reward.json.
set -euo pipefail

REWARD_FILE="/logs/verifier/reward.json"
mkdir -p /logs/verifier
BASELINE=0.18
REFERENCE=0.007

fail() {
    echo "FAIL: $1" | tee /dev/stderr
    echo "{\"reward\": 0.0, \"correctness\": false, \"metric\": null, \"speedup\": null, \"reason\": \"$1\"}" > "$REWARD_FILE"
    exit 0
}

# ── 0. Integrity gate against the copies the image kept in /orig ──
for f in main.c solve.h; do
    [ -f "/orig/$f" ] || fail "integrity_reference_missing"
    cmp -s "/app/$f" "/orig/$f" || fail "protected_file_modified"
done
[ "$(sha256sum /app/Makefile | cut -d' ' -f1)" = "$(cat /orig/makefile.sha256)" ] || fail "build_file_modified"

# ── 1. Build ──
make -C /app -s 2>&1 | tee /dev/stderr || fail "build_failed"

# ── 2. Correctness on fresh seeds, 3. timed runs (n = 12), every count checked ──
python3 /tests/judge.py "$BASELINE" "$REFERENCE" "$REWARD_FILE"
