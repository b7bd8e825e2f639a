/**
 * `sim fit`: fit a profile's step-time coefficients (step ms = a + b*batch + c*kvTokens +
 * d*prefillTokens) from the stored requests of a sweep of a real endpoint. The model is linear in
 * (a, b, c, d) once the per-level load is estimated from the requests themselves:
 * - D     = the level's steady window: first to last send of its in-window calls (the whole span
 *           of the level when rows carry no window flag), so ramp-up and drain do not dilute it;
 * - batch = sum over calls of their decode time inside D (t_first..t_last clipped) / D: the mean
 *           number of sequences decoding at once (every call with timings counts here, warm-ups
 *           and calls cut at the level's end included: the engine worked on them);
 * - ctx   = mean context of a decoding sequence: prompt + output/2 (weighted by decode time);
 * - pf    = prefill tokens computed per ms: sum(prompt - cached) of calls whose first token is in D / D.
 * Decode rows: 1000/decode_tok_per_s = a + b*batch + c*batch*ctx + d*(pf * stepMs).
 * TTFT rows:  ttft = k*(a + b*batch + c*batch*ctx) + d*(uncached + k*pf*stepMs), k = prefill chunks.
 * TTFT rows also carry queueing, which the model lacks: they are used only at levels where the
 * mean batch is below the scheduler's sequence cap. Rows are weighted by 1/y (relative error),
 * solved by non-negative least squares (closed form on the active set).
 */
import type { SimProfile } from '../sim/index.js';

/** What the fit needs of a stored request row (a subset of the store's RequestRow). */
export interface FitRequest {
  level: number;
  promptTokens: number | null;
  cachedTokens: number | null;
  outputTokens: number | null;
  tSendNs: bigint | null;
  tFirstNs: bigint | null;
  tLastNs: bigint | null;
  ttftMs: number | null;
  decodeTokPerS: number | null;
  status: string;
  agent?: string | null;
  /** Sent inside the level's steady window (the store's in_window). */
  inWindow?: boolean;
}

export interface FitLevelLoad {
  level: number;
  calls: number;
  spanMs: number;
  batch: number;
  ctxTokens: number;
  prefillTokPerMs: number;
  meanDecodeStepMs: number | null;
}

export interface StepTimeFit {
  coefficients: { a: number; b: number; c: number; d: number };
  rows: { decode: number; ttft: number };
  /** 1 - SSres/SStot on the unweighted targets, per row kind and over all. */
  r2: { decode: number | null; ttft: number | null; all: number | null };
  /** Relative residuals (predicted/observed - 1). */
  residuals: { decodeMedianAbs: number | null; decodeP90Abs: number | null; ttftMedianAbs: number | null; ttftP90Abs: number | null };
  levels: FitLevelLoad[];
  /** Coefficients the non-negativity constraint pinned to 0. */
  clamped: string[];
}

const ms = (a: bigint, b: bigint): number => Number(a - b) / 1e6;

