#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): updates in place (Gauss-Seidel, not
# Jacobi), so each point sees already-updated neighbours.
set -e
cat > kernel.c <<'C'
void stencil(int n, int steps, double *a, double *tmp) {
  (void)tmp;
  for (int s = 0; s < steps; s++)
    for (int i = 1; i < n - 1; i++)
      for (int j = 1; j < n - 1; j++)
        a[i * n + j] = 0.2 * (a[i * n + j] + a[(i - 1) * n + j] + a[(i + 1) * n + j] + a[i * n + j - 1] + a[i * n + j + 1]);
}
C
