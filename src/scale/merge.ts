/**
 * `results merge` (DESIGN 7), pure: K shard runs of one replay level -> one merged level.
 * - the shards must be one experiment: same config apart from the shard index, every index once;
 * - their steady windows, placed in wall-clock time through each run's clock anchor, must overlap by
 *   >= 90% of the shortest (else the load was not simultaneous);
 * - per tier, agents active / judged / meeting are summed (shards run disjoint lanes) and the
 *   verdict is recomputed from the sums by the SLO core's level rule (mergeTierCounts);
 * - errors and output tok/s are summed; latency percentiles come from HDR histograms added
 *   across shards, never from averaging percentiles.
 */
import type { WindowPower } from '../power/index.js';
import { mergedPower, type MergedPowerChannel } from './power.js';
import { AgentdynoError, type ClockAnchor } from '../core/index.js';
import { shardLanes } from '../replay/index.js';
import { isGoodput, mergeTierCounts, tpotCeilingMs, tpotMs, type BindingConstraint, type SloThresholds, type SloTier, type TierCounts } from '../slo/index.js';
import { HDR_PRECISION_TEXT, decodeHistogram, hdrStat, histogramOfMs, mergeHistograms, type HdrStat } from './hdr.js';
import type { ShardConfig } from './shard.js';

/** Required share of the shortest shard window that all windows must share. */
export const MIN_WINDOW_OVERLAP = 0.9;

/** A stored request row as the merge needs it. */
export interface ShardRequest {
  lane: number | null;
  status: string;
  inWindow: boolean;
  ttftMs: number | null;
  e2eMs: number | null;
  outputTokens: number | null;
}

export interface ShardTier {
  sloTokPerS: number;
  ttftCeilingMs: number;
  agentsActive: number;
  /** Absent in reports stored before the judged-share rules: then every active agent was judged. */
  agentsJudged?: number;
  agentsMeeting: number;
  agentsSilent?: number;
  callsJudged: number;
  callsMeeting: number;
  callsPartial?: number;
  callsPartialMeeting?: number;
  callFailures: { ttft: number; decode: number; error: number };
  /** Tier judgeable at this shard's level (client timing); absent = yes. */
  valid?: boolean;
  reasons?: string[];
}

/** The parts of a shard's stored LevelReport the merge reads. */
export interface ShardLevel {
  valid: boolean;
  reasons: string[];
  windowStartNs: string;
  windowEndNs: string;
  windowS: number;
  agentsActive: number;
  callsSentInWindow: number;
  tiers: ShardTier[];
  errors: Record<string, number>;
  outputTokPerS: number;
}

export interface ShardRun {
  runId: string;
  /** Database file the run was read from. */
  db: string;
  kind: string;
  status: string;
  config: Record<string, unknown>;
  target: Record<string, unknown> | null;
  clockAnchor: ClockAnchor | null;
  level: ShardLevel | null;
  /** Encoded ITL histogram the shard stored (hdr.ts itlHistogramOfRun), if any. */
  itlHdr: string | null;
  /** Power windows the shard measured over its own window (replay --power), if any. */
  power?: WindowPower[];
  requests: ShardRequest[];
}

/** A tier's verdict over all shards: the single-run verdict's counts (summed), without per-agent rows. */
export interface MergedTier extends TierCounts {
  sloTokPerS: number;
  ttftCeilingMs: number;
  passRate: number | null;
  pass: boolean;
  bindingConstraint: BindingConstraint;
  /** False when some shard could not judge the tier (client timing). */
  valid: boolean;
  /** Per shard (index order): agents meeting / active. */
  byShard: { index: number; agentsMeeting: number; agentsActive: number }[];
}

export interface MergedShard {
  index: number;
  runId: string;
  db: string;
  lanes: number[];
  lanesSeen: number[];
  clockAnchor: ClockAnchor;
  windowStartWallMs: number;
  windowEndWallMs: number;
  /** Window start relative to the earliest shard's, ms (clock offset + start skew). */
  startOffsetMs: number;
  windowS: number;
  valid: boolean;
  agentsActive: number;
  outputTokPerS: number;
}

export interface MergedVllm {
  precision: string;
  completed: number;
  failed: number;
  totalOutputTokens: number;
  /** Sum over shards of completed calls / shard window. */
  requestThroughput: number;
  outputThroughput: number;
  ttftMs: HdrStat;
  tpotMs: HdrStat;
  /** null when a shard stored no ITL histogram. */
  itlMs: HdrStat | null;
  e2elMs: HdrStat;
  goodput: { spec: string; goodRequests: number; requestGoodput: number }[];
}

