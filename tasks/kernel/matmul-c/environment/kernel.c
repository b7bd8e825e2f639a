/* C = A * B for n x n row-major doubles. This is the file to optimize.
 * ORDER and BLOCK come from params.json through the Makefile (-DORDER_IKJ, -DBLOCK=n). */
#ifndef BLOCK
#define BLOCK 0
#endif

void matmul(int n, const double *A, const double *B, double *C) {
  for (int i = 0; i < n * n; i++) C[i] = 0.0;
#ifdef ORDER_IKJ
  int bs = BLOCK > 0 ? BLOCK : n;
  for (int kk = 0; kk < n; kk += bs)
    for (int i = 0; i < n; i++)
      for (int k = kk; k < kk + bs && k < n; k++) {
        double a = A[i * n + k];
        for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
      }
#else
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
      C[i * n + j] = s;
    }
#endif
}