export function levelLoads(rows: readonly FitRequest[]): FitLevelLoad[] {
  const by = new Map<number, FitRequest[]>();
  for (const r of rows) {
    // Occupancy counts every call the engine worked on: warm-ups and calls cut at the level's end too.
    if (r.tSendNs === null || r.tFirstNs === null || r.tLastNs === null) continue;
    let list = by.get(r.level);
    if (!list) by.set(r.level, (list = []));
    list.push(r);
  }
  const out: FitLevelLoad[] = [];
  for (const [level, rs] of [...by.entries()].sort((x, y) => x[0] - y[0])) {
    const win = rs.filter((r) => r.inWindow);
    const span = win.length >= 2 ? win : rs;
    let t0 = span[0].tSendNs as bigint;
    let t1 = win.length >= 2 ? t0 : (span[0].tLastNs as bigint);
    for (const r of span) {
      if ((r.tSendNs as bigint) < t0) t0 = r.tSendNs as bigint;
      const end = win.length >= 2 ? (r.tSendNs as bigint) : (r.tLastNs as bigint);
      if (end > t1) t1 = end;
    }
    const spanMs = ms(t1, t0);
    if (!(spanMs > 0)) continue;
    let decodeMs = 0;
    let ctxW = 0;
    let ctxDen = 0;
    let prefill = 0;
    let stepSum = 0;
    let stepN = 0;
    let calls = 0;
    for (const r of rs) {
      const first = ms(r.tFirstNs as bigint, t0);
      const last = ms(r.tLastNs as bigint, t0);
      const dm = Math.max(0, Math.min(last, spanMs) - Math.max(first, 0));
      if (dm <= 0 && !(first >= 0 && first <= spanMs)) continue;
      calls++;
      decodeMs += dm;
      // Calls cut at the level's end have no usage (no token counts): they count for occupancy only.
      if (r.promptTokens !== null) (ctxW += dm * (r.promptTokens + (r.outputTokens ?? 0) / 2)), (ctxDen += dm);
      if (first >= 0 && first <= spanMs) prefill += Math.max(0, (r.promptTokens ?? 0) - (r.cachedTokens ?? 0));
      if (r.status === 'ok' && r.decodeTokPerS && r.decodeTokPerS > 0) (stepSum += 1000 / r.decodeTokPerS), stepN++;
    }
    out.push({ level, calls, spanMs, batch: decodeMs / spanMs, ctxTokens: ctxDen > 0 ? ctxW / ctxDen : 0, prefillTokPerMs: prefill / spanMs, meanDecodeStepMs: stepN ? stepSum / stepN : null });
  }
  return out;
}

/** Solve min ||Xw - y|| with w >= 0 (active-set: drop the most negative coefficient and re-solve). */
export function nnls(X: number[][], y: number[]): { w: number[]; clamped: number[] } {
  const p = X[0]?.length ?? 0;
  const active = new Set(Array.from({ length: p }, (_, i) => i));
  for (;;) {
    const idx = [...active];
    const w = new Array<number>(p).fill(0);
    if (!idx.length) return { w, clamped: Array.from({ length: p }, (_, i) => i) };
    // Column scaling keeps the normal equations conditioned (c is ~1e-6 of a).
    const scale = idx.map((j) => Math.sqrt(X.reduce((s, row) => s + row[j] * row[j], 0)) || 1);
    const A = idx.map((_, i) => idx.map((_, k) => X.reduce((s, row) => s + (row[idx[i]] / scale[i]) * (row[idx[k]] / scale[k]), 0)));
    const bv = idx.map((j, i) => X.reduce((s, row, r) => s + (row[j] / scale[i]) * y[r], 0));
    const sol = solve(A, bv);
    idx.forEach((j, i) => (w[j] = sol[i] / scale[i]));
    let worst = -1;
    for (const j of idx) if (w[j] < 0 && (worst < 0 || w[j] * scale[idx.indexOf(j)] < w[worst] * scale[idx.indexOf(worst)])) worst = j;
    if (worst < 0) return { w, clamped: Array.from({ length: p }, (_, i) => i).filter((i) => !active.has(i)) };
    active.delete(worst);
  }
}

