/**
 * Live figures of a level while it runs (progress view, NDJSON/Prometheus feeds): the level judged
 * on the calls finished so far in the window, with the same evaluateLevel as the final verdict
 * (so a live pass rate never follows different rules), plus TTFT/TPOT percentiles, errors per class,
 * energy since the level started and the client's own event-loop lag. Provisional by nature: the
 * verdict is the one taken when the level ends.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { percentileSorted } from '../core/index.js';
import { requestMetrics } from '../endpoint/index.js';
import type { LiveFigures, LiveStat, TierStatus } from '../ui/index.js';
import { evaluateLevel } from './evaluate.js';
import type { CallRecord } from './lane.js';
import type { LevelRun } from './level.js';
import type { SloThresholds, SloTier, ValidityThresholds } from '../slo/index.js';

function stat(xs: number[]): LiveStat | null {
  if (xs.length === 0) return null;
  xs.sort((a, b) => a - b);
  return { p50: percentileSorted(xs, 50), p99: percentileSorted(xs, 99), n: xs.length };
}

export interface LiveInput {
  records: readonly CallRecord[];
  windowStartNs: bigint | null;
  nowNs: bigint;
  tiers: readonly SloTier[];
  slo: SloThresholds;
  validity: ValidityThresholds;
  /** The level's settings a provisional LevelRun needs. */
  run: Pick<LevelRun, 'concurrency' | 'startNs' | 'contentMode' | 'api' | 'tokenModel'>;
}

/** Tier pass rates so far (null before the window) and the live figures. */
export function liveFigures(i: LiveInput, extra: { energyJ: number | null; clientLagP99Ms: number | null }): { tiers: (Pick<TierStatus, 'sloTokPerS' | 'passRate'>)[]; live: LiveFigures } {
  const ttft: number[] = [];
  const tpot: number[] = [];
  const errorsByClass: Record<string, number> = {};
  let judged = 0;
  const ws = i.windowStartNs;
  if (ws !== null) {
    for (const rec of i.records) {
      if (rec.warmup || rec.tSchedNs < ws) continue;
      const r = rec.result;
      if (!r.ok) {
        if (r.errorClass !== 'aborted') errorsByClass[r.errorClass ?? 'error'] = (errorsByClass[r.errorClass ?? 'error'] ?? 0) + 1;
        continue;
      }
      judged++;
      const m = requestMetrics(r, rec.tSchedNs);
      if (m.ttftMs !== null) ttft.push(m.ttftMs);
      if (m.tpotMs !== null) tpot.push(m.tpotMs);
    }
  }
  let passRates: (number | null)[] = i.tiers.map(() => null);
  if (ws !== null && judged > 0) {
    const provisional: LevelRun = {
      ...i.run,
      records: i.records as CallRecord[],
      windowStartNs: ws,
      windowEndNs: i.nowNs,
      cutNs: i.nowNs,
      warmupCompleted: true,
      interrupted: false,
      peakInFlight: 0,
      saturation: null,
      treesCompleted: 0,
    };
    try {
      passRates = evaluateLevel(provisional, i.tiers, i.slo, i.validity).tiers.map((t) => t.passRate);
    } catch {
      /* a live figure must never stop the level */
    }
  }
  return {
    tiers: i.tiers.map((t, k) => ({ sloTokPerS: t.sloTokPerS, passRate: passRates[k] ?? null })),
    live: { ttftMs: stat(ttft), tpotMs: stat(tpot), errorsByClass, energyJ: extra.energyJ, clientLagP99Ms: extra.clientLagP99Ms, canaryLagP99Ms: null, callsJudged: judged },
  };
}

/** Event-loop delay p99 since the last read (ms): the client's own timing lag, tick by tick. */
export class LagProbe {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  constructor() {
    this.h.enable();
  }
  read(): number | null {
    const v = this.h.count ? this.h.percentile(99) / 1e6 : null;
    this.h.reset();
    return v;
  }
  stop(): void {
    this.h.disable();
  }
}
