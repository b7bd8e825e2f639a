/* Sum of squares of n floats, accumulated in double: returns sum_i (double)x[i] * x[i].
 * This is the file to optimize. params.json {"acc": 8} sets -DP_ACC=8 independent accumulators
 * (the baseline uses 1: every add waits for the previous one). */
#ifndef P_ACC
#define P_ACC 1
#endif

double sumsq(long n, const float *x) {
  double s[P_ACC] = { 0 };
  long i = 0;
  for (; i + P_ACC <= n; i += P_ACC)
    for (int k = 0; k < P_ACC; k++) s[k] += (double)x[i + k] * x[i + k];
  for (; i < n; i++) s[0] += (double)x[i] * x[i];
  double t = 0.0;
  for (int k = 0; k < P_ACC; k++) t += s[k];
  return t;
}
