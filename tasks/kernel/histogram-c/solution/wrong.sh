#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): direct bin index without the edge
# correction and with values at hi clamped into the last bin, so edge values land in the wrong bin.
set -e
cat > kernel.c <<'C'
void histogram(long n, const float *x, int nbins, const float *edges, unsigned *counts) {
  const float lo = edges[0], hi = edges[nbins];
  for (long i = 0; i < n; i++) {
    if (x[i] < lo || x[i] > hi) continue;
    int b = (int)((x[i] - lo) / (hi - lo) * nbins);
    if (b >= nbins) b = nbins - 1;
    counts[b]++;
  }
}
C
