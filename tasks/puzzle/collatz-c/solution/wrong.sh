#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): counts steps instead of terms (off by one).
set -e
cat > solve.c <<'C'
long longest_collatz(long limit, long *len) {
  long best = 1, best_len = 0;
  for (long n = 1; n < limit; n++) {
    long x = n, steps = 0;
    while (x != 1) { x = (x & 1) ? 3 * x + 1 : x >> 1; steps++; }
    if (steps > best_len) { best_len = steps; best = n; }
  }
  *len = best_len;
  return best;
}
C
