#!/bin/sh
# Reference: compute the bin directly ((x - lo) * nbins / (hi - lo)), then correct it by at most
# one bin against the real edges (float rounding near an edge), and count into 4 sub-histograms so
# consecutive increments of one bin do not serialize on a store-to-load dependency.
set -e
cat > kernel.c <<'C'
#include <stdlib.h>
void histogram(long n, const float *restrict x, int nbins, const float *restrict edges, unsigned *restrict counts) {
  const float lo = edges[0], hi = edges[nbins], scale = (float)nbins / (hi - lo);
  unsigned *sub = calloc(4 * (size_t)nbins, sizeof *sub);
  long i = 0;
#define BIN(v, h) do { float v_ = (v); if (v_ >= lo && v_ < hi) { int b_ = (int)((v_ - lo) * scale); \
    if (b_ > nbins - 1) b_ = nbins - 1; if (v_ < edges[b_]) b_--; else if (v_ >= edges[b_ + 1]) b_++; h[b_]++; } } while (0)
  for (; i + 4 <= n; i += 4) {
    BIN(x[i], sub);
    BIN(x[i + 1], (sub + nbins));
    BIN(x[i + 2], (sub + 2 * nbins));
    BIN(x[i + 3], (sub + 3 * nbins));
  }
  for (; i < n; i++) BIN(x[i], sub);
  for (int b = 0; b < nbins; b++) counts[b] += sub[b] + sub[nbins + b] + sub[2 * nbins + b] + sub[3 * nbins + b];
  free(sub);
}
C
