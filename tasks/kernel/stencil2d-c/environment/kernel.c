/* 5-point Jacobi stencil on an n x n row-major grid of doubles, `steps` sweeps:
 *   new[i][j] = 0.2 * (a[i][j] + a[i-1][j] + a[i+1][j] + a[i][j-1] + a[i][j+1])  for interior points,
 * boundary rows/columns stay fixed. The result must end up in `a`; `tmp` is n*n scratch.
 * This is the file to optimize. params.json {"rowmajor": 1} sets -DP_ROWMAJOR=1 (walk rows, not columns). */
#ifndef P_ROWMAJOR
#define P_ROWMAJOR 0
#endif

void stencil(int n, int steps, double *a, double *tmp) {
  for (int s = 0; s < steps; s++) {
#if P_ROWMAJOR
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
#else
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) {
#endif
        if (i == 0 || j == 0 || i == n - 1 || j == n - 1) tmp[i * n + j] = a[i * n + j];
        else tmp[i * n + j] = 0.2 * (a[i * n + j] + a[(i - 1) * n + j] + a[(i + 1) * n + j] + a[i * n + j - 1] + a[i * n + j + 1]);
      }
    for (int i = 0; i < n * n; i++) a[i] = tmp[i];
  }
}