export interface MergedLevel {
  kind: 'replay-merged';
  concurrency: number;
  shardCount: number;
  startAt: string | null;
  valid: boolean;
  reasons: string[];
  window: { startWallMs: number; endWallMs: number; overlapS: number; shortestS: number; overlapFraction: number };
  agentsActive: number;
  tiers: MergedTier[];
  thresholds: SloThresholds;
  errors: Record<string, number>;
  errorRate: number;
  callsSentInWindow: number;
  outputTokPerS: number;
  vllm: MergedVllm;
  /** Power channels measured by the shards (one per distinct channel, never summed across shards). */
  power: MergedPowerChannel[];
  shards: MergedShard[];
  notes: string[];
}

const refuse = (what: string, runs: readonly ShardRun[], hint: string) =>
  new AgentdynoError(`cannot merge: ${what}`, { code: 'E_SHARD_MISMATCH', where: runs.map((r) => `${r.runId} (${r.db})`).join(', '), hint });

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x)) ?? 'undefined';
const baseName = (p: unknown) => String(p).split(/[\\/]/).pop();

/** What must be equal across the shards of one experiment (file paths compared by name: machines differ). */
function fingerprint(r: ShardRun): Record<string, unknown> {
  const c = r.config;
  const s = c.shard as ShardConfig;
  return {
    'N (--concurrency)': s.concurrencyTotal,
    'K (shard count)': s.count,
    '--start-at': s.startAt,
    trajectories: { count: c.trajectoryCount, files: Array.isArray(c.trajectories) ? c.trajectories.map(baseName) : c.trajectories },
    'SLO tiers': c.tiers,
    'SLO thresholds': c.slo,
    'level settings (window, warm-up, seed, history, content, api, ...)': c.level,
    'validity thresholds': c.validity,
    'target URL and model': { url: r.target?.url, model: r.target?.model },
  };
}

