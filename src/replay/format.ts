/** Human-readable text for replay and sweep results (pure string building; tables from ui/). */
import { fmtNum, fmtPct, renderTable } from '../ui/index.js';
import { describePromptError } from './content.js';
import type { LevelReport } from './evaluate.js';
import type { SweepResult, TierResult } from './sweep.js';
import { describeRule, describeShare, type SloTier } from '../slo/index.js';

export const fmtErrors = (e: Record<string, number>): string => {
  const parts = Object.entries(e).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
};

const ms = (v: number | null | undefined) => fmtNum(v, 1);

/** The judged share and the client's own timing, one line (reports stored before them print less). */
export function judgedLine(r: LevelReport): string {
  const parts = [r.judged ? describeShare(r.judged) : `${r.agentsActive} agents active`];
  if (r.lanesWithFullCycle !== undefined) parts.push(`${r.lanesWithFullCycle} of ${r.concurrency} lanes past a full call before the window`);
  if (r.simDriverLag) parts.push(`simulator timer lag ${fmtNum(r.simDriverLag.lagS, 1)} s over the ${fmtNum(r.simDriverLag.levelS, 0)} s level (${fmtPct(r.simDriverLag.share)}${r.simDriverLag.share >= 0.02 ? ': a busy host slowed the simulated server below its profile' : ''})`);
  return parts.join('; ');
}

/** Excluded lanes grouped by reason, with a few lane ids each. */
export function excludedText(ex: readonly { agent: string; reason: string }[]): string {
  const by = new Map<string, string[]>();
  for (const e of ex) by.set(e.reason, [...(by.get(e.reason) ?? []), e.agent]);
  return [...by.entries()].map(([why, ids]) => `${ids.length} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}): ${why}`).join('; ');
}

/** vLLM-style block for one level (`vllm bench serve` terms). */
export function formatVllmBlock(r: LevelReport, tiers: readonly SloTier[]): string {
  const v = r.vllm;
  const rows = [
    ['TTFT (ms)', ms(v.ttftMs.mean), ms(v.ttftMs.median), ms(v.ttftMs.p99)],
    ['TPOT (ms)', ms(v.tpotMs.mean), ms(v.tpotMs.median), ms(v.tpotMs.p99)],
    ['ITL (ms)', ms(v.itlMs.mean), ms(v.itlMs.median), ms(v.itlMs.p99)],
    ['E2EL (ms)', ms(v.e2elMs.mean), ms(v.e2elMs.median), ms(v.e2elMs.p99)],
  ];
  const lines = [renderTable(['vLLM-style (completed window calls)', 'mean', 'median', 'p99'], rows, { align: ['left', 'right', 'right', 'right'] })];
  lines.push(`completed ${v.completed}, failed ${v.failed}, output ${fmtNum(v.outputThroughput)} tok/s over ${fmtNum(v.durationS)} s (window-started calls)`);
  for (const [i, g] of v.goodput.entries()) {
    lines.push(`goodput ${g.spec} (= ${tiers[i]?.sloTokPerS} tok/s tier): ${fmtNum(g.requestGoodput, 2)} req/s, ${g.goodRequests} good of ${v.completed}`);
  }
  return lines.join('\n');
}

