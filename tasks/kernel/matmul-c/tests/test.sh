#!/bin/sh
# AutoLab-style verifier: build, correctness, benchmark (1 warm-up + 5 runs, median), reward.json.
# cwd = workspace; writes $LOGS_DIR/verifier/reward.json.
BASELINE=34.0
REFERENCE=12.0
out="${LOGS_DIR:-/logs}/verifier"
mkdir -p "$out"
fail() { printf '{"reward": 0.0, "reason": "%s"}\n' "$1" > "$out/reward.json"; echo "$1"; exit 0; }
make -s >/dev/null 2>&1 || fail build_failed
./check.sh >/dev/null 2>&1 || fail incorrect
./measure.sh >/dev/null 2>&1
t=$(for i in 1 2 3 4 5; do ./measure.sh 2>/dev/null | tail -n 1 | sed 's/.*: *\([0-9.]*\).*/\1/'; done | sort -n | sed -n 3p)
awk -v b="$BASELINE" -v r="$REFERENCE" -v t="$t" 'BEGIN {
  s = b / t; rs = b / r; w = (s <= 1) ? 0 : 0.5 * log(s) / log(rs); if (w > 1) w = 1; if (w < 0) w = 0;
  printf "{\"reward\": %.4f, \"correctness\": true, \"metric\": %s, \"speedup\": %.4f}\n", w, t, s }' > "$out/reward.json"
cat "$out/reward.json"
