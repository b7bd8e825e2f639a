#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): "trains" instantly by memorising the mean
# of y and predicting it everywhere, which the check rejects (no better than the mean).
set -e
cat > train.c <<'C'
static float mean;
float predict(const float *x) { (void)x; return mean; }
void train(int n, int d, const float *X, const float *y, unsigned seed) {
  (void)d; (void)X; (void)seed;
  double s = 0;
  for (int i = 0; i < n; i++) s += y[i];
  mean = (float)(s / n);
}
C