export function formatLevel(r: LevelReport, tiers: readonly SloTier[]): string {
  const out: string[] = [];
  out.push(
    `concurrency ${r.concurrency}: ${r.valid ? 'VALID' : 'INVALID'}; window ${fmtNum(r.windowS)} s, ${r.callsInWindow} calls overlapping it (${r.callsSentInWindow} sent in it) from ${r.agentsActive} agents (${r.partialCalls} cut at the drain cap and judged on what arrived); ` +
      `output ${fmtNum(r.outputTokPerS)} tok/s; peak in-flight ${r.peakInFlight}`,
  );
  if (!r.valid) for (const reason of r.reasons) out.push(`  invalid: ${reason}`);
  out.push(`  ${judgedLine(r)}`);
  out.push(
    renderTable(
      ['SLO tier', 'TTFT ceiling', 'agents meeting / judged', 'pass rate', 'verdict', 'calls failing TTFT / decode / error', 'silent lanes', 'binding'],
      r.tiers.map((t) => [
        `${t.sloTokPerS} tok/s`,
        `${fmtNum(t.ttftCeilingMs)} ms`,
        `${t.agentsMeeting}/${t.agentsJudged ?? t.agentsActive}`,
        fmtPct(t.passRate),
        t.valid === false || t.invalidReason ? 'INVALID' : t.pass ? 'PASS' : 'FAIL',
        `${t.callFailures.ttft} / ${t.callFailures.decode} / ${t.callFailures.error}`,
        String(t.agentsSilent ?? 0),
        t.bindingConstraint,
      ]),
      { align: ['left', 'right', 'right', 'right', 'left', 'right', 'right', 'left'] },
    ),
  );
  for (const t of r.tiers) {
    for (const why of t.reasons ?? (t.invalidReason ? [t.invalidReason] : [])) out.push(`  ${t.sloTokPerS} tok/s tier invalid at this level: ${why}`);
    if (t.excluded?.length) out.push(`  ${t.sloTokPerS} tok/s excluded lanes: ${excludedText(t.excluded)}`);
  }
  const lag = formatCanary(r);
  if (lag) out.push(lag);
  out.push(`errors (window calls): ${fmtErrors(r.errors)}; all calls incl. warm-up: ${fmtErrors(r.errorsAllCalls)}`);
  if (Object.keys(r.retriedFaults ?? {}).length) out.push(`retried tries (window calls, judged on their last try, TTFT from the first): ${fmtErrors(r.retriedFaults)}`);
  out.push(formatVllmBlock(r, tiers));
  const c = r.cache;
  out.push(
    `prompt tokens ${fmtNum(c.promptTokens)}; cached (server usage) ${c.cachedTokens === null ? 'not reported' : fmtNum(c.cachedTokens)} vs trace's theoretical prefix hit ${fmtNum(c.expectedCachedTokens)}`,
  );
  out.push(describePromptError(r.promptTokenError, r.content));
  if (r.saturation) {
    const s = r.saturation;
    out.push(
      `client self-check${r.workers ? ' (worst worker)' : ''}: event loop busy ${fmtPct(s.eventLoopUtilization)}, loop delay p99 ${fmtNum(s.eventLoopDelayP99Ms)} ms, process CPU ${fmtNum(s.processCpuCores, 2)} of ${s.cores} cores`,
    );
  }
  if (r.workers) out.push(formatWorkers(r));
  return out.join('\n');
}

/** One line per load worker of a merged level: lanes, calls, its own canary and event loop. */
export function formatWorkers(r: LevelReport): string {
  const ws = r.workers ?? [];
  return `load workers (${ws.length}; one merged verdict): ${ws
    .map((w) => `${w.id} ${w.lanes} lanes ${w.calls} calls, canary p99 ${w.canary && w.canary.samples ? `${ms2(w.canary.p99Ms)} ms` : 'not measured'}, loop busy ${w.saturation ? fmtPct(w.saturation.eventLoopUtilization) : '-'}${w.clockOffsetMs !== undefined ? `, clock offset ${ms2(w.clockOffsetMs)} ± ${ms2(w.clockUncertaintyMs ?? 0)} ms` : ''}`)
    .join('; ')}`;
}

/** The client's own timing: canary read lag over the window, and calls whose reads coalesced tokens. */
export function formatCanary(r: LevelReport): string | null {
  if (r.canary === undefined) return null;
  const c = r.canary;
  const lag = c === null || c.samples === 0 ? 'not measured (the canary could not start)' : `p50 ${ms2(c.p50Ms)} / p99 ${ms2(c.p99Ms)} / max ${ms2(c.maxMs)} ms over ${c.samples} canary events`;
  const res = r.clientResolution;
  const resolved = res ? `; decode rate resolved on ${res.decodeMeasured - res.unresolved} of ${res.decodeMeasured} calls (not: lag p99 over 10% of the call's token span, or over 10% of its tokens coalesced)` : '';
  return `client timing: read lag ${lag}; ${r.coalescedCalls ?? 0} of ${r.callsInWindow} window calls had tokens coalesced into one read${resolved}`;
}

const ms2 = (v: number) => fmtNum(v, 2);

/** Simulated-ness first (it says why: simulated power, simulated load, or both), then any other flags. */
const powerFlags = (p: { simulated: boolean; flags: string[] }): string => {
  const sim = p.flags.filter((x) => x.startsWith('simulated')).map((x) => x.replace(/^simulated:\s*/, ''));
  const other = p.flags.filter((x) => !x.startsWith('simulated'));
  const simText = p.simulated ? `; SIMULATED (${sim.length ? sim.join('; ') : 'simulated source'})` : '';
  return simText + (other.length ? `; flags: ${other.join(', ')}` : '');
};

