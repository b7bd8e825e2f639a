/* Harness (not editable): `bench check SEED N NBINS` compares histogram with a binary-search
 * reference (counts must match exactly; inputs include values exactly on and just below every
 * edge); `bench time N NBINS` times one call on the input of AGENTDYNO_SEED and reports it (timed_io.h):
 * the value {"value": <milliseconds>} and the timed call's own counts, which agentdyno checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timed_io.h"

void histogram(long n, const float *x, int nbins, const float *edges, unsigned *counts);

static unsigned long long state;
static double rnd(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: bench check SEED N NBINS | bench time N NBINS\n"); return 2; }
  int check = strcmp(argv[1], "check") == 0;
  if (check && argc < 5) return 2;
  state = check ? strtoull(argv[2], 0, 10) : timed_seed();
  long n = atol(argv[check ? 3 : 2]);
  int nb = atoi(argv[check ? 4 : 3]);
  const float lo = 0.0f, hi = 1.0f;
  float *x = malloc(sizeof(float) * n), *edges = malloc(sizeof(float) * (nb + 1));
  unsigned *counts = calloc(nb + 2, sizeof(unsigned)), *want = calloc(nb + 2, sizeof(unsigned));
  if (!x || !edges || !counts || !want) { fprintf(stderr, "out of memory\n"); return 3; }
  for (int b = 0; b <= nb; b++) edges[b] = lo + (float)b * ((hi - lo) / (float)nb);
  edges[nb] = hi;
  for (long i = 0; i < n; i++) x[i] = (float)(1.2 * rnd() - 0.1);
  if (check) /* edge cases: exactly on an edge, and the float just below it */
    for (long i = 0; i + 1 < n && i / 2 <= nb; i += 2) { x[i] = edges[i / 2]; x[i + 1] = nextafterf(edges[i / 2], -1.0f); }
  if (check) {
    counts[nb] = 0xdeadbeef; /* guard: writing past the last bin is an error */
    histogram(n, x, nb, edges, counts);
    for (long i = 0; i < n; i++) {
      if (!(x[i] >= edges[0] && x[i] < edges[nb])) continue;
      int a = 0, b = nb; /* edges[a] <= x < edges[b] */
      while (b - a > 1) { int m = (a + b) / 2; if (x[i] >= edges[m]) a = m; else b = m; }
      want[a]++;
    }
    want[nb] = 0xdeadbeef;
    for (int b = 0; b <= nb; b++)
      if (counts[b] != want[b]) { printf("WRONG n=%ld nbins=%d seed=%s: bin %d has %u, want %u\n", n, nb, argv[2], b, counts[b], want[b]); return 1; }
    printf("ok n=%ld nbins=%d seed=%s\n", n, nb, argv[2]);
    return 0;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  histogram(n, x, nb, edges, counts);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  unsigned long tot = 0; for (int b = 0; b < nb; b++) tot += counts[b];
  fprintf(stderr, "counted %lu of %ld\n", tot, n);
  return timed_report((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, counts, sizeof(unsigned) * nb);
}
