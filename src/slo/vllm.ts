/**
 * `vllm bench serve` style figures (pure), so a level cross-checks with vLLM's numbers
 * (research/loadgen.md 1.4): per request TTFT, TPOT = (e2el - ttft) / (out - 1), E2EL; ITL pooled
 * over all requests (token-weighted); mean / median / std (population) / p99 with linear
 * interpolation; goodput = requests meeting every given SLO (inclusive) per second of duration,
 * with the TPOT of a 1-token output counted as 0. 20 tok/s is TPOT <= 50 ms, 60 tok/s <= 16.7 ms.
 */
import { mean, percentileSorted } from '../core/index.js';
import { isGoodput, tpotMs } from './metrics.js';

export interface VllmRequestSample {
  ok: boolean;
  ttftMs: number | null;
  e2eMs: number;
  outputTokens: number;
  itlMs: readonly number[];
}

export interface VllmStat {
  mean: number | null;
  median: number | null;
  std: number | null;
  p99: number | null;
}

export interface VllmGoodput {
  /** e.g. "ttft:2000 tpot:50" in vLLM's --goodput syntax. */
  spec: string;
  ttftMs: number | null;
  tpotMs: number | null;
  goodRequests: number;
  requestGoodput: number;
}

export interface VllmMetrics {
  completed: number;
  failed: number;
  durationS: number;
  totalOutputTokens: number;
  requestThroughput: number;
  outputThroughput: number;
  ttftMs: VllmStat;
  tpotMs: VllmStat;
  itlMs: VllmStat;
  e2elMs: VllmStat;
  goodput: VllmGoodput[];
}

function stat(values: number[]): VllmStat {
  if (!values.length) return { mean: null, median: null, std: null, p99: null };
  const s = [...values].sort((a, b) => a - b);
  const m = mean(s);
  let v = 0;
  for (const x of s) v += (x - m) ** 2;
  return { mean: m, median: percentileSorted(s, 50), std: Math.sqrt(v / s.length), p99: percentileSorted(s, 99) };
}

const tpotOf = (r: VllmRequestSample): number => tpotMs(r.e2eMs, r.ttftMs, r.outputTokens) ?? 0;

export function vllmMetrics(
  samples: readonly VllmRequestSample[],
  durationS: number,
  goodputSlos: readonly { ttftMs?: number; tpotMs?: number }[] = [],
): VllmMetrics {
  const ok = samples.filter((r) => r.ok && r.ttftMs !== null);
  const totalOutputTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const itl: number[] = [];
  for (const r of ok) for (const x of r.itlMs) itl.push(x);
  const goodput = goodputSlos.map((g) => {
    const good = ok.filter((r) => isGoodput(r.ttftMs as number, tpotOf(r), g)).length;
    const parts = [g.ttftMs !== undefined ? `ttft:${round(g.ttftMs)}` : '', g.tpotMs !== undefined ? `tpot:${round(g.tpotMs)}` : ''].filter(Boolean);
    return { spec: parts.join(' '), ttftMs: g.ttftMs ?? null, tpotMs: g.tpotMs ?? null, goodRequests: good, requestGoodput: durationS > 0 ? good / durationS : 0 };
  });
  return {
    completed: ok.length,
    failed: samples.length - ok.length,
    durationS,
    totalOutputTokens,
    requestThroughput: durationS > 0 ? ok.length / durationS : 0,
    outputThroughput: durationS > 0 ? totalOutputTokens / durationS : 0,
    ttftMs: stat(ok.map((r) => r.ttftMs as number)),
    tpotMs: stat(ok.filter((r) => r.outputTokens > 1).map(tpotOf)),
    itlMs: stat(itl),
    e2elMs: stat(ok.map((r) => r.e2eMs)),
    goodput,
  };
}

const round = (x: number): string => (Math.round(x * 100) / 100).toString();
