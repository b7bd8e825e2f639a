/**
 * Success vs compute fits. Each run is a point (success 0/1) with coordinates: EFC, EFC/demand and
 * raw compute (tokens, tool calls, wall seconds). For each coordinate x (used as ln(1 + x), since
 * EFC and tokens can be 0) we fit a logistic curve P(success) = sigmoid(b0 + b1 ln(1+x)) and the
 * power-law failure model E = E_inf + A (1+x)^-alpha (least squares on the binned failure rates). R^2 and MAE are computed on binned failure
 * rates (runs sorted by the coordinate, cut into equal-count bins), R^2 = 1 - SSres/SStot. CIs come
 * from a hierarchical bootstrap (resample tasks, then runs within each drawn task) with a seeded Rng.
 * These are our fits on our runs; they are not a reproduction of any paper's figures.
 */
import { percentile, Rng } from '../core/index.js';
import { logisticRegression, powerLawAt, powerLawFit, sigmoid, type PowerLaw } from './regress.js';

export interface FitPoint {
  runId: string;
  task: string;
  success: boolean;
  efc: number;
  demand: number;
  tokens: number;
  toolCalls: number;
  wallSec: number;
}

export const COORDINATES = ['efc', 'efcPerDemand', 'tokens', 'toolCalls', 'wallSec'] as const;
export type Coordinate = (typeof COORDINATES)[number];
export const RAW_COORDINATES: readonly Coordinate[] = ['tokens', 'toolCalls', 'wallSec'];

export function coordinate(p: FitPoint, c: Coordinate): number {
  const v = c === 'efcPerDemand' ? p.efc / Math.max(p.demand, 1e-9) : p[c];
  return Math.log1p(Math.max(0, v));
}

export interface CurveFit {
  logistic: { b0: number; b1: number; r2: number | null; mae: number };
  powerLaw: PowerLaw & { r2: number | null; mae: number };
}

export interface CoordinateFit extends CurveFit {
  /** 95 % hierarchical-bootstrap interval of the logistic R^2. */
  ci: [number, number] | null;
  powerLawCi: [number, number] | null;
}

export interface FitResult {
  n: number;
  tasks: number;
  successRate: number;
  bins: number;
  fits: Record<Coordinate, CoordinateFit>;
  raw: Coordinate;
  /** Bootstrap interval of R^2(efcPerDemand) - R^2(raw): above 0 = EFC/demand explains success better. */
  deltaR2: { estimate: number | null; ci: [number, number] | null; over: Coordinate };
  bootstrap: { reps: number; valid: number; seed: number };
}

/** Equal-count bins of x (sorted): each bin's run indices. */
function binsOf(x: readonly number[], bins: number): number[][] {
  const idx = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
  const out: number[][] = [];
  for (let b = 0; b < bins; b++) {
    const part = idx.slice(Math.floor((b * idx.length) / bins), Math.floor(((b + 1) * idx.length) / bins));
    if (part.length) out.push(part);
  }
  return out;
}

function binned(x: readonly number[], y: readonly number[], pred: (x: number) => number, bins: number): { r2: number | null; mae: number } {
  const obs: number[] = [];
  const prd: number[] = [];
  for (const part of binsOf(x, bins)) {
    obs.push(part.reduce((a, i) => a + y[i], 0) / part.length);
    prd.push(part.reduce((a, i) => a + pred(x[i]), 0) / part.length);
  }
  const m = obs.reduce((a, v) => a + v, 0) / obs.length;
  const ssTot = obs.reduce((a, v) => a + (v - m) ** 2, 0);
  const ssRes = obs.reduce((a, v, i) => a + (v - prd[i]) ** 2, 0);
  const mae = obs.reduce((a, v, i) => a + Math.abs(v - prd[i]), 0) / obs.length;
  return { r2: ssTot > 1e-12 ? 1 - ssRes / ssTot : null, mae };
}

export const binCount = (n: number) => Math.max(2, Math.min(8, Math.floor(n / 4)));

