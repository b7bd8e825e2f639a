/* Row-wise softmax of a rows x cols row-major float matrix: y[r][c] = exp(x[r][c]) / sum_c exp(x[r][c]).
 * This is the file to optimize. Inputs lie in [-20, 20]; subtracting the row max keeps exp in range. */
#include <math.h>

void softmax(int rows, int cols, const float *x, float *y) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * cols;
    float *yr = y + (long)r * cols;
    double mx = -INFINITY;
    for (int c = 0; c < cols; c++)
      if (xr[c] > mx) mx = xr[c];
    double sum = 0.0;
    for (int c = 0; c < cols; c++) sum += exp(xr[c] - mx);
    for (int c = 0; c < cols; c++) yr[c] = (float)(exp(xr[c] - mx) / sum);
  }
}
