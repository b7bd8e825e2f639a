#!/bin/bash
# Reference: least squares on polynomial features up to degree 9.
set -e
cat > /app/fit.c <<'C'
#include <math.h>
#include "fit.h"

#define D 10 /* degree 9 */

void fit_predict(int n, const double *x, const double *y, int m, const double *vx, double *out) {
  double A[D][D + 1] = {{0}};
  for (int i = 0; i < n; i++) {
    double p[D];
    p[0] = 1;
    for (int k = 1; k < D; k++) p[k] = p[k - 1] * x[i];
    for (int r = 0; r < D; r++) {
      for (int c = 0; c < D; c++) A[r][c] += p[r] * p[c];
      A[r][D] += p[r] * y[i];
    }
  }
  for (int c = 0; c < D; c++) { /* Gaussian elimination, partial pivoting */
    int piv = c;
    for (int r = c + 1; r < D; r++) if (fabs(A[r][c]) > fabs(A[piv][c])) piv = r;
    for (int k = 0; k <= D; k++) { double t = A[c][k]; A[c][k] = A[piv][k]; A[piv][k] = t; }
    for (int r = 0; r < D; r++) {
      if (r == c || A[c][c] == 0) continue;
      double f = A[r][c] / A[c][c];
      for (int k = c; k <= D; k++) A[r][k] -= f * A[c][k];
    }
  }
  double w[D];
  for (int k = 0; k < D; k++) w[k] = A[k][k] != 0 ? A[k][D] / A[k][k] : 0;
  for (int i = 0; i < m; i++) {
    double s = 0;
    for (int k = D - 1; k >= 0; k--) s = s * vx[i] + w[k];
    out[i] = s;
  }
}
C
