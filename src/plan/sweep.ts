/**
 * `sim plan`: replay's geometric + bisection concurrency search (nextLevel / foldLevels /
 * tierBracket, the same pure functions a real sweep uses) driven by virtual-time levels. The
 * result per tier is a bracket [max passing, min failing] with its binding constraint and
 * SIMULATED agents/MW at the max passing level. Nothing here is a measurement.
 */
import { agentsPerMW, describeRule, describeShare, foldLevels, nextLevel, tierBracket, DEFAULT_SLO_THRESHOLDS, type BindingConstraint, type LevelOutcome, type SearchOptions, type SloThresholds, type SloTier } from '../slo/index.js';
import type { Trajectory } from '../trajectory/index.js';
import type { SimProfile } from '../sim/index.js';
import { planLevel, type PlanLevelOptions } from './level.js';
import type { PlanLevelResult } from './calls.js';

export type PlanSweepOptions = Omit<PlanLevelOptions, 'concurrency' | 'keepRequests'> & {
  search: SearchOptions;
  /** Where the trajectories came from (recorded in the result). */
  trajectoryFiles?: string[];
  /** Called after every level (progress). */
  onLevel?(level: PlanLevelResult, index: number): void;
};

export interface PlanTierSummary extends SloTier {
  maxPassing: number | null;
  minFailing: number | null;
  resolved: boolean;
  bindingConstraint: BindingConstraint;
  cliff: boolean;
  nonMonotone: boolean;
  notes: string[];
  /** SIMULATED: max passing agents / simulated mean power (MW) over that level's window. */
  agentsPerMW: number | null;
  meanW: number | null;
}

export interface PlanSweepResult {
  label: 'VIRTUAL TIME, SIMULATED, illustrative profile';
  profile: { name: string; source: string; illustrative: true; file?: string };
  replicas: number;
  thresholds: SloThresholds;
  search: SearchOptions;
  /** Level settings in virtual seconds, and the trajectories, as run. */
  settings: { warmupS: number; windowS: number; drainCapS: number; toolTimeScale: number; maxIdleGapMs: number | null; seed: number; midStart: boolean; trajectories: number; trajectoryFiles: string[]; kvBlockTokens: number; profileKvBlockTokens: number };
  tiers: PlanTierSummary[];
  levels: PlanLevelResult[];
  sim: { levels: number; engineSteps: number; wallMs: number };
}

const outcomeOf = (l: PlanLevelResult): LevelOutcome => ({ concurrency: l.concurrency, valid: l.valid, pass: l.tiers.map((t) => t.pass), passRates: l.tiers.map((t) => t.passRate) });

export function planSweep(profile: SimProfile, trajectories: readonly Trajectory[], opts: PlanSweepOptions): PlanSweepResult {
  const wall0 = performance.now();
  const { search, onLevel, trajectoryFiles, ...levelOpts } = opts;
  const thresholds = opts.thresholds ?? DEFAULT_SLO_THRESHOLDS;
  const tiers = opts.tiers;
  const levels: PlanLevelResult[] = [];
  for (;;) {
    const c = nextLevel(levels.map(outcomeOf), tiers.length, search);
    if (c === null) break;
    // Replicates use another seed: in virtual time the same seed would repeat the level exactly.
    const replicate = levels.filter((l) => l.concurrency === c).length;
    const level = planLevel(profile, trajectories, { ...levelOpts, thresholds, concurrency: c, seed: opts.seed + replicate * 7919 });
    levels.push(level);
    onLevel?.(level, levels.length - 1);
  }
  const folded = foldLevels(levels.map(outcomeOf), tiers.length);
  const summaries: PlanTierSummary[] = tiers.map((tier, i) => {
    const b = tierBracket(folded, i, search);
    const failing = levels.find((l) => l.concurrency === b.minFailing && !l.tiers[i].pass);
    const atMax = levels.find((l) => l.concurrency === b.maxPassing);
    const meanW = atMax ? atMax.power.meanW : null;
    const notes = [...b.notes];
    if (!b.resolved) notes.push('bracket not resolved to the requested resolution');
    return {
      ...tier,
      maxPassing: b.maxPassing,
      minFailing: b.minFailing,
      resolved: b.resolved,
      bindingConstraint: failing ? failing.tiers[i].bindingConstraint : 'none',
      cliff: b.cliff,
      nonMonotone: b.nonMonotone,
      notes,
      agentsPerMW: b.maxPassing ? agentsPerMW(b.maxPassing, meanW) : null,
      meanW,
    };
  });
  return {
    label: 'VIRTUAL TIME, SIMULATED, illustrative profile',
    profile: { name: profile.name, source: profile.source, illustrative: true, file: profile.file },
    replicas: Math.max(1, Math.floor(opts.replicas ?? 1)),
    thresholds,
    search,
    settings: {
      warmupS: opts.warmupS,
      windowS: opts.windowS,
      drainCapS: opts.drainCapS,
      toolTimeScale: opts.toolTimeScale,
      maxIdleGapMs: opts.maxIdleGapMs,
      seed: opts.seed,
      midStart: opts.midStart ?? true,
      trajectories: trajectories.length,
      trajectoryFiles: trajectoryFiles ?? [],
      kvBlockTokens: levels[0]?.kvBlockTokens ?? profile.kvCache.blockSize,
      profileKvBlockTokens: profile.kvCache.blockSize,
    },
    tiers: summaries,
    levels,
    sim: { levels: levels.length, engineSteps: levels.reduce((s, l) => s + l.sim.engineSteps, 0), wallMs: performance.now() - wall0 },
  };
}

