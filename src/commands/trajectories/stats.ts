import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { renderTable } from '../../ui/index.js';
import { loadTrajectories, trajectoryStats, type TrajectorySetStats, type TrajectoryStatsRow } from '../../trajectory/index.js';

const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');


/** "synthetic 32; estimated: tokens 32, timings 32" — so nobody mistakes estimated counts for recorded ones. */
function provenanceText(s: TrajectorySetStats): string {
  const kinds = Object.entries(s.provenance.sourceKinds).map(([k, n]) => `${k} ${n}`).join(', ');
  const est = Object.entries(s.provenance.estimated).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${kinds}; ${est ? `ESTIMATED (not recorded): ${est}` : 'nothing marked estimated'}`;
}

/** "recorded 12 of 14 calls, ESTIMATED 2": where a column's numbers come from. */
function split(recorded: number, estimated: number, unit: string, word = 'ESTIMATED'): string {
  if (recorded + estimated === 0) return '-';
  if (estimated === 0) return `recorded (${int(recorded)} ${unit})`;
  if (recorded === 0) return `${word} (all ${int(estimated)} ${unit})`;
  return `recorded ${int(recorded)}, ${word} ${int(estimated)} ${unit}`;
}

export function renderStats(s: TrajectorySetStats, perTrajectory: boolean): string {
  const langs = Object.entries(s.languages).sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${n}`).join(', ');
  const o = s.origin;
  const inFrom = split(o.inputTokens.recordedCalls, o.inputTokens.estimatedCalls, 'calls');
  const outFrom = split(o.outputTokens.recordedCalls, o.outputTokens.estimatedCalls, 'calls');
  const counted = 'counted';
  const lines = [
    renderTable(['measure', 'value', 'from'], [
      ['trajectories', int(s.trajectories), counted],
      ['source (kind: count)', provenanceText(s), 'source.estimated'],
      ['agents', int(s.agents), counted],
      ['LLM calls', int(s.llmCalls), counted],
      ['LLM turns / trajectory (min / median / max)', `${int(s.llmTurns.min)} / ${int(s.llmTurns.median)} / ${int(s.llmTurns.max)}`, counted],
      ['main-agent turns (min / median / max)', `${int(s.mainTurns.min)} / ${int(s.mainTurns.median)} / ${int(s.mainTurns.max)}`, counted],
      ['input tokens per call (min / mean / p50 / max)', `${int(s.inputTokens.min)} / ${int(s.inputTokens.mean)} / ${int(s.inputTokens.p50)} / ${int(s.inputTokens.max)}`, inFrom],
      ['main context start (min / median / max)', `${int(s.contextStartTokens.min)} / ${int(s.contextStartTokens.median)} / ${int(s.contextStartTokens.max)}`, inFrom],
      ['main context max (min / median / max)', `${int(s.contextMaxTokens.min)} / ${int(s.contextMaxTokens.median)} / ${int(s.contextMaxTokens.max)}`, inFrom],
      ['context growth per main turn (median)', int(s.contextGrowthPerTurnTokensMedian), inFrom],
      ['output tokens (p50 / p95 / mean)', `${int(s.outputTokens.p50)} / ${int(s.outputTokens.p95)} / ${int(s.outputTokens.mean)}`, outFrom],
      ['new input per follow-up call (p50 / p95)', `${int(s.newInputPerTurnTokens.p50)} / ${int(s.newInputPerTurnTokens.p95)}`, inFrom],
      ['tool+think share of wall time (all / median)', `${pct(s.toolTimeShare.aggregate)} / ${pct(s.toolTimeShare.median)}`, `waits ${split(o.waits.recorded, o.waits.estimated, 'waits', 'DEFAULTED/SYNTHETIC')}; LLM time ESTIMATED (assumed speeds)`],
      ['prefix reuse (prefix / input tokens)', pct(s.prefixReuseRatio), split(o.prefix.cachedTokensCalls, o.prefix.impliedCalls, 'calls', 'IMPLIED (new_input_tokens or growth)').replace('recorded', 'cached_tokens recorded')],
      ['spawns (trajectories / steps / agents)', `${s.fanOut.trajectoriesWithSpawns} / ${s.fanOut.spawns} / ${s.fanOut.spawnedAgents}`, counted],
      ['spawn join all / none; max width; max depth', `${s.fanOut.joinAll} / ${s.fanOut.joinNone}; ${s.fanOut.maxWidth}; ${s.fanOut.maxDepth}`, counted],
      ['languages', langs, 'labels'],
    ], { rule: false, align: ['left', 'left', 'left'] }).trimEnd(),
    `LLM time in the tool share is ${s.llmTimeEstimate}.`,
  ];
  if (perTrajectory) {
    const rows = s.perTrajectory.map((r: TrajectoryStatsRow) => [
      r.id, r.language ?? '-', String(r.agents), String(r.mainTurns), String(r.llmTurns), int(r.contextStartTokens), int(r.contextMaxTokens),
      int(r.outputTokensP50), int(r.outputTokensP95), pct(r.toolTimeShare), pct(r.prefixReuseRatio), String(r.spawns),
    ]);
    const headers = ['id', 'lang', 'agents', 'main turns', 'llm turns', 'ctx start', 'ctx max', 'out p50', 'out p95', 'tool share', 'prefix reuse', 'spawns'];
    lines.push('', renderTable(headers, rows, { rule: false, align: headers.map((_, c) => (c === 0 ? 'left' : 'right')) }).trimEnd());
  }
  return lines.join('\n');
}

export default class TrajectoriesStats extends AgentdynoCommand {
  static override description =
    'Summarize trajectory files: turns, context start/max and growth, output tokens, new input per turn, tool-time share (with an assumed LLM speed, stated), prefix reuse, sub-agent fan-out, languages.';
  static override examples = [
    '<%= config.bin %> trajectories stats trajectories/',
    '<%= config.bin %> trajectories stats trajectories/synthetic-v1.jsonl --per-trajectory',
    '<%= config.bin %> trajectories stats my.jsonl --json --decode-tok-per-s 30',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'trajectory files (.jsonl / .json) or directories of them', required: true }) };
  static override flags = {
    'per-trajectory': Flags.boolean({ description: 'also print one row per trajectory', default: false }),
    'decode-tok-per-s': Flags.integer({ description: 'assumed decode speed for the LLM-time estimate', default: 50, min: 1 }),
    'prefill-tok-per-s': Flags.integer({ description: 'assumed prefill speed (uncached tokens) for the LLM-time estimate', default: 5000, min: 1 }),
  };

  async run(): Promise<TrajectorySetStats> {
    const { argv, flags } = await this.parse(TrajectoriesStats);
    const loaded = loadTrajectories(argv as string[]);
    const s = trajectoryStats(loaded.map((l) => l.trajectory), {
      assumedDecodeTokPerS: flags['decode-tok-per-s'],
      assumedPrefillTokPerS: flags['prefill-tok-per-s'],
    });
    if (!this.jsonEnabled()) this.log(renderStats(s, flags['per-trajectory']));
    return s;
  }
}
