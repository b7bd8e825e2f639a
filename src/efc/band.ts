/**
 * The logistic success curve with a 95 % band, for plots: the same hierarchical bootstrap as the R^2
 * intervals (tasks, then runs within tasks), each replicate's curve evaluated on one shared grid of
 * the coordinate; the band is the 2.5-97.5 percentile of those curves at each grid point.
 */
import { percentile, Rng } from '../core/index.js';
import { coordinate, hierarchicalResample, type Coordinate, type FitPoint } from './fit.js';
import { logisticRegression, sigmoid } from './regress.js';

export interface BandPoint {
  /** The coordinate, ln(1 + value). */
  x: number;
  /** Fitted success probability on all points. */
  y: number;
  lo: number;
  hi: number;
}

export function logisticBand(points: readonly FitPoint[], c: Coordinate, o: { reps?: number; seed?: number; grid?: number } = {}): BandPoint[] {
  if (points.length < 4) return [];
  const xs = points.map((p) => coordinate(p, c));
  const lo = Math.min(...xs);
  const hi = Math.max(lo + 1e-6, ...xs);
  const n = Math.max(2, o.grid ?? 40);
  const grid = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const fitOn = (ps: readonly FitPoint[]) => logisticRegression(ps.map((p) => [coordinate(p, c)]), ps.map((p) => (p.success ? 1 : 0)));
  const [b0, b1] = fitOn(points);
  const curves: number[][] = grid.map(() => []);
  const rng = new Rng(o.seed ?? 1);
  for (let r = 0; r < (o.reps ?? 200); r++) {
    const s = hierarchicalResample(points, rng);
    const m = s.filter((p) => p.success).length;
    if (m === 0 || m === s.length) continue;
    const [a0, a1] = fitOn(s);
    grid.forEach((x, i) => curves[i].push(sigmoid(a0 + a1 * x)));
  }
  return grid.map((x, i) => {
    const y = sigmoid(b0 + b1 * x);
    // Fewer than 20 usable replicates: no band (the curve alone), as for the R^2 intervals.
    const ok = curves[i].length >= 20;
    return { x, y, lo: ok ? percentile(curves[i], 2.5) : y, hi: ok ? percentile(curves[i], 97.5) : y };
  });
}