/** Fits both curves of failure against one coordinate (x already in log space). */
export function fitCurves(x: readonly number[], success: readonly number[], bins = binCount(x.length)): CurveFit {
  const [b0, b1] = logisticRegression(x.map((v) => [v]), success);
  const failure = success.map((s) => 1 - s);
  // The power law is fitted to binned failure rates against each bin's mean z = 1 + coordinate (>= 1).
  const groups = binsOf(x, bins);
  const z = groups.map((g) => g.reduce((a, i) => a + Math.exp(x[i]), 0) / g.length);
  const pl = powerLawFit(z, groups.map((g) => g.reduce((a, i) => a + failure[i], 0) / g.length));
  const lg = binned(x, failure, (v) => 1 - sigmoid(b0 + b1 * v), bins);
  const pw = binned(x, failure, (v) => powerLawAt(pl, Math.exp(v)), bins);
  return { logistic: { b0, b1, ...lg }, powerLaw: { ...pl, ...pw } };
}

/** Hierarchical resample: draw tasks with replacement, then runs with replacement within each. */
export function hierarchicalResample<T extends { task: string }>(points: readonly T[], rng: Rng): T[] {
  const byTask = new Map<string, T[]>();
  for (const p of points) byTask.set(p.task, [...(byTask.get(p.task) ?? []), p]);
  const tasks = [...byTask.keys()];
  const out: T[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const runs = byTask.get(rng.pick(tasks))!;
    for (let j = 0; j < runs.length; j++) out.push(rng.pick(runs));
  }
  return out;
}

const ci95 = (xs: number[]): [number, number] | null => (xs.length >= 20 ? [percentile(xs, 2.5), percentile(xs, 97.5)] : null);

export interface FitOptions {
  reps?: number;
  seed?: number;
  /** Which raw compute the contract's `rawCompute` reports (default toolCalls). */
  raw?: Coordinate;
}

export function fitSuccess(points: readonly FitPoint[], o: FitOptions = {}): FitResult {
  const reps = o.reps ?? 500;
  const seed = o.seed ?? 1;
  const raw = o.raw ?? 'toolCalls';
  const y: number[] = points.map((p) => (p.success ? 1 : 0));
  const bins = binCount(points.length);
  const fits = {} as Record<Coordinate, CoordinateFit>;
  const boot: Record<Coordinate, number[]> = { efc: [], efcPerDemand: [], tokens: [], toolCalls: [], wallSec: [] };
  const bootPl: Record<Coordinate, number[]> = { efc: [], efcPerDemand: [], tokens: [], toolCalls: [], wallSec: [] };
  const delta: number[] = [];
  const rng = new Rng(seed);
  let valid = 0;
  for (let r = 0; r < reps && points.length >= 4; r++) {
    const s = hierarchicalResample(points, rng);
    const ys: number[] = s.map((p) => (p.success ? 1 : 0));
    const m = ys.reduce((a, v) => a + v, 0) / ys.length;
    if (m === 0 || m === 1) continue; // no variation to explain in this replicate
    valid++;
    const got = {} as Record<Coordinate, number | null>;
    for (const c of COORDINATES) {
      const f = fitCurves(s.map((p) => coordinate(p, c)), ys, bins);
      got[c] = f.logistic.r2;
      if (f.logistic.r2 !== null) boot[c].push(f.logistic.r2);
      if (f.powerLaw.r2 !== null) bootPl[c].push(f.powerLaw.r2);
    }
    const a = got.efcPerDemand;
    const b = got[raw];
    if (a !== null && b !== null) delta.push(a - b);
  }
  for (const c of COORDINATES) {
    const f = fitCurves(points.map((p) => coordinate(p, c)), y, bins);
    fits[c] = { ...f, ci: ci95(boot[c]), powerLawCi: ci95(bootPl[c]) };
  }
  const e = fits.efcPerDemand.logistic.r2;
  const w = fits[raw].logistic.r2;
  return {
    n: points.length,
    tasks: new Set(points.map((p) => p.task)).size,
    successRate: points.length ? y.reduce((a, v) => a + v, 0) / points.length : 0,
    bins,
    fits,
    raw,
    deltaR2: { estimate: e !== null && w !== null ? e - w : null, ci: ci95(delta), over: raw },
    bootstrap: { reps, valid, seed },
  };
}
