/* Harness (not editable): `collatz check LIMIT` compares with a plain reference;
 * `collatz time LIMIT` times LIMIT + (AGENTDYNO_SEED mod 50000) and reports the value and its
 * answer (timed_io.h), which agentdyno checks against the baseline's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "timed_io.h"

long longest_collatz(long limit, long *len);

static long ref(long limit, long *len) {
  long best = 1, bl = 1;
  for (long n = 1; n < limit; n++) {
    long x = n, s = 1;
    while (x != 1) { x = (x & 1) ? 3 * x + 1 : x >> 1; s++; }
    if (s > bl) { bl = s; best = n; }
  }
  *len = bl;
  return best;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: collatz check|time LIMIT\n"); return 2; }
  long limit = atol(argv[2]), len = 0;
  if (strcmp(argv[1], "check") == 0) {
    long want_len, want = ref(limit, &want_len);
    long got = longest_collatz(limit, &len);
    if (got != want || len != want_len) { printf("WRONG limit=%ld got %ld (len %ld) want %ld (len %ld)\n", limit, got, len, want, want_len); return 1; }
    printf("ok limit=%ld start=%ld len=%ld\n", limit, got, len);
    return 0;
  }
  limit += (long)(timed_seed() % 50000); /* the timed limit moves with the seed: no answer is known ahead */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long got = longest_collatz(limit, &len);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "start=%ld len=%ld\n", got, len);
  long res[3] = { limit, got, len };
  return timed_report((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, res, sizeof res);
}
