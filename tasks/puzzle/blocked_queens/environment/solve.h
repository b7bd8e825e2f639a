/* Number of ways to place n non-attacking queens, one per row, avoiding blocked[r] bit c. n <= 16. */
long count_queens(int n, const unsigned *blocked);
