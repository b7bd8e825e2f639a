/* Learn from (x[i], y[i]), i < n; then write a prediction for each of m points vx into out. */
void fit_predict(int n, const double *x, const double *y, int m, const double *vx, double *out);