/** Gaussian elimination with partial pivoting; a singular direction gets 0. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    if (Math.abs(M[c][c]) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => (Math.abs(row[i]) < 1e-12 ? 0 : row[n] / row[i]));
}

function r2(pred: number[], obs: number[]): number | null {
  if (obs.length < 2) return null;
  const m = obs.reduce((s, x) => s + x, 0) / obs.length;
  const tot = obs.reduce((s, x) => s + (x - m) ** 2, 0);
  const res = obs.reduce((s, x, i) => s + (x - pred[i]) ** 2, 0);
  return tot > 0 ? 1 - res / tot : null;
}

const pctAbs = (xs: number[], q: number): number | null => {
  if (!xs.length) return null;
  const s = xs.map(Math.abs).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export function fitStepTime(rows: readonly FitRequest[], scheduler: SimProfile['scheduler']): StepTimeFit {
  const loads = levelLoads(rows);
  const byLevel = new Map(loads.map((l) => [l.level, l]));
  const X: number[][] = [];
  const y: number[] = [];
  const kind: ('decode' | 'ttft')[] = [];
  for (const r of rows) {
    const L = byLevel.get(r.level);
    if (!L || r.status !== 'ok' || (r.agent ?? '').includes('warm-up')) continue;
    const kv = L.batch * L.ctxTokens;
    if (r.decodeTokPerS && r.decodeTokPerS > 0) {
      const step = 1000 / r.decodeTokPerS;
      X.push([1, L.batch, kv, L.prefillTokPerMs * step]);
      y.push(step);
      kind.push('decode');
    }
    if (r.ttftMs !== null && r.ttftMs > 0 && r.promptTokens && L.batch < 0.8 * scheduler.maxNumSeqs) {
      const uncached = Math.max(1, r.promptTokens - (r.cachedTokens ?? 0));
      const k = Math.max(1, Math.ceil(uncached / scheduler.maxNumBatchedTokens));
      const step = L.meanDecodeStepMs ?? 0;
      X.push([k, k * L.batch, k * kv, uncached + k * L.prefillTokPerMs * step]);
      y.push(r.ttftMs);
      kind.push('ttft');
    }
  }
  if (X.length < 4) throw new RangeError(`only ${X.length} usable request rows (need decode rates or TTFTs of completed calls at several levels)`);
  const Xw = X.map((row, i) => row.map((v) => v / y[i]));
  const yw = y.map(() => 1);
  const { w, clamped } = nnls(Xw, yw);
  const pred = X.map((row) => row.reduce((s, v, j) => s + v * w[j], 0));
  const sel = (k: 'decode' | 'ttft') => kind.map((x, i) => (x === k ? i : -1)).filter((i) => i >= 0);
  const dI = sel('decode');
  const tI = sel('ttft');
  const rel = (I: number[]) => I.map((i) => pred[i] / y[i] - 1);
  return {
    coefficients: { a: w[0], b: w[1], c: w[2], d: w[3] },
    rows: { decode: dI.length, ttft: tI.length },
    r2: { decode: r2(dI.map((i) => pred[i]), dI.map((i) => y[i])), ttft: r2(tI.map((i) => pred[i]), tI.map((i) => y[i])), all: r2(pred, y) },
    residuals: { decodeMedianAbs: pctAbs(rel(dI), 0.5), decodeP90Abs: pctAbs(rel(dI), 0.9), ttftMedianAbs: pctAbs(rel(tI), 0.5), ttftP90Abs: pctAbs(rel(tI), 0.9) },
    levels: loads,
    clamped: clamped.map((j) => 'abcd'[j]),
  };
}

const pctText = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** A profile object (YAML keys) from a base profile with the fitted step time. */
export function fittedProfileYaml(base: SimProfile, fit: StepTimeFit, runId: string, date: Date): Record<string, unknown> {
  const round = (x: number) => Number(x.toPrecision(4));
  return {
    name: `fitted-${runId}`,
    illustrative: true,
    source:
      `fitted from run ${runId} on ${date.toISOString().slice(0, 10)}: step_time_ms by least squares over ${fit.rows.decode} decode and ${fit.rows.ttft} TTFT rows ` +
      `(R^2 decode ${fit.r2.decode?.toFixed(3) ?? 'n/a'}, TTFT ${fit.r2.ttft?.toFixed(3) ?? 'n/a'}; median |relative residual| decode ${pctText(fit.residuals.decodeMedianAbs)}, TTFT ${pctText(fit.residuals.ttftMedianAbs)}; ` +
      `clamped to 0: ${fit.clamped.length ? fit.clamped.join(', ') : 'none'}); scheduler, KV cache and power copied from base profile "${base.name}", not fitted. Illustrative, not a measurement.`,
    served_model_name: `sim-fitted-${runId}`,
    max_model_len: base.maxModelLen,
    step_time_ms: { a: round(fit.coefficients.a), b: round(fit.coefficients.b), c: round(fit.coefficients.c), d: round(fit.coefficients.d) },
    scheduler: { max_num_seqs: base.scheduler.maxNumSeqs, max_num_batched_tokens: base.scheduler.maxNumBatchedTokens },
    kv_cache: { block_size: base.kvCache.blockSize, num_blocks: base.kvCache.numBlocks, enable_prefix_caching: base.kvCache.enablePrefixCaching },
    power: { idle_w: base.power.idleW, max_w: base.power.maxW, busy_floor: base.power.busyFloor },
    generation: { eos_mean_tokens: base.generation.eosMeanTokens },
  };
}
