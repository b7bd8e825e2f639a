/* Protected harness: `crc32 FILE` reads FILE, computes its CRC-32 once (timed) and prints
 * `crc=XXXXXXXX time=SECONDS`. The verifier compares crc with zlib.crc32 of the same file. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "solve.h"

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: crc32 FILE\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n ? n : 1);
  if (!buf || fread(buf, 1, n, f) != (size_t)n) { fprintf(stderr, "read failed\n"); return 3; }
  fclose(f);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint32_t c = crc32_buf(buf, (size_t)n);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("crc=%08x time=%.6f\n", c, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
