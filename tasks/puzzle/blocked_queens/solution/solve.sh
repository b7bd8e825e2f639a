#!/bin/bash
# Reference: bitmask backtracking.
set -e
cat > /app/solve.c <<'C'
#include "solve.h"

static long go(int r, int n, unsigned full, unsigned cols, unsigned d1, unsigned d2, const unsigned *b) {
  if (r == n) return 1;
  long t = 0;
  unsigned avail = full & ~(cols | d1 | d2 | b[r]);
  while (avail) {
    unsigned bit = avail & (0u - avail);
    avail ^= bit;
    t += go(r + 1, n, full, cols | bit, ((d1 | bit) << 1) & full, (d2 | bit) >> 1, b);
  }
  return t;
}

long count_queens(int n, const unsigned *blocked) {
  return go(0, n, (1u << n) - 1, 0, 0, 0, blocked);
}
C
