/* Histogram of n floats into nbins bins: counts[b] = #{i : edges[b] <= x[i] < edges[b+1]}.
 * edges has nbins+1 ascending entries, uniformly spaced (edges[b] = lo + b*((hi-lo)/nbins) in float);
 * values outside [edges[0], edges[nbins]) are not counted. counts is zeroed by the caller.
 * This is the file to optimize (the baseline is a general binary search over the edges). */
void histogram(long n, const float *x, int nbins, const float *edges, unsigned *counts) {
  for (long i = 0; i < n; i++) {
    float v = x[i];
    if (!(v >= edges[0] && v < edges[nbins])) continue;
    int a = 0, b = nbins; /* invariant: edges[a] <= v < edges[b] */
    while (b - a > 1) {
      int m = (a + b) / 2;
      if (v >= edges[m]) a = m;
      else b = m;
    }
    counts[a]++;
  }
}