/** One progress line per level (stderr while a plan runs). */
export function formatPlanLevel(l: PlanLevelResult, index: number): string {
  const tiers = l.tiers.map((t) => `${t.sloTokPerS} tok/s ${t.passRate === null ? '-' : `${(t.passRate * 100).toFixed(1)}%`} ${t.pass ? 'pass' : 'FAIL'}`).join(', ');
  return `  level ${index + 1}: ${l.concurrency} agents${l.sample ? ` (${l.sample.agents} simulated on ${l.sample.replicas}/${l.sample.ofReplicas} replicas)` : ''} (virtual ${l.windowS} s window) ${l.valid ? '' : 'INVALID '}${tiers}; batch ${(l.meanBatch ?? 0).toFixed(1)}, step ${(l.meanStepMs ?? 0).toFixed(1)} ms, SIMULATED ${l.power.meanW.toFixed(0)} W; ${l.sim.engineSteps} engine steps in ${(l.sim.wallMs / 1000).toFixed(1)} s wall`;
}

/** Plain-text report; every figure is labelled simulated. */
export function formatPlan(r: PlanSweepResult): string {
  const lines: string[] = [];
  lines.push(`agentdyno sim plan — ${r.label}`);
  lines.push(`profile ${r.profile.name} (illustrative: ${r.profile.source.replace(/\s+/g, ' ').slice(0, 160)}${r.profile.source.length > 160 ? '…' : ''})`);
  const kv = r.settings.kvBlockTokens === r.settings.profileKvBlockTokens ? `KV blocks of ${r.settings.kvBlockTokens} tokens (as the profile)` : `KV accounted in blocks of ${r.settings.kvBlockTokens} tokens (profile: ${r.settings.profileKvBlockTokens}; coarsened for simulation speed, same capacity; prefix hits rounded to ${r.settings.kvBlockTokens} tokens)`;
  lines.push(`virtual time per level: warm-up ${r.settings.warmupS} s, window ${r.settings.windowS} s, drain cap ${r.settings.drainCapS} s; ${r.settings.trajectories} trajectories; tool-time scale ${r.settings.toolTimeScale}; seed ${r.settings.seed}; ${kv}`);
  const sample = r.levels.find((l) => l.sample)?.sample;
  if (sample) lines.push(`ESTIMATE: only ${sample.replicas} of ${r.replicas} replicas simulated (each exactly, with the agents pinned to it); each level's SLO verdict is judged on those agents, power and throughput scaled x${sample.scaledBy.toFixed(3)}`);
  lines.push(`${r.replicas} engine replica(s); SLO rule: ${describeRule(r.thresholds)}`);
  lines.push('');
  lines.push('level  valid  ' + r.tiers.map((t) => `${t.sloTokPerS} tok/s`.padEnd(10)).join(' ') + '  batch  step ms  hit%   sim W     wall ms');
  for (const l of r.levels) {
    const rates = l.tiers.map((t) => (t.passRate === null ? '-' : `${(t.passRate * 100).toFixed(1)}%${t.pass ? '' : ' x'}`).padEnd(10)).join(' ');
    lines.push(
      `${String(l.concurrency).padStart(5)}  ${(l.valid ? 'yes' : 'NO').padEnd(5)}  ${rates}  ${(l.meanBatch ?? 0).toFixed(1).padStart(5)}  ${(l.meanStepMs ?? 0).toFixed(1).padStart(7)}  ${((l.prefixHitRate ?? 0) * 100).toFixed(0).padStart(3)}  ${l.power.meanW.toFixed(0).padStart(8)}  ${l.sim.wallMs.toFixed(0).padStart(8)}`,
    );
    lines.push(`       window opened at virtual ${l.windowStartS.toFixed(0)} s (${l.lanesWithFullCycle} lanes past a full call); ${describeShare(l.judged)}`);
    if (!l.valid) lines.push(`       invalid: ${l.reasons.join('; ')}`);
  }
  lines.push('');
  for (const t of r.tiers) {
    const bracket = `[${t.maxPassing ?? '?'}, ${t.minFailing ?? '?'}]`;
    const apm = t.agentsPerMW === null ? 'n/a' : `${Math.round(t.agentsPerMW).toLocaleString('en-US')} agents/MW (SIMULATED power ${t.meanW?.toFixed(0)} W)`;
    lines.push(`tier ${t.sloTokPerS} tok/s (TTFT <= ${t.ttftCeilingMs} ms): max passing / min failing ${bracket}, binding ${t.bindingConstraint}${t.cliff ? ', cliff' : ''}${t.nonMonotone ? ', NON-MONOTONE' : ''}; ${apm}`);
    for (const n of t.notes) lines.push(`    note: ${n}`);
  }
  lines.push('');
  lines.push(`${r.label}: a model of the profile, not a measurement. ${r.sim.levels} levels, ${r.sim.engineSteps} engine steps, ${(r.sim.wallMs / 1000).toFixed(1)} s wall.`);
  return lines.join('\n');
}
