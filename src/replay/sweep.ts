/**
 * Sweep orchestration (DESIGN 4): asks the search for the next level, runs it through an injected
 * level runner, integrates every power channel over exactly that level's steady window, hands the
 * level to the caller (store) as soon as it is done, and turns the folded levels into one result
 * per tier: bracket [max passing, min failing], binding constraint, cliff / non-monotone flags,
 * agents/MW at the max passing level with the power boundary. No timers or sockets here.
 */
import { agentsPerMW, type AgentsPerMW, type WindowPower } from '../power/index.js';
import type { ProgressEvent, TierStatus } from '../ui/index.js';
import type { LevelReport } from './evaluate.js';
import { foldLevels, nextLevel, tierBracket, type BindingConstraint, type LevelOutcome, type SearchOptions, type SloThresholds, type SloTier } from '../slo/index.js';

export interface SweepLevel {
  /** Order in which levels ran (0-based). */
  index: number;
  concurrency: number;
  /** 0 for the first run of this concurrency, 1.. for replicates. */
  replicate: number;
  valid: boolean;
  reasons: string[];
  /** Pass rate per tier, keyed by the floor in tok/s ("20", "60"). */
  passRates: Record<string, number | null>;
  /** Window calls per error class. */
  errors: Record<string, number>;
  report: LevelReport;
  power: WindowPower[];
}

export interface TierPower {
  meanW: number | null;
  energyJ: number | null;
  boundary: string;
  source: string;
  comparabilityClass: string;
  simulated: boolean;
  label: AgentsPerMW['label'];
  /** Idle power of the same channel measured before the first level; beside the headline, never subtracted. */
  idleW: number | null;
  coverage: number;
  samples: number;
  flags: string[];
  windowStartNs: string;
  windowEndNs: string;
}

export interface TierResult extends SloTier {
  /** Max passing concurrency (0 = fails at 1; null = not determined). */
  nMax: number | null;
  minFailing: number | null;
  /** Set when minFailing did not come from this sweep's levels (e.g. the virtual-time plan). */
  minFailingSource?: string;
  resolved: boolean;
  bindingConstraint: BindingConstraint;
  cliff: boolean;
  nonMonotone: boolean;
  passRateAtNMax: number | null;
  passRateAtMinFailing: number | null;
  notes: string[];
  agentsPerMW: number | null;
  agentsPerMWReason: string | null;
  /** Primary power channel (the first --power) over the steady window at nMax. */
  power: TierPower | null;
  /** Every channel's figure (simulated or not, each with its class). */
  powerChannels: AgentsPerMW[];
}

export interface SweepResult {
  /** failed: the endpoint stopped answering (see reasons); the levels before it are kept. */
  status: 'completed' | 'interrupted' | 'failed';
  valid: boolean;
  reasons: string[];
  thresholds: SloThresholds;
  search: SearchOptions;
  tiers: TierResult[];
  levels: SweepLevel[];
}

export interface SweepDeps {
  runLevel(concurrency: number, index: number): Promise<LevelReport>;
  /** Which level to run next (default: the search's nextLevel); e.g. the levels a plan proposed. */
  next?(outcomes: readonly LevelOutcome[]): number | null;
  /** One WindowPower per channel for [startNs, endNs]; absent = no power source. */
  powerWindows?(startNs: bigint, endNs: bigint): Promise<WindowPower[]>;
  onLevelDone?(level: SweepLevel): void | Promise<void>;
  emit?(e: ProgressEvent): void;
  signal?: AbortSignal;
  /** Why agents/MW is null when there is no power source. */
  noPowerReason?: string;
  /** Idle power per channel (same order as powerWindows), measured before the first level. */
  idle?: WindowPower[];
}

/**
 * The endpoint is gone (not merely overloaded): no call sent in the window succeeded and nearly all
 * of them were refused connections. Going on would only add levels of refused calls.
 */
export function endpointLost(r: LevelReport): string | null {
  const failed = Object.values(r.errors).reduce((a, n) => a + n, 0);
  const refused = r.errors.refused ?? 0;
  if (r.callsSentInWindow === 0 || failed < r.callsSentInWindow || refused < 0.9 * failed) return null;
  return `the endpoint stopped accepting connections: at ${r.concurrency} agents all ${r.callsSentInWindow} calls sent in the window failed (${refused} refused); the sweep stopped and the levels before it are kept`;
}

export function outcomeOf(r: LevelReport): LevelOutcome {
  return { concurrency: r.concurrency, valid: r.valid, pass: r.tiers.map((t) => t.pass), passRates: r.tiers.map((t) => t.passRate), tierValid: r.tiers.map((t) => t.valid !== false) };
}

function tierStatuses(levels: readonly SweepLevel[], tiers: readonly SloTier[], search: SearchOptions, current?: LevelReport): TierStatus[] {
  const folded = foldLevels(levels.map((l) => outcomeOf(l.report)), tiers.length);
  return tiers.map((t, i) => {
    const b = tierBracket(folded, i, search);
    return { sloTokPerS: t.sloTokPerS, passRate: current?.tiers[i]?.passRate ?? null, maxPassing: b.maxPassing, minFailing: b.minFailing };
  });
}

