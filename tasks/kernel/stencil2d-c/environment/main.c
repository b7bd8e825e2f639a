/* Harness (not editable): `bench check SEED N STEPS` compares stencil with a plain reference
 * (max abs error <= 1e-12); `bench time N STEPS` prints one JSON line {"value": <milliseconds>}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timed_io.h"

void stencil(int n, int steps, double *a, double *tmp);

static unsigned long long state;
static double rnd(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: bench check SEED N STEPS | bench time N STEPS\n"); return 2; }
  int check = strcmp(argv[1], "check") == 0;
  if (check && argc < 5) return 2;
  state = check ? strtoull(argv[2], 0, 10) : timed_seed();
  int n = atoi(argv[check ? 3 : 2]), steps = atoi(argv[check ? 4 : 3]);
  long nn = (long)n * n;
  double *a = malloc(sizeof(double) * nn), *tmp = malloc(sizeof(double) * nn);
  double *r = malloc(sizeof(double) * nn), *r2 = malloc(sizeof(double) * nn);
  if (!a || !tmp || !r || !r2) { fprintf(stderr, "out of memory\n"); return 3; }
  for (long i = 0; i < nn; i++) a[i] = r[i] = rnd();
  memset(tmp, 0, sizeof(double) * nn);
  if (check) {
    stencil(n, steps, a, tmp);
    for (int s = 0; s < steps; s++) {
      memcpy(r2, r, sizeof(double) * nn);
      for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++)
          r2[i * n + j] = 0.2 * (r[i * n + j] + r[(i - 1) * n + j] + r[(i + 1) * n + j] + r[i * n + j - 1] + r[i * n + j + 1]);
      memcpy(r, r2, sizeof(double) * nn);
    }
    double worst = 0.0;
    for (long i = 0; i < nn; i++) { double e = fabs(a[i] - r[i]); if (!(e <= worst)) worst = e; }
    if (!(worst <= 1e-12)) { printf("WRONG n=%d steps=%d seed=%s max_abs_err=%g\n", n, steps, argv[2], worst); return 1; }
    printf("ok n=%d steps=%d seed=%s max_abs_err=%g\n", n, steps, argv[2], worst);
    return 0;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  stencil(n, steps, a, tmp);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double sink = 0; for (long i = 0; i < nn; i += 97) sink += a[i];
  fprintf(stderr, "checksum %g\n", sink);
  return timed_report((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, a, sizeof(double) * nn);
}
