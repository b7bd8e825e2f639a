/**
 * Small regression kernels: L2-penalized logistic regression by Newton's method (the METR
 * time-horizon practice: MLE with a small ridge, 0.1, keeps separable data finite) and the power-law
 * failure model E(z) = E_inf + A z^-alpha fitted with ml-levenberg-marquardt under bounds.
 */
import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/** Solves A x = b (Gaussian elimination with partial pivoting); null when singular. */
function solve(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-12) return null;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

export const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

/**
 * Logistic regression of y in {0,1} on rows of X (an intercept is added as coefficient 0, not
 * penalized). Returns the coefficients [b0, b1, ...].
 */
export function logisticRegression(X: readonly number[][], y: readonly number[], l2 = 0.1, maxIter = 50): number[] {
  const k = (X[0]?.length ?? 0) + 1;
  let beta = new Array<number>(k).fill(0);
  for (let iter = 0; iter < maxIter; iter++) {
    const g = new Array<number>(k).fill(0);
    const H = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < y.length; i++) {
      const row = [1, ...X[i]];
      const p = sigmoid(row.reduce((a, v, j) => a + v * beta[j], 0));
      const w = Math.max(p * (1 - p), 1e-9);
      for (let a = 0; a < k; a++) {
        g[a] += (y[i] - p) * row[a];
        for (let b = 0; b < k; b++) H[a][b] += w * row[a] * row[b];
      }
    }
    for (let a = 1; a < k; a++) {
      g[a] -= l2 * beta[a];
      H[a][a] += l2;
    }
    H[0][0] += 1e-9;
    const step = solve(H, g);
    if (!step) break;
    beta = beta.map((b, j) => b + step[j]);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return beta;
}

export interface PowerLaw {
  eInf: number;
  a: number;
  alpha: number;
}

/** Fits failure E(z) = E_inf + A z^-alpha (z > 0) by least squares with E_inf, A in [0, 1], alpha in [0, 5]. */
export function powerLawFit(z: readonly number[], failure: readonly number[]): PowerLaw {
  const f = ([eInf, a, alpha]: number[]) => (t: number) => eInf + a * Math.pow(t, -alpha);
  const meanE = failure.reduce((s, v) => s + v, 0) / Math.max(1, failure.length);
  try {
    const r = levenbergMarquardt({ x: [...z], y: [...failure] }, f, {
      initialValues: [Math.min(0.9, meanE * 0.5), Math.max(0.1, meanE), 0.5],
      minValues: [0, 0, 0],
      maxValues: [1, 1, 5],
      maxIterations: 200,
      damping: 1e-2,
      gradientDifference: 1e-3,
    });
    const [eInf, a, alpha] = r.parameterValues;
    return { eInf, a, alpha };
  } catch {
    return { eInf: meanE, a: 0, alpha: 0 };
  }
}

export const powerLawAt = (p: PowerLaw, z: number) => p.eInf + p.a * Math.pow(z, -p.alpha);