export async function runSweep(tiers: readonly SloTier[], thresholds: SloThresholds, search: SearchOptions, deps: SweepDeps): Promise<SweepResult> {
  const levels: SweepLevel[] = [];
  let interrupted = false;
  let lost: string | null = null;
  for (let index = 0; ; index++) {
    if (deps.signal?.aborted) {
      interrupted = true;
      break;
    }
    const outcomes = levels.map((l) => outcomeOf(l.report));
    const c = deps.next ? deps.next(outcomes) : nextLevel(outcomes, tiers.length, search);
    if (c === null) break;
    deps.emit?.({ type: 'level-start', concurrency: c, index, phase: 'warmup' });
    const report = await deps.runLevel(c, index);
    if (report.interrupted) {
      interrupted = true;
      deps.emit?.({ type: 'message', level: 'warn', text: `level ${c} interrupted: not counted` });
      break;
    }
    lost = endpointLost(report);
    if (lost) {
      deps.emit?.({ type: 'message', level: 'warn', text: `${lost}: level ${c} not counted` });
      break;
    }
    const power = deps.powerWindows ? await deps.powerWindows(BigInt(report.windowStartNs), BigInt(report.windowEndNs)) : [];
    const level: SweepLevel = {
      index,
      concurrency: c,
      replicate: levels.filter((l) => l.concurrency === c).length,
      valid: report.valid,
      reasons: report.reasons,
      passRates: Object.fromEntries(report.tiers.map((t) => [String(t.sloTokPerS), t.passRate])),
      errors: report.errors,
      report,
      power,
    };
    levels.push(level);
    await deps.onLevelDone?.(level);
    deps.emit?.({ type: 'level-end', concurrency: c, valid: report.valid, reasons: report.reasons, tiers: tierStatuses(levels, tiers, search, report) });
    // A worker lost (or clocks apart): the level is stored as invalid, and no further level can run as asked.
    if (report.fatal) {
      lost = `level ${c} could not run as asked (${report.fatal}); the sweep stopped and the levels before it are kept`;
      deps.emit?.({ type: 'message', level: 'warn', text: lost });
      break;
    }
  }
  const result = summarizeSweep(tiers, thresholds, search, levels, interrupted, deps.noPowerReason, deps.idle);
  return lost ? { ...result, status: 'failed', valid: false, reasons: [lost, ...result.reasons] } : result;
}

/** Per-tier results from the levels run so far (also used for partial results after each level). */
export function summarizeSweep(
  tiers: readonly SloTier[],
  thresholds: SloThresholds,
  search: SearchOptions,
  levels: SweepLevel[],
  interrupted: boolean,
  noPowerReason = 'no power source (--power) was given',
  idle?: WindowPower[],
): SweepResult {
  const folded = foldLevels(levels.map((l) => outcomeOf(l.report)), tiers.length);
  const reasons: string[] = [];
  if (interrupted) reasons.push('interrupted before the search finished');
  const results: TierResult[] = tiers.map((tier, i) => {
    const b = tierBracket(folded, i, search);
    const atMax = levels.filter((l) => l.concurrency === b.maxPassing);
    const atFail = levels.filter((l) => l.concurrency === b.minFailing);
    const failing = atFail.find((l) => !l.report.tiers[i].pass) ?? atFail[0];
    const binding: BindingConstraint = failing ? failing.report.tiers[i].bindingConstraint : 'none';
    const notes = [...b.notes];
    if (!b.resolved) notes.push('bracket not resolved to the requested resolution');
    let power: TierPower | null = null;
    let apm: number | null = null;
    let apmReason: string | null = null;
    const channels: AgentsPerMW[] = [];
    const ref = atMax[0];
    if (b.maxPassing === null) apmReason = 'no level decided this tier yet';
    else if (b.maxPassing === 0) apmReason = 'no passing concurrency level: the tier fails already at 1 agent';
    else if (!ref?.power.length) apmReason = noPowerReason;
    else {
      ref.power.forEach((w, k) => channels.push(agentsPerMW(b.maxPassing, w, { idle: idle?.[k] })));
      const w = ref.power[0];
      const a = channels[0];
      apm = a.value;
      apmReason = a.reason ?? null;
      power = {
        meanW: w.meanW,
        energyJ: w.energyJ,
        boundary: w.boundary,
        source: w.source,
        comparabilityClass: w.comparabilityClass,
        simulated: w.simulated,
        label: a.label,
        idleW: a.idleW ?? null,
        coverage: w.coverage,
        samples: w.samples,
        flags: w.flags,
        windowStartNs: w.startNs,
        windowEndNs: w.endNs,
      };
    }
    if (!b.resolved) reasons.push(`tier ${tier.sloTokPerS} tok/s: bracket not resolved`);
    for (const l of [...atMax, ...atFail]) {
      if (!l.report.valid && l.concurrency === b.maxPassing) reasons.push(`tier ${tier.sloTokPerS} tok/s: level ${l.concurrency} is invalid (${l.report.reasons.join('; ')})`);
      // Client timing (slo tierValidity): the client could not resolve this tier at its N_max level.
      const unresolved = l.report.tiers.find((x) => x.sloTokPerS === tier.sloTokPerS)?.invalidReason;
      if (unresolved && l.concurrency === b.maxPassing) reasons.push(`tier ${tier.sloTokPerS} tok/s: level ${l.concurrency} is invalid for this tier (${unresolved})`);
    }
    return {
      ...tier,
      nMax: b.maxPassing,
      minFailing: b.minFailing,
      resolved: b.resolved,
      bindingConstraint: binding,
      cliff: b.cliff,
      nonMonotone: b.nonMonotone,
      passRateAtNMax: folded.find((l) => l.concurrency === b.maxPassing)?.passRates[i] ?? null,
      passRateAtMinFailing: folded.find((l) => l.concurrency === b.minFailing)?.passRates[i] ?? null,
      notes,
      agentsPerMW: apm,
      agentsPerMWReason: apmReason,
      power,
      powerChannels: channels,
    };
  });
  const boundaryInvalid = levels.some((l) => !l.report.valid && results.some((t) => t.minFailing === l.concurrency));
  if (boundaryInvalid) reasons.push('a min-failing level is invalid: it bounds the search but is not a measured SLO failure');
  return {
    status: interrupted ? 'interrupted' : 'completed',
    valid: reasons.length === 0,
    reasons: [...new Set(reasons)],
    thresholds,
    search,
    tiers: results,
    levels,
  };
}

