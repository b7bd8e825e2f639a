#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): accumulates in float, so the sum loses
# about 7 digits (fast, vectorizable, and far outside the 1e-12 tolerance).
set -e
cat > kernel.c <<'C'
double sumsq(long n, const float *x) {
  float s[8] = { 0 };
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) s[k] += x[i + k] * x[i + k];
  for (; i < n; i++) s[0] += x[i] * x[i];
  return (double)s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}
C
