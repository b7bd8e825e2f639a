/* Protected harness: `queens N SEED` blocks one pseudo-random square per row (the LCG below,
 * mirrored by the verifier), counts placements once (timed) and prints `count=K time=SECONDS`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "solve.h"

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: queens N SEED\n"); return 2; }
  int n = atoi(argv[1]);
  unsigned long state = strtoul(argv[2], 0, 10) & 0x7fffffffUL;
  if (n < 1 || n > 16) { fprintf(stderr, "n must be 1..16\n"); return 2; }
  unsigned blocked[16] = {0};
  for (int r = 0; r < n; r++) {
    state = (state * 1103515245UL + 12345UL) & 0x7fffffffUL;
    blocked[r] = 1u << (state % (unsigned long)n);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long k = count_queens(n, blocked);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("count=%ld time=%.6f\n", k, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
