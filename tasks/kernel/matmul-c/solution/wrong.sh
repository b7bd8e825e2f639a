#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): fast, but drops the last row of C.
set -e
cat > kernel.c <<'C'
void matmul(int n, const double *A, const double *B, double *C) {
  for (int i = 0; i < n * n; i++) C[i] = 0.0;
  for (int i = 0; i < n - 1; i++)
    for (int k = 0; k < n; k++)
      for (int j = 0; j < n; j++) C[i * n + j] += A[i * n + k] * B[k * n + j];
}
C
