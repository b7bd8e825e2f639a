#!/bin/sh
# Reference: 8 independent double accumulators over restrict data, written so gcc -O2 vectorizes
# the float->double widening and the multiply-adds (two 4-lane groups); the adds no longer wait on
# each other. Sets params.json too, so a rebuild with the Makefile keeps the same choice.
set -e
printf '{"acc": 8}\n' > params.json
cat > kernel.c <<'C'
double sumsq(long n, const float *restrict x) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    double a0 = x[i], a1 = x[i + 1], a2 = x[i + 2], a3 = x[i + 3];
    double a4 = x[i + 4], a5 = x[i + 5], a6 = x[i + 6], a7 = x[i + 7];
    s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3;
    s4 += a4 * a4; s5 += a5 * a5; s6 += a6 * a6; s7 += a7 * a7;
  }
  for (; i < n; i++) s0 += (double)x[i] * x[i];
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}
C
