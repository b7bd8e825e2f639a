/**
 * What a virtual-time level records and reports (DESIGN 5): its result shapes, each simulated call
 * as the SLO core sees it (the same CallObservation replay builds from an HTTP record), and as a
 * store `requests` row. Everything here is SIMULATED.
 */
import { decodeTokPerS, judgeWindow, type CallObservation, type IdleSpan, type JudgedShare, type LevelWindow, type SloThresholds, type SloTier, type TierSummary } from '../slo/index.js';
import type { AgentHandle } from '../trajectory/index.js';
import type { CallSpec } from './lanes.js';

/** A tier's verdict at one planned level: the SLO core's summary, as a real level reports it. */
export type PlanTierResult = TierSummary;

/** A simulated call as a store `requests` row (times in virtual ns from the level start). */
export interface PlanRequestRow {
  level: number;
  lane: number;
  agent: string;
  /** Index of the step in the agent's steps. */
  step: number;
  promptTokens: number;
  cachedTokens: number | null;
  expectedCachedTokens: number;
  outputTokens: number;
  tSchedNs: bigint;
  tSendNs: bigint;
  tFirstNs: bigint | null;
  tLastNs: bigint | null;
  ttftMs: number | null;
  decodeTokPerS: number | null;
  e2eMs: number | null;
  status: string;
  errorClass: string | null;
  inWindow: boolean;
}

export interface PlanLevelResult {
  concurrency: number;
  replicas: number;
  /** Set when only some replicas were simulated: the verdict is judged on their agents. */
  sample: { replicas: number; ofReplicas: number; agents: number; scaledBy: number; note: string } | null;
  simulated: true;
  virtualTime: true;
  valid: boolean;
  reasons: string[];
  windowS: number;
  /** Virtual time the window opened (steady-state rule), and lanes that had finished a full call then. */
  windowStartS: number;
  /** Virtual time the level ended (cut): what the same level takes in real time on the live simulator. */
  endS: number;
  lanesWithFullCycle: number;
  judged: JudgedShare;
  /** KV block size the simulation accounted in (tokens); see PlanLevelOptions.kvBlockTokens. */
  kvBlockTokens: number;
  callsInWindow: number;
  callsSentInWindow: number;
  agentsActive: number;
  tiers: PlanTierResult[];
  errors: Record<string, number>;
  /** Output tokens generated in the window / window length, all replicas. */
  outputTokPerS: number;
  /** Time-weighted mean batch of busy steps in the window (per replica). */
  meanBatch: number | null;
  meanStepMs: number | null;
  /** Share of the window the engines were busy (mean over replicas). */
  busyShare: number;
  /** Prefix-cache hit share of prompt tokens admitted in the window. */
  prefixHitRate: number | null;
  peakWaiting: number;
  preemptions: number;
  treesCompleted: number;
  /** SIMULATED power: the profile's idle + dynamic(utilization) model, summed over replicas. */
  power: { meanW: number; energyJ: number; simulated: true; boundary: string };
  /** Cost of the simulation itself (wall clock of this process). */
  sim: { events: number; engineSteps: number; wallMs: number };
  requests?: PlanRequestRow[];
}

/** A simulated call as the driver tracks it (virtual ms). */
export interface PlanCallRec {
  lane: number;
  agent: AgentHandle;
  step: number;
  spec: CallSpec;
  replica: number;
  schedMs: number;
  sendMs: number;
  firstMs: number;
  lastMs: number;
  endMs: number;
  tokens: number;
  tokensAfterWs: number;
  firstAfterWsMs: number;
  lastAfterWsMs: number;
  cachedTokens: number | null;
  errorClass: string | null;
}

/** A planned call as the SLO core sees it: the same observation replay builds from its HTTP record. */
export function planObservation(r: PlanCallRec, cutMs: number): CallObservation {
  const ended = !Number.isNaN(r.endMs);
  const has = (x: number) => (Number.isNaN(x) ? null : x);
  return {
    agent: String(r.lane),
    warmup: r.spec.warmup,
    schedMs: r.schedMs,
    sendMs: r.sendMs,
    outcome: r.errorClass ? 'error' : ended ? 'ok' : 'cut',
    errorClass: r.errorClass,
    endMs: ended ? r.endMs : cutMs,
    firstTokenMs: has(r.firstMs),
    lastTokenMs: has(r.lastMs),
    tokens: r.tokens,
    afterWs: { tokens: r.tokensAfterWs, firstMs: has(r.firstAfterWsMs), lastMs: has(r.lastAfterWsMs) },
  };
}

/** The planner's judging: its call records as observations, through the SLO core (replay's evaluateLevel does the same from HTTP records). */
export function judgePlanCalls(recs: readonly PlanCallRec[], lanes: readonly number[], idle: readonly IdleSpan[], window: LevelWindow, tiers: readonly SloTier[], thresholds: SloThresholds) {
  return judgeWindow(recs.map((r) => planObservation(r, window.cutMs)), lanes.map(String), idle, window, tiers, thresholds);
}

const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

export function requestRow(r: PlanCallRec, level: number, ws: number, we: number): PlanRequestRow {
  const ok = !r.errorClass && !Number.isNaN(r.endMs);
  const hasFirst = !Number.isNaN(r.firstMs);
  return {
    level,
    lane: r.lane,
    agent: `${r.agent.trajectory.id}/${r.agent.agent.id}#${r.agent.cycle}${r.spec.warmup ? ' (warm-up)' : ''}`,
    step: r.step,
    promptTokens: r.spec.promptTokens,
    cachedTokens: r.cachedTokens,
    expectedCachedTokens: r.spec.expectedCachedTokens,
    outputTokens: r.tokens,
    tSchedNs: ns(r.schedMs),
    tSendNs: ns(r.schedMs),
    tFirstNs: hasFirst ? ns(r.firstMs) : null,
    tLastNs: hasFirst ? ns(r.lastMs) : null,
    ttftMs: hasFirst ? r.firstMs - r.schedMs : null,
    decodeTokPerS: ok ? decodeTokPerS(r.tokens, r.firstMs, r.lastMs) : null,
    e2eMs: ok ? r.endMs - r.schedMs : null,
    status: r.errorClass ? 'error' : ok ? 'ok' : 'cut',
    errorClass: r.errorClass,
    inWindow: !r.spec.warmup && r.schedMs >= ws && r.schedMs < we,
  };
}
