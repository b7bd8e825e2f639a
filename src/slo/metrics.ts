/**
 * The metric registry (DESIGN 4, AIPerf-style): every figure a level reports is defined here once,
 * with its tag, unit, header, formula and direction, and computed by the one function beside it.
 * replay, the planner, scale merge, endpoint metrics and power all call these functions, so a
 * definition cannot drift between them.
 */

export type MetricDirection = 'lower-is-better' | 'higher-is-better';

export interface MetricDef {
  /** Stable machine tag (JSON keys, CSV columns). */
  tag: string;
  unit: string;
  /** Column header in tables. */
  header: string;
  /** The formula in words, as printed in docs and --help. */
  formula: string;
  direction: MetricDirection;
}

export const METRICS = {
  ttft: { tag: 'ttft', unit: 'ms', header: 'TTFT (ms)', formula: 'first visible output piece (content, reasoning or tool call) - send of the first try', direction: 'lower-is-better' },
  ttfo: { tag: 'ttfo', unit: 'ms', header: 'TTFO (ms)', formula: 'first non-reasoning output piece - send', direction: 'lower-is-better' },
  tpot: { tag: 'tpot', unit: 'ms', header: 'TPOT (ms)', formula: '(E2EL - TTFT) / (output tokens - 1); 0 for a 1-token output (vLLM)', direction: 'lower-is-better' },
  itl: { tag: 'itl', unit: 'ms', header: 'ITL (ms)', formula: 'gap between consecutive output chunks / pieces in the later chunk, one sample per piece', direction: 'lower-is-better' },
  e2el: { tag: 'e2el', unit: 'ms', header: 'E2EL (ms)', formula: 'end of response - send', direction: 'lower-is-better' },
  decodeRate: {
    tag: 'decode_rate',
    unit: 'tok/s',
    header: 'decode tok/s',
    formula: '(output tokens - 1) / (last piece - first piece); a call cut or unfinished: pieces / (cut - first piece), an upper bound',
    direction: 'higher-is-better',
  },
  agentDecodeRate: {
    tag: 'agent_decode_rate',
    unit: 'tok/s',
    header: 'agent tok/s (token-weighted)',
    formula: 'sum over the agent\'s judged window calls of decode tokens / sum of their decode spans',
    direction: 'higher-is-better',
  },
  goodput: { tag: 'goodput', unit: 'req/s', header: 'goodput (req/s)', formula: 'completed calls with TTFT <= ceiling and TPOT <= 1000/floor, per second of window (vLLM --goodput)', direction: 'higher-is-better' },
  agentsPerMW: { tag: 'agents_per_mw', unit: 'agents/MW', header: 'agents/MW', formula: 'max passing N / (mean power over the steady window at N, in MW)', direction: 'higher-is-better' },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/** Decode rate of a finished stretch of output: (tokens - 1) / span. null when it cannot be resolved (<= 1 token or no span). */
export function decodeTokPerS(tokens: number, firstMs: number, lastMs: number): number | null {
  if (!(tokens > 1) || !(lastMs > firstMs)) return null;
  return ((tokens - 1) * 1000) / (lastMs - firstMs);
}

/**
 * Upper bound on the decode rate of a call we stopped (or that had not finished) at `cutMs`:
 * `tokens` arrived from `firstMs` on and the next one had not come by the cut, so the call cannot
 * have decoded faster than tokens / (cut - first). A call silent through the whole interval (0
 * tokens) is bounded by 0.
 */
export function decodeUpperBoundTokPerS(tokens: number, firstMs: number, cutMs: number): number {
  if (tokens <= 0) return 0;
  if (!(cutMs > firstMs)) return Infinity;
  return (tokens * 1000) / (cutMs - firstMs);
}

/** vLLM TPOT: (e2el - ttft) / (output - 1); null for <= 1 token or an unknown TTFT. */
export function tpotMs(e2eMs: number, ttftMs: number | null, outputTokens: number): number | null {
  return outputTokens > 1 && ttftMs !== null ? (e2eMs - ttftMs) / (outputTokens - 1) : null;
}

/** TPOT ceiling equivalent to an output-speed floor: 1000 / tok/s (20 tok/s = 50 ms, 60 tok/s = 16.7 ms). */
export const tpotCeilingMs = (tokPerS: number): number => 1000 / tokPerS;

/** Inter-token period of a floor, ms: the time the client must resolve to judge that tier. */
export const interTokenPeriodMs = (tokPerS: number): number => 1000 / tokPerS;

/** vLLM goodput: a completed call is good when TTFT <= ceiling and TPOT <= ceiling (TPOT of a 1-token output counts as 0). */
export function isGoodput(ttftMs: number, tpot: number | null, slo: { ttftMs?: number; tpotMs?: number }): boolean {
  return (slo.ttftMs === undefined || ttftMs <= slo.ttftMs) && (slo.tpotMs === undefined || (tpot ?? 0) <= slo.tpotMs);
}

/** agents/MW = N / (mean W / 1e6); null without a positive mean power or a known N. */
export function agentsPerMW(agents: number | null, meanW: number | null): number | null {
  if (agents === null || !(agents >= 0) || meanW === null || !(meanW > 0)) return null;
  return agents / (meanW / 1e6);
}
