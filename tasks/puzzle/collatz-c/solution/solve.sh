#!/bin/sh
# Reference: memoize chain lengths for starts below the limit; a chain stops as soon as it drops
# below its start (already known), so most chains take a handful of steps.
set -e
cat > solve.c <<'C'
#include <stdlib.h>
long longest_collatz(long limit, long *len) {
  if (limit <= 2) { *len = 1; return 1; }
  unsigned short *memo = calloc((size_t)limit, sizeof *memo);
  long best = 1, best_len = 1;
  memo[1] = 1;
  for (long n = 2; n < limit; n++) {
    long x = n, steps = 0;
    while (x >= n) { x = (x & 1) ? 3 * x + 1 : x >> 1; steps++; }
    long l = steps + memo[x];
    memo[n] = (unsigned short)l;
    if (l > best_len) { best_len = l; best = n; }
  }
  free(memo);
  *len = best_len;
  return best;
}
C
