/* Harness (not editable): `bench check SEED N` compares sumsq with a long double reference
 * (relative error <= 1e-12); `bench time N` prints one JSON line {"value": <milliseconds>} for
 * the median of 5 calls on the same data (the median damps scheduler noise). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timed_io.h"

double sumsq(long n, const float *x);

static unsigned long long state;
static double rnd(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(state >> 11) / 9007199254740992.0;
}
static int cmp(const void *a, const void *b) { double d = *(const double *)a - *(const double *)b; return (d > 0) - (d < 0); }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: bench check SEED N | bench time N\n"); return 2; }
  int check = strcmp(argv[1], "check") == 0;
  if (check && argc < 4) return 2;
  state = check ? strtoull(argv[2], 0, 10) : timed_seed();
  long n = atol(argv[check ? 3 : 2]);
  float *x = malloc(sizeof(float) * (n ? n : 1));
  if (!x) { fprintf(stderr, "out of memory\n"); return 3; }
  for (long i = 0; i < n; i++) x[i] = (float)(2.0 * rnd() - 1.0) * (i % 7 == 0 ? 1000.0f : 1.0f);
  if (check) {
    double got = sumsq(n, x);
    long double ref = 0.0L;
    for (long i = 0; i < n; i++) ref += (long double)x[i] * x[i];
    double rel = ref != 0 ? fabs((double)(got - ref)) / (double)ref : fabs(got);
    if (!(rel <= 1e-12)) { printf("WRONG n=%ld seed=%s got %.17g want %.17Lg rel_err=%g\n", n, argv[2], got, ref, rel); return 1; }
    printf("ok n=%ld seed=%s rel_err=%g\n", n, argv[2], rel);
    return 0;
  }
  double ms[5], sink = 0, sums[5];
  for (int r = 0; r < 5; r++) {
    if (r) x[(r * 7919L) % n] += 1.0f; /* a changed input every call: a cached result is wrong */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sink += sums[r] = sumsq(n, x);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms[r] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  }
  qsort(ms, 5, sizeof ms[0], cmp);
  fprintf(stderr, "checksum %g\n", sink);
  return timed_report(ms[2], sums, sizeof sums);
}