/** A tier bound from another source than this sweep's HTTP levels (the virtual-time plan). */
export interface PlannedBound {
  sloTokPerS: number;
  maxPassing: number | null;
  minFailing: number | null;
  /** Where it came from, printed beside it (e.g. "virtual-time plan, SIMULATED"). */
  source: string;
}

/**
 * Plan-then-verify: where the HTTP levels found a tier's N_max but ran no failing level above it,
 * the planner's min failing closes the bracket, labelled as such (minFailingSource), unless an HTTP
 * failure lies below it. Also notes whether the HTTP and planned brackets overlap.
 */
export function withPlannedBounds(r: SweepResult, planned: readonly PlannedBound[]): SweepResult {
  const reasons = r.reasons.filter((x) => !/bracket not resolved/.test(x));
  const tiers = r.tiers.map((t) => {
    const p = planned.find((x) => x.sloTokPerS === t.sloTokPerS);
    if (!p) return t;
    const notes = [...t.notes];
    let out: TierResult = { ...t, notes };
    // The planner's min failing closes the bracket when it is tighter than any HTTP failure (an HTTP
    // failure below it would win); it is labelled, and the lowest HTTP failure is kept in the note.
    if (p.minFailing !== null && t.nMax !== null && t.nMax > 0 && p.minFailing > t.nMax && (t.minFailing === null || p.minFailing < t.minFailing)) {
      const resolved = p.minFailing - t.nMax <= Math.max(1, Math.ceil(r.search.resolution * t.nMax));
      out = { ...out, minFailing: p.minFailing, minFailingSource: p.source, resolved, notes: notes.filter((n) => !/bracket not resolved/.test(n)) };
      out.notes.push(`min failing ${p.minFailing} is from the ${p.source} (not run over HTTP)${t.minFailing !== null ? `; the lowest level that failed over HTTP is ${t.minFailing}` : ''}`);
    }
    const a = [out.nMax ?? 0, out.minFailing ?? Infinity];
    const b = [p.maxPassing ?? 0, p.minFailing ?? Infinity];
    const overlap = a[0] < b[1] && b[0] < a[1];
    const lags = r.levels.filter((l) => l.report.simDriverLag && (l.concurrency === out.nMax || l.concurrency === out.minFailing || l.concurrency === p.maxPassing));
    const lagText = lags.length ? `; measured overhead: the simulator lost ${lags.map((l) => `${(l.report.simDriverLag!.share * 100).toFixed(0)}% of real time at ${l.concurrency} agents`).join(', ')} to late timer wake-ups${lags.some((l) => l.report.simDriverLag!.share >= 0.02) ? ' (busy host), which the virtual-time plan does not have' : ''}` : '';
    out.notes.push(`HTTP bracket [${out.nMax ?? '?'}, ${out.minFailing ?? '?'}] vs ${p.source} [${p.maxPassing ?? '?'}, ${p.minFailing ?? '?'}]: ${overlap ? 'they overlap' : 'they do NOT overlap'}${lagText}`);
    if (!out.resolved) reasons.push(`tier ${t.sloTokPerS} tok/s: bracket not resolved`);
    return out;
  });
  const unique = [...new Set(reasons)];
  return { ...r, tiers, reasons: unique, valid: unique.length === 0 };
}
