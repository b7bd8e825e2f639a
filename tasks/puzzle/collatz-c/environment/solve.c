/* Return the start value below `limit` with the longest Collatz chain (ties: the smaller start),
 * and store its chain length (number of terms, 1 -> 1) in *len. This is the file to optimize. */
long longest_collatz(long limit, long *len) {
  long best = 1, best_len = 1;
  for (long n = 1; n < limit; n++) {
    long x = n, steps = 1;
    while (x != 1) {
      x = (x % 2 == 0) ? x / 2 : 3 * x + 1;
      steps++;
    }
    if (steps > best_len) { best_len = steps; best = n; }
  }
  *len = best_len;
  return best;
}