function checkOneExperiment(runs: readonly ShardRun[]): { n: number; k: number; startAt: string | null } {
  if (!runs.length) throw new AgentdynoError('cannot merge: no shard runs given', { code: 'E_SHARD_MISMATCH', hint: 'Name the shard runs (RUN_ID...) or their databases (--from shard0.db --from shard1.db).' });
  for (const r of runs) {
    if (r.kind !== 'replay' || !r.config.shard) throw refuse(`run ${r.runId} is a ${r.kind} run without a shard, not a shard of a replay`, [r], 'Merge runs made with `agentdyno replay --concurrency N --shard I/K`.');
    if (r.status !== 'completed') throw refuse(`shard run ${r.runId} is ${r.status}, not completed`, [r], 'Rerun every shard (same --start-at, a new time) so that all complete.');
    if (!r.level) throw refuse(`shard run ${r.runId} stored no level report`, [r], 'Rerun the shard.');
    if (!r.clockAnchor) throw refuse(`shard run ${r.runId} has no clock anchor, so its window cannot be placed in wall-clock time`, [r], 'Rerun the shard with this version of agentdyno (it records the anchor).');
  }
  const f0 = fingerprint(runs[0]);
  for (const r of runs.slice(1)) {
    const f = fingerprint(r);
    for (const k of Object.keys(f0)) {
      if (stable(f[k]) !== stable(f0[k])) {
        throw refuse(`the shards are not one experiment: ${k} differs (${runs[0].runId}: ${stable(f0[k])}; ${r.runId}: ${stable(f[k])})`, [runs[0], r], 'Every shard must run the same command apart from --shard I/K (same --concurrency, shard count, --start-at, trajectories, SLO, window and target).');
      }
    }
  }
  const s0 = runs[0].config.shard as ShardConfig;
  const byIndex = new Map<number, ShardRun[]>();
  for (const r of runs) byIndex.set((r.config.shard as ShardConfig).index, [...(byIndex.get((r.config.shard as ShardConfig).index) ?? []), r]);
  const dup = [...byIndex.entries()].find(([, rs]) => rs.length > 1);
  if (dup) throw refuse(`shard index ${dup[0]} appears ${dup[1].length} times (${dup[1].map((r) => r.runId).join(', ')})`, dup[1], 'Give each shard index exactly once.');
  const missing = Array.from({ length: s0.count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) throw refuse(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${s0.count} missing (have ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')})`, runs, 'Pass every shard\'s database with --from (or every run id), so that all K indices are present.');
  return { n: s0.concurrencyTotal, k: s0.count, startAt: s0.startAt };
}

const wallMs = (a: ClockAnchor, ns: string) => a.wallClockMs + Number(BigInt(ns) - BigInt(a.monotonicNs)) / 1e6;

export function mergeShards(input: readonly ShardRun[]): MergedLevel {
  const { n, k, startAt } = checkOneExperiment(input);
  const runs = [...input].sort((a, b) => (a.config.shard as ShardConfig).index - (b.config.shard as ShardConfig).index);
  const notes: string[] = [];
  // Lanes: each shard ran the global lanes i % K == index; together they are 0..N-1, disjoint.
  const seenBy = new Map<number, number>();
  const shards: MergedShard[] = runs.map((r) => {
    const s = r.config.shard as ShardConfig;
    const lanes = shardLanes(n, s.index, k);
    const lanesSeen = [...new Set(r.requests.map((q) => q.lane).filter((l): l is number => l !== null))].sort((a, b) => a - b);
    for (const l of lanesSeen) {
      if (!lanes.includes(l)) throw refuse(`shard ${s.index} (${r.runId}) stored requests of lane ${l}, which is not one of its lanes (i % ${k} == ${s.index})`, [r], 'The shard database looks altered or from another version; rerun the shard.');
      if (seenBy.has(l)) throw refuse(`lane ${l} appears in shards ${seenBy.get(l)} and ${s.index}`, runs, 'Rerun the shards.');
      seenBy.set(l, s.index);
    }
    const lv = r.level!;
    const a = r.clockAnchor!;
    return { index: s.index, runId: r.runId, db: r.db, lanes, lanesSeen, clockAnchor: a, windowStartWallMs: wallMs(a, lv.windowStartNs), windowEndWallMs: wallMs(a, lv.windowEndNs), startOffsetMs: 0, windowS: lv.windowS, valid: lv.valid, agentsActive: lv.agentsActive, outputTokPerS: lv.outputTokPerS };
  });
  // Simultaneity: the windows' common part must cover >= 90% of the shortest window.
  const start = Math.max(...shards.map((s) => s.windowStartWallMs));
  const end = Math.min(...shards.map((s) => s.windowEndWallMs));
  const shortestMs = Math.min(...shards.map((s) => s.windowEndWallMs - s.windowStartWallMs));
  const overlapMs = Math.max(0, end - start);
  const overlapFraction = shortestMs > 0 ? overlapMs / shortestMs : 0;
  const earliest = Math.min(...shards.map((s) => s.windowStartWallMs));
  for (const s of shards) s.startOffsetMs = s.windowStartWallMs - earliest;
  if (overlapFraction < MIN_WINDOW_OVERLAP - 1e-9) {
    throw refuse(
      `the shards' steady windows overlap by ${(overlapMs / 1000).toFixed(2)} s, ${(overlapFraction * 100).toFixed(0)}% of the shortest (${(shortestMs / 1000).toFixed(2)} s); at least ${MIN_WINDOW_OVERLAP * 100}% is needed, so the load was not simultaneous (window starts: ${shards.map((s) => `shard ${s.index} ${new Date(s.windowStartWallMs).toISOString()}`).join(', ')})`,
      runs,
      'Start every shard with the same --start-at, a time far enough ahead for all to be set up, on machines whose clocks are synchronized (NTP).',
    );
  }
  // Verdicts from summed counts, with the shards' (equal) thresholds.
  const thresholds = runs[0].config.slo as SloThresholds;
  const tiers: MergedTier[] = (runs[0].config.tiers as SloTier[]).map((t, i) => {
    const per = runs.map((r) => r.level!.tiers[i]);
    const sum = (f: (x: ShardTier) => number) => per.reduce((s, x) => s + f(x), 0);
    const counts: TierCounts = {
      agentsActive: sum((x) => x.agentsActive),
      agentsJudged: sum((x) => x.agentsJudged ?? x.agentsActive),
      agentsMeeting: sum((x) => x.agentsMeeting),
      agentsSilent: sum((x) => x.agentsSilent ?? 0),
      callsJudged: sum((x) => x.callsJudged),
      callsMeeting: sum((x) => x.callsMeeting),
      callsPartial: sum((x) => x.callsPartial ?? 0),
      callsPartialMeeting: sum((x) => x.callsPartialMeeting ?? 0),
      callFailures: { ttft: sum((x) => x.callFailures.ttft), decode: sum((x) => x.callFailures.decode), error: sum((x) => x.callFailures.error) },
    };
    const bad = per.map((x, j) => (x.valid === false ? `shard ${shards[j].index}: ${(x.reasons ?? []).join('; ')}` : null)).filter((x): x is string => x !== null);
    for (const b of bad) notes.push(`tier ${t.sloTokPerS} tok/s not judgeable on ${b}`);
    return {
      sloTokPerS: t.sloTokPerS,
      ttftCeilingMs: t.ttftCeilingMs,
      ...mergeTierCounts(counts, thresholds),
      valid: bad.length === 0,
      byShard: runs.map((r, j) => ({ index: shards[j].index, agentsMeeting: per[j].agentsMeeting, agentsActive: per[j].agentsActive })),
    };
  });
  const errors: Record<string, number> = {};
  for (const r of runs) for (const [c, v] of Object.entries(r.level!.errors)) errors[c] = (errors[c] ?? 0) + v;
  const callsSentInWindow = runs.reduce((s, r) => s + r.level!.callsSentInWindow, 0);
  const errorCount = Object.values(errors).reduce((s, v) => s + v, 0);
  const reasons: string[] = [];
  for (const [j, r] of runs.entries()) for (const why of r.level!.reasons) reasons.push(`shard ${shards[j].index} (${r.runId}): ${why}`);
  return {
    kind: 'replay-merged',
    concurrency: n,
    shardCount: k,
    startAt,
    valid: reasons.length === 0,
    reasons,
    window: { startWallMs: start, endWallMs: end, overlapS: overlapMs / 1000, shortestS: shortestMs / 1000, overlapFraction },
    agentsActive: shards.reduce((s, x) => s + x.agentsActive, 0),
    tiers,
    thresholds,
    errors,
    errorRate: callsSentInWindow ? errorCount / callsSentInWindow : 0,
    callsSentInWindow,
    outputTokPerS: shards.reduce((s, x) => s + x.outputTokPerS, 0),
    vllm: mergedVllm(runs, runs[0].config.tiers as SloTier[], notes),
    power: mergedPower(runs.map((r, j) => ({ index: shards[j].index, power: r.power ?? [] })), n, tiers),
    shards,
    notes,
  };
}

const tpotOf = (q: ShardRequest): number | null => (q.outputTokens !== null && q.e2eMs !== null ? tpotMs(q.e2eMs, q.ttftMs, q.outputTokens) : null);

/** vLLM-style figures over each shard's completed calls sent in its window (evaluate.ts's set), merged as histograms. */
function mergedVllm(runs: readonly ShardRun[], tiers: readonly SloTier[], notes: string[]): MergedVllm {
  const per = runs.map((r) => {
    const ok = r.requests.filter((q) => q.inWindow && q.status === 'ok' && q.ttftMs !== null && q.e2eMs !== null);
    return {
      r,
      ok,
      failed: r.requests.filter((q) => q.inWindow && q.status === 'error').length,
      ttft: histogramOfMs(ok.map((q) => q.ttftMs!)),
      e2el: histogramOfMs(ok.map((q) => q.e2eMs!)),
      tpot: histogramOfMs(ok.map(tpotOf).filter((v): v is number => v !== null)),
      itl: r.itlHdr ? decodeHistogram(r.itlHdr) : null,
    };
  });
  const missingItl = per.filter((p) => !p.itl).map((p) => p.r.runId);
  if (missingItl.length) notes.push(`ITL not merged: shard run(s) ${missingItl.join(', ')} stored no ITL histogram (request rows keep only per-call ITL summaries)`);
  const rate = (count: (p: (typeof per)[number]) => number) => per.reduce((s, p) => s + (p.r.level!.windowS > 0 ? count(p) / p.r.level!.windowS : 0), 0);
  const goodput = tiers.map((t) => {
    const tpotMax = tpotCeilingMs(t.sloTokPerS);
    const good = (p: (typeof per)[number]) => p.ok.filter((q) => isGoodput(q.ttftMs!, tpotOf(q), { ttftMs: t.ttftCeilingMs, tpotMs: tpotMax })).length;
    return { spec: `ttft:${t.ttftCeilingMs} tpot:${Math.round(tpotMax * 100) / 100}`, goodRequests: per.reduce((s, p) => s + good(p), 0), requestGoodput: rate(good) };
  });
  return {
    precision: HDR_PRECISION_TEXT,
    completed: per.reduce((s, p) => s + p.ok.length, 0),
    failed: per.reduce((s, p) => s + p.failed, 0),
    totalOutputTokens: per.reduce((s, p) => s + p.ok.reduce((a, q) => a + (q.outputTokens ?? 0), 0), 0),
    requestThroughput: rate((p) => p.ok.length),
    outputThroughput: rate((p) => p.ok.reduce((a, q) => a + (q.outputTokens ?? 0), 0)),
    ttftMs: hdrStat(mergeHistograms(per.map((p) => p.ttft))),
    tpotMs: hdrStat(mergeHistograms(per.map((p) => p.tpot))),
    itlMs: missingItl.length ? null : hdrStat(mergeHistograms(per.map((p) => p.itl!))),
    e2elMs: hdrStat(mergeHistograms(per.map((p) => p.e2el))),
    goodput,
  };
}
