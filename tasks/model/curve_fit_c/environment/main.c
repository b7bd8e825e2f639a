/* Protected harness: `fit TRAIN.csv VAL_X.csv OUT.csv` reads "x,y" lines and "x" lines, calls
 * fit_predict and writes one prediction per line. The verifier computes the MSE itself. */
#include <stdio.h>
#include <stdlib.h>
#include "fit.h"

static int load(const char *p, double *a, double *b, int cap) {
  FILE *f = fopen(p, "r");
  if (!f) { perror(p); exit(2); }
  int n = 0;
  while (n < cap && (b ? fscanf(f, "%lf,%lf", &a[n], &b[n]) == 2 : fscanf(f, "%lf", &a[n]) == 1)) n++;
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: fit TRAIN.csv VAL_X.csv OUT.csv\n"); return 2; }
  enum { CAP = 100000 };
  double *x = malloc(sizeof(double) * CAP), *y = malloc(sizeof(double) * CAP), *vx = malloc(sizeof(double) * CAP), *out = malloc(sizeof(double) * CAP);
  int n = load(argv[1], x, y, CAP), m = load(argv[2], vx, NULL, CAP);
  fit_predict(n, x, y, m, vx, out);
  FILE *o = fopen(argv[3], "w");
  if (!o) { perror(argv[3]); return 2; }
  for (int i = 0; i < m; i++) fprintf(o, "%.17g\n", out[i]);
  return fclose(o) == 0 ? 0 : 3;
}
