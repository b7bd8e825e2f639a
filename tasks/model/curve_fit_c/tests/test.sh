#!/usr/bin/env bash
# tests/test.sh — verifier for curve_fit_c. Writes /logs/verifier/reward.json.
set -euo pipefail

REWARD_FILE="/logs/verifier/reward.json"
mkdir -p /logs/verifier
BASELINE=0.20
REFERENCE=0.0105

fail() {
    echo "FAIL: $1" | tee /dev/stderr
    echo "{\"reward\": 0.0, \"correctness\": false, \"metric\": null, \"reason\": \"$1\"}" > "$REWARD_FILE"
    exit 0
}

# ── 0. Integrity gate: sha256sum -c against the hashes the image recorded ──
[ -f /orig/protected.sha256 ] || fail "integrity_reference_missing"
sha256sum -c --quiet /orig/protected.sha256 2>&1 | tee /dev/stderr || fail "protected_file_modified"

# ── 1. Build ──
make -C /app -s 2>&1 | tee /dev/stderr || fail "build_failed"

# ── 2. Fresh data, one run, MSE computed here ──
python3 /tests/judge.py "$BASELINE" "$REFERENCE" "$REWARD_FILE"
