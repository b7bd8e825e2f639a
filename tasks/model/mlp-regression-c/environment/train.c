/* Train a regressor on (X, y) and answer predict(x). This is the file to optimize (params.json too).
 * train() gets n samples of d = 8 features (row-major X) and may keep any state in this file;
 * predict() must use only that state and the given x. Wall-time limit for train(): 2000 ms.
 * Baseline: a one-hidden-layer tanh MLP, plain per-sample SGD, constant learning rate.
 * params.json {"hidden": 8, "lr": 0.01, "epochs": 5} sets -DP_HIDDEN, -DP_LR, -DP_EPOCHS. */
#include <math.h>
#include <stdlib.h>

#ifndef P_HIDDEN
#define P_HIDDEN 8
#endif
#ifndef P_LR
#define P_LR 0.01
#endif
#ifndef P_EPOCHS
#define P_EPOCHS 5
#endif
#define DMAX 8

static float w1[P_HIDDEN][DMAX], b1[P_HIDDEN], w2[P_HIDDEN], b2;
static int dim;

static unsigned long long rs;
static float urand(void) {
  rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((double)(rs >> 11) / 9007199254740992.0);
}

float predict(const float *x) {
  float out = b2;
  for (int j = 0; j < P_HIDDEN; j++) {
    float a = b1[j];
    for (int k = 0; k < dim; k++) a += w1[j][k] * x[k];
    out += w2[j] * tanhf(a);
  }
  return out;
}

void train(int n, int d, const float *X, const float *y, unsigned seed) {
  dim = d;
  rs = seed;
  float sc = 1.0f / sqrtf((float)d);
  for (int j = 0; j < P_HIDDEN; j++) {
    for (int k = 0; k < d; k++) w1[j][k] = (2 * urand() - 1) * sc;
    b1[j] = 0;
    w2[j] = (2 * urand() - 1) / sqrtf((float)P_HIDDEN);
  }
  b2 = 0;
  float h[P_HIDDEN];
  for (int e = 0; e < P_EPOCHS; e++)
    for (int i = 0; i < n; i++) {
      const float *x = X + (long)i * d;
      float out = b2;
      for (int j = 0; j < P_HIDDEN; j++) {
        float a = b1[j];
        for (int k = 0; k < d; k++) a += w1[j][k] * x[k];
        h[j] = tanhf(a);
        out += w2[j] * h[j];
      }
      float g = 2 * (out - y[i]); /* d(squared error)/d(out) */
      for (int j = 0; j < P_HIDDEN; j++) {
        float gh = g * w2[j] * (1 - h[j] * h[j]);
        w2[j] -= (float)P_LR * g * h[j];
        b1[j] -= (float)P_LR * gh;
        for (int k = 0; k < d; k++) w1[j][k] -= (float)P_LR * gh * x[k];
      }
      b2 -= (float)P_LR * g;
    }
}
