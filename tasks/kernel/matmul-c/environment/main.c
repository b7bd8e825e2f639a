/* Harness (not editable): `bench check SEED N` compares matmul with a plain reference;
 * `bench time N` times one multiplication on the input of AGENTDYNO_SEED and reports the value
 * and the product itself (timed_io.h), which agentdyno checks against the baseline's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timed_io.h"

void matmul(int n, const double *A, const double *B, double *C);

static unsigned long long state;
static double rnd(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(state >> 11) / 9007199254740992.0 - 0.5;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: bench check SEED N | bench time N\n"); return 2; }
  int check = strcmp(argv[1], "check") == 0;
  state = check ? strtoull(argv[2], 0, 10) : timed_seed();
  int n = atoi(argv[check ? 3 : 2]);
  double *A = malloc(sizeof(double) * n * n), *B = malloc(sizeof(double) * n * n), *C = malloc(sizeof(double) * n * n);
  if (!A || !B || !C) { fprintf(stderr, "out of memory\n"); return 3; }
  for (int i = 0; i < n * n; i++) { A[i] = rnd(); B[i] = rnd(); }
  if (check) {
    matmul(n, A, B, C);
    double worst = 0.0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double s = 0.0;
        for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
        double e = fabs(s - C[i * n + j]);
        if (!(e <= worst)) worst = e;
      }
    if (!(worst <= 1e-9)) { printf("WRONG n=%d seed=%s max_abs_err=%g\n", n, argv[2], worst); return 1; }
    printf("ok n=%d seed=%s max_abs_err=%g\n", n, argv[2], worst);
    return 0;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  matmul(n, A, B, C);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double sink = 0; for (int i = 0; i < n * n; i += 97) sink += C[i];
  fprintf(stderr, "checksum %g\n", sink);
  return timed_report((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, C, sizeof(double) * n * n);
  return 0;
}
