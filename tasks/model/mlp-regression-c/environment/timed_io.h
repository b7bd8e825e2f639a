/* Harness (not editable): agentdyno's timed-run protocol (docs/loops.md, "Measurement that verifies itself").
 * AGENTDYNO_SEED: the input of this timed run (a fresh seed every repeat, so no input is known ahead).
 * AGENTDYNO_OUT:  the timed run's own output is written here; agentdyno compares it with the
 *                 baseline's output for the same seed, so a kernel that skips work at the timed size fails.
 * AGENTDYNO_VALUE: the harness's timing claim {"value": ms}; agentdyno accepts it only when the host-timed
 *                 wall of the whole run agrees (a claimed saving must show in the host's clock).
 * Without these variables (by hand) the run uses seed 42 and prints the value line as before. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long timed_seed(void) {
  const char *s = getenv("AGENTDYNO_SEED");
  return s && *s ? strtoull(s, 0, 10) : 42ULL;
}

static int timed_report(double value, const void *out, size_t bytes) {
  const char *o = getenv("AGENTDYNO_OUT"), *v = getenv("AGENTDYNO_VALUE");
  if (o) {
    FILE *f = fopen(o, "wb");
    if (!f || fwrite(out, 1, bytes, f) != bytes || fclose(f) != 0) { fprintf(stderr, "cannot write %s\n", o); return 5; }
  }
  if (v) {
    FILE *f = fopen(v, "w");
    if (!f || fprintf(f, "{\"value\": %.6f}\n", value) < 0 || fclose(f) != 0) { fprintf(stderr, "cannot write %s\n", v); return 5; }
  }
  printf("{\"value\": %.4f}\n", value);
  return 0;
}
