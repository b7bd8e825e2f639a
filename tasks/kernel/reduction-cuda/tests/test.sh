#!/bin/sh
# AutoLab-style verifier: build, correctness, benchmark (1 warm-up + 5 runs, median), reward.json.
# cwd = workspace; writes ${LOGS_DIR:-/logs}/verifier/reward.json (and reward.txt).
# Scoring: speedup = baseline/metric (direction lower) or metric/baseline (higher); reward = clip(0.5 ln(speedup) / ln(ref_speedup), 0, 1), 0 unless it beats the baseline.
BASELINE=8.0
REFERENCE=0.5
DIRECTION=lower
SCORING=log
out="${LOGS_DIR:-/logs}/verifier"
mkdir -p "$out"
fail() { printf '{"reward": 0.0, "correctness": false, "reason": "%s"}\n' "$1" > "$out/reward.json"; echo 0.0 > "$out/reward.txt"; echo "$1"; exit 0; }
make -s >/dev/null 2>&1 || fail build_failed
./check.sh >/dev/null 2>&1 || fail incorrect
./measure.sh >/dev/null 2>&1 || fail measure_failed
m=$(for i in 1 2 3 4 5; do ./measure.sh 2>/dev/null | tail -n 1 | sed -n 's/.*"value": *\([-0-9.eE+]*\).*/\1/p'; done | sort -g | sed -n 3p)
[ -n "$m" ] || fail measure_failed
awk -v b="$BASELINE" -v r="$REFERENCE" -v m="$m" -v dir="$DIRECTION" -v sc="$SCORING" 'BEGIN {
  s = (dir == "lower") ? b / m : m / b; rs = (dir == "lower") ? b / r : r / b
  if (sc == "log") w = (s <= 1) ? 0 : 0.5 * log(s) / log(rs); else w = (m - b) / (r - b)
  if (w > 1) w = 1; if (w <= 0) w = 0
  printf "{\"reward\": %.4f, \"correctness\": true, \"metric\": %s, \"speedup\": %.4f}\n", w, m, s }' > "$out/reward.json"
sed -n 's/.*"reward": \([0-9.]*\).*/\1/p' "$out/reward.json" > "$out/reward.txt"
cat "$out/reward.json"