function tierLine(t: TierResult): string[] {
  const bracket = `[${t.nMax ?? '?'}, ${t.minFailing ?? '>cap'}${t.minFailingSource ? ' (planned)' : ''}]`;
  const flags = [t.cliff ? 'CLIFF' : '', t.nonMonotone ? 'NON-MONOTONE' : '', t.resolved ? '' : 'UNRESOLVED'].filter(Boolean).join(' ');
  let apm: string;
  if (t.agentsPerMW !== null && t.power) {
    apm = `${fmtNum(t.agentsPerMW, 0)} agents/MW${t.power.simulated ? ' (SIMULATED)' : ''}`;
  } else apm = `agents/MW: n/a (${t.agentsPerMWReason ?? 'unknown'})`;
  return [`${t.sloTokPerS} tok/s, TTFT <= ${fmtNum(t.ttftCeilingMs)} ms`, bracket, t.nMax === null ? '-' : String(t.nMax), t.bindingConstraint, flags || '-', apm];
}

export function formatSweep(r: SweepResult, header: string[]): string {
  const out: string[] = [...header, ''];
  const tiers = r.tiers;
  out.push(
    renderTable(
      ['concurrency', 'valid', ...tiers.map((t) => `pass@${t.sloTokPerS}`), 'out tok/s', 'TTFT p50/p99 ms', 'TPOT p50 ms', 'read lag p99/max ms', 'errors', 'power W'],
      r.levels.map((l) => [
        `${l.concurrency}${l.replicate ? ` (rep ${l.replicate})` : ''}`,
        l.report.valid ? 'yes' : 'NO',
        ...l.report.tiers.map((t) => `${fmtPct(t.passRate)} ${t.valid === false || t.invalidReason ? 'INVALID' : t.pass ? 'PASS' : 'FAIL'}`),
        fmtNum(l.report.outputTokPerS),
        `${ms(l.report.vllm.ttftMs.median)} / ${ms(l.report.vllm.ttftMs.p99)}`,
        ms(l.report.vllm.tpotMs.median),
        l.report.canary ? `${ms2(l.report.canary.p99Ms)} / ${ms2(l.report.canary.maxMs)}` : '-',
        fmtErrors(l.report.errors),
        l.power[0]?.meanW == null ? '-' : fmtNum(l.power[0].meanW),
      ]),
      { align: ['right', 'left', ...tiers.map(() => 'right' as const), 'right', 'right', 'right', 'right', 'left', 'right'] },
    ),
  );
  for (const l of r.levels) {
    out.push(`  level ${l.concurrency}${l.replicate ? ` (rep ${l.replicate})` : ''}: ${judgedLine(l.report)}`);
    if (!l.report.valid) out.push(`  level ${l.concurrency} invalid: ${l.report.reasons.join('; ')}`);
    for (const t of l.report.tiers) for (const why of t.reasons ?? (t.invalidReason ? [t.invalidReason] : [])) out.push(`  level ${l.concurrency}, ${t.sloTokPerS} tok/s tier invalid: ${why}`);
  }
  out.push('');
  out.push(renderTable(['SLO tier', 'bracket [max pass, min fail]', 'N_max', 'binding', 'flags', 'agents per MW at N_max'], tiers.map(tierLine)));
  for (const t of tiers) {
    if (t.power) {
      out.push(
        `  ${t.sloTokPerS} tok/s: mean ${fmtNum(t.power.meanW)} W over the steady window at N=${t.nMax}${t.power.idleW == null ? '' : ` (idle ${fmtNum(t.power.idleW)} W, not subtracted)`}; boundary: ${t.power.boundary}; source ${t.power.source}; class ${t.power.comparabilityClass}` +
          powerFlags(t.power),
      );
    }
    for (const n of t.notes) out.push(`  ${t.sloTokPerS} tok/s: ${n}`);
  }
  out.push('');
  out.push(`sweep ${r.status}; ${r.valid ? 'VALID' : 'NOT VALID'}${r.reasons.length ? `: ${r.reasons.join('; ')}` : ''}`);
  out.push(`compliance rule: ${describeRule(r.thresholds)}`);
  return out.join('\n');
}
