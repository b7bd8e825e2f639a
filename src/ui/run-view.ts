import type { RunRecord, SweepPointRow } from '../store/index.js';
import { asciiChart } from './chart.js';
import { fmtNum, fmtPct, renderTable } from './table.js';
import { shortTime } from './summary.js';

/** The metadata lines `results show` heads every run with. */
export function renderRunMeta(run: RunRecord, extra: { requestCount?: number } = {}): string {
  const host = run.host;
  const target = run.target as Record<string, unknown> | null;
  const meta: [string, string][] = [
    ['id', run.id],
    ['kind', run.kind],
    ['status', run.status],
    ['started (UTC)', shortTime(run.startedAt)],
    ['ended (UTC)', shortTime(run.endedAt)],
    ['agentdyno', `${run.agentdynoVersion ?? '?'}${run.gitSha ? ` (${run.gitSha.slice(0, 12)})` : ''}`],
  ];
  if (host) meta.push(['host', `${host.hostname} ${host.platform}/${host.arch}, ${host.cpus} CPUs, ${fmtNum(host.memoryBytes / 2 ** 30)} GiB, node ${host.nodeVersion}`]);
  if (target) {
    const t = target;
    const desc = [t.url ?? t.target, t.model].filter((x) => typeof x === 'string').join(' model=');
    meta.push(['target', `${desc || JSON.stringify(t)}${t.simulated ? '  [SIMULATED]' : ''}`]);
  }
  if (extra.requestCount !== undefined) meta.push(['requests', String(extra.requestCount)]);
  const w = Math.max(...meta.map(([k]) => k.length));
  return meta.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

/**
 * The loose view `results show` falls back to for a run whose stored result does not match
 * agentdyno.run.v1 (stored before the schema): metadata, sweep points per tier, the stored fields.
 */
export function renderRunDetail(
  run: RunRecord,
  extra: { sweepPoints?: SweepPointRow[]; requestCount?: number } = {},
): string {
  let out = renderRunMeta(run, extra);

  const pts = extra.sweepPoints ?? [];
  // Open-loop sweeps are stored per arrival rate: their `level` is an ordinal, never agents.
  const openLoop = pts.some((p) => p.arrivalRatePerS !== null && p.arrivalRatePerS !== undefined);
  const tiers = [...new Set(pts.map((p) => p.tierTokPerS))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const rows = pts.filter((p) => p.tierTokPerS === tier).sort((a, b) => (openLoop ? (a.arrivalRatePerS ?? 0) - (b.arrivalRatePerS ?? 0) : a.level - b.level));
    const ceiling = rows.find((p) => p.ttftCeilingMs !== null)?.ttftCeilingMs;
    out += `\nSLO tier ${fmtNum(tier)} tok/s${ceiling !== undefined && ceiling !== null ? `, TTFT <= ${fmtNum(ceiling)} ms` : ''}\n`;
    out += renderTable(
      [openLoop ? 'arrival rate (req/s)' : 'agents', 'pass rate', 'passing', 'active', 'output tok/s', 'power W', 'valid', 'notes'],
      rows.map((p) => [
        openLoop ? fmtNum(p.arrivalRatePerS, 3) : p.level,
        fmtPct(p.passRate),
        p.agentsPassing,
        p.agentsActive,
        fmtNum(p.outputTokPerS),
        fmtNum(p.meanPowerW),
        p.valid ? 'yes' : 'NO',
        p.reasons.join('; '),
      ]),
    );
    const summary = sweepTierSummary(run.result, tier);
    if (summary) out += summary;
  }

  if (run.kind === 'loop' && run.result && typeof run.result === 'object') out += renderLoopResult(run.result as LoopResultView);
  return out;
}

interface SweepTierView {
  sloTokPerS?: number;
  nMax?: number | null;
  minFailing?: number | null;
  bindingConstraint?: string;
  cliff?: boolean;
  nonMonotone?: boolean;
  agentsPerMW?: number | null;
  agentsPerMWReason?: string | null;
  power?: { meanW?: number; idleW?: number | null; boundary?: string; source?: string; comparabilityClass?: string; simulated?: boolean } | null;
  arrivalRatePerS?: { maxPassing: number | null; minFailing: number | null };
}

/** The stored sweep result's verdict for one tier: bracket, binding constraint, agents/MW with its boundary. */
function sweepTierSummary(result: unknown, tier: number): string | null {
  const tiers = (result as { tiers?: SweepTierView[] } | null)?.tiers;
  const t = Array.isArray(tiers) ? tiers.find((x) => x.sloTokPerS === tier) : undefined;
  if (!t) return null;
  const flags = [t.cliff ? 'CLIFF' : '', t.nonMonotone ? 'NON-MONOTONE' : ''].filter(Boolean).join(', ');
  const a = t.arrivalRatePerS;
  const bracket = a ? `arrival rate (req/s) [${fmtNum(a.maxPassing, 3)}, ${fmtNum(a.minFailing, 3)}] (open loop)` : `[${t.nMax ?? '-'}, ${t.minFailing ?? '-'}]`;
  let line = `bracket [max pass, min fail] ${bracket}, binding ${t.bindingConstraint ?? '?'}${flags ? `, ${flags}` : ''}\n`;
  const pw = t.power;
  if (t.agentsPerMW !== null && t.agentsPerMW !== undefined && pw) {
    const idle = pw.idleW !== null && pw.idleW !== undefined ? ` (idle ${fmtNum(pw.idleW)} W, not subtracted)` : '';
    line += `${fmtNum(Math.round(t.agentsPerMW))} agents/MW${pw.simulated ? ' (SIMULATED)' : ''} at N=${t.nMax}: mean ${fmtNum(pw.meanW ?? NaN)} W${idle}; boundary ${pw.boundary ?? '?'}; source ${pw.source ?? '?'}; class ${pw.comparabilityClass ?? '?'}\n`;
  } else line += `agents/MW: n/a${t.agentsPerMWReason ? ` (${t.agentsPerMWReason})` : ''}\n`;
  return line;
}

interface LoopResultView {
  task?: string;
  success?: boolean;
  normalizedScore?: number;
  reward?: number;
  iterations?: number;
  stopReason?: string;
  stoppedEarly?: boolean;
  noProgressBurn?: boolean;
  baseline?: { measured?: { median?: number } | null };
  bestValue?: number | null;
  agent?: string;
  sandbox?: string;
  curve?: { iteration: number; tokensUsed?: number; wallMs?: number; bestNormalized: number }[];
}

/**
 * A loop run's outcome and its score-versus-budget curve (best normalized score so far). The x axis is
 * tokens spent when the agent spent any, else wall seconds: a model-free `search` agent spends no tokens.
 */
function renderLoopResult(r: LoopResultView): string {
  const rows: [string, string][] = [
    ['task', String(r.task ?? '?')],
    ['success', String(r.success)],
    ['agent', `${r.agent ?? '?'} (sandbox: ${r.sandbox ?? '?'})`],
    ['normalized score', fmtNum(r.normalizedScore, 3)],
    ['reward', fmtNum(r.reward, 3)],
    ['baseline / best', `${fmtNum(r.baseline?.measured?.median, 3)} / ${fmtNum(r.bestValue, 3)} (medians, measured this run)`],
    ['iterations', `${r.iterations ?? '?'} (stopped: ${r.stopReason ?? '?'})`],
    ['flags', `stoppedEarly ${r.stoppedEarly}, noProgressBurn ${r.noProgressBurn}`],
  ];
  let out = '\n' + rows.map(([k, v]) => `${k.padEnd(16)}  ${v}`).join('\n') + '\n';
  const curve = r.curve ?? [];
  if (curve.length === 0) return out;
  const byTokens = curve.some((c) => (c.tokensUsed ?? 0) > 0);
  const points: [number, number][] = curve.map((c) => [byTokens ? (c.tokensUsed ?? 0) : (c.wallMs ?? 0) / 1000, c.bestNormalized]);
  out += `\nbest normalized score vs ${byTokens ? 'tokens spent' : 'wall seconds'}\n`;
  out += asciiChart([{ name: String(r.task ?? 'score'), points }], { width: 60, height: 10, xLabel: byTokens ? 'tokens' : 'wall s' });
  return out;
}

