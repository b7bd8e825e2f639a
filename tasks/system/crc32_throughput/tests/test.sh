#!/usr/bin/env bash
# tests/test.sh — verifier for crc32_throughput. Writes /logs/verifier/reward.json.
set -euo pipefail

REWARD_FILE="/logs/verifier/reward.json"
mkdir -p /logs/verifier
BASELINE=0.26
REFERENCE=0.016

fail() { # reason
    echo "FAIL: $1" | tee /dev/stderr
    echo "{\"reward\": 0.0, \"correctness\": false, \"metric\": null, \"speedup\": null, \"reason\": \"$1\"}" > "$REWARD_FILE"
    echo "0.0" > /logs/verifier/reward.txt
    exit 0
}

# ── 0. Integrity gate: the protected files must match the hashes the image recorded ──
[ -f /orig/build_file.sha256 ] && [ -f /orig/protected.sha256 ] || fail "integrity_reference_missing"
[ "$(sha256sum /app/Makefile | cut -d' ' -f1)" = "$(cat /orig/build_file.sha256)" ] || fail "build_file_modified"
sha256sum -c --quiet /orig/protected.sha256 >/dev/null 2>&1 || fail "protected_file_modified"

# ── 1. Build ──
echo "=== Building ===" | tee /dev/stderr
make -C /app -s 2>&1 | tee /dev/stderr || fail "build_failed"
[ -x /app/crc32 ] || fail "build_failed"

# ── 2. Correctness and 3. timed runs, each timed answer checked against zlib ──
python3 /tests/judge.py "$BASELINE" "$REFERENCE" "$REWARD_FILE"
