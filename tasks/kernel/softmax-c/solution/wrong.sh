#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): skips the max subtraction and uses a
# first-order exp, so it is fast but far off the reference.
set -e
cat > kernel.c <<'C'
void softmax(int rows, int cols, const float *x, float *y) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * cols;
    float *yr = y + (long)r * cols, s = 0.0f;
    for (int c = 0; c < cols; c++) { float e = 1.0f + xr[c] / 20.0f; yr[c] = e; s += e; }
    for (int c = 0; c < cols; c++) yr[c] /= s;
  }
}
C
