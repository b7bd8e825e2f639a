#!/bin/sh
# Reference: one exp per element (stored, then scaled by 1/sum instead of divided), a branch-free
# polynomial exp2 that the compiler vectorizes at -O2 (range reduction 2^n * 2^f, degree-6 poly,
# rel. error ~2e-7), and 8 independent accumulators for the max and the sum.
set -e
cat > kernel.c <<'C'
static inline float exp_neg(float x) {
  /* exp(x) for x <= 0: 2^t with t = x*log2(e) = n + f, n = trunc(t) <= 0, f in (-1, 0]. */
  float t = x * 1.4426950409f;
  if (t < -126.0f) t = -126.0f;
  int n = (int)t;
  float f = t - (float)n;
  float p = 1.535336188319500e-4f;
  p = p * f + 1.339887440266574e-3f;
  p = p * f + 9.618437357674640e-3f;
  p = p * f + 5.550332471162809e-2f;
  p = p * f + 2.402264791363012e-1f;
  p = p * f + 6.931472028550421e-1f;
  p = p * f + 1.0f;
  union { int i; float f; } s = { .i = (n + 127) << 23 };
  return p * s.f;
}

void softmax(int rows, int cols, const float *restrict x, float *restrict y) {
  for (int r = 0; r < rows; r++) {
    const float *restrict xr = x + (long)r * cols;
    float *restrict yr = y + (long)r * cols;
    float m[8] = { xr[0], xr[0], xr[0], xr[0], xr[0], xr[0], xr[0], xr[0] };
    int c = 0;
    for (; c + 8 <= cols; c += 8)
      for (int k = 0; k < 8; k++) m[k] = xr[c + k] > m[k] ? xr[c + k] : m[k];
    float mx = m[0];
    for (int k = 1; k < 8; k++) mx = m[k] > mx ? m[k] : mx;
    for (; c < cols; c++) mx = xr[c] > mx ? xr[c] : mx;
    for (c = 0; c < cols; c++) yr[c] = exp_neg(xr[c] - mx);
    float s[8] = { 0 };
    for (c = 0; c + 8 <= cols; c += 8)
      for (int k = 0; k < 8; k++) s[k] += yr[c + k];
    float sum = 0.0f;
    for (int k = 0; k < 8; k++) sum += s[k];
    for (; c < cols; c++) sum += yr[c];
    const float inv = 1.0f / sum;
    for (c = 0; c < cols; c++) yr[c] *= inv;
  }
}
C
