#include "solve.h"

static int N;
static const unsigned *B;
static int col[16];

static int safe(int r, int c) {
  if (B[r] & (1u << c)) return 0;
  for (int i = 0; i < r; i++) {
    int d = col[i] - c;
    if (d == 0 || d == r - i || d == i - r) return 0;
  }
  return 1;
}

static long place(int r) {
  if (r == N) return 1;
  long t = 0;
  for (int c = 0; c < N; c++)
    if (safe(r, c)) {
      col[r] = c;
      t += place(r + 1);
    }
  return t;
}

/* Baseline: try every column of every row, checking all earlier rows. */
long count_queens(int n, const unsigned *blocked) {
  N = n;
  B = blocked;
  return place(0);
}
