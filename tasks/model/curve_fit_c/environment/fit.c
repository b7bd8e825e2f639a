#include "fit.h"

/* Baseline: ordinary least squares on a straight line. */
void fit_predict(int n, const double *x, const double *y, int m, const double *vx, double *out) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; i++) { sx += x[i]; sy += y[i]; sxx += x[i] * x[i]; sxy += x[i] * y[i]; }
  double b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n;
  for (int i = 0; i < m; i++) out[i] = a + b * vx[i];
}
