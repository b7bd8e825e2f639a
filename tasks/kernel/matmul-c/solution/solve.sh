#!/bin/sh
# Reference: i-k-j loop order (unit-stride inner loop over B and C rows) with restrict pointers,
# so the compiler vectorizes the inner loop. Keeps the k summation order, so results are exact.
set -e
cat > kernel.c <<'C'
void matmul(int n, const double *restrict A, const double *restrict B, double *restrict C) {
  for (int i = 0; i < n * n; i++) C[i] = 0.0;
  for (int i = 0; i < n; i++) {
    double *restrict c = C + (long)i * n;
    for (int k = 0; k < n; k++) {
      const double a = A[(long)i * n + k];
      const double *restrict b = B + (long)k * n;
      for (int j = 0; j < n; j++) c[j] += a * b[j];
    }
  }
}
C
