/** Sweep and replay pages: verdicts per tier, Pareto, per-level distributions, power trace, timing-lag evidence, provenance. */
import { okResult, type LevelReportV1, type ReplayRunV1, type SweepLevelV1, type SweepRunV1, type WindowPowerV1 } from '../../store/index.js';
import { distributionSpec, groupedBarSpec, paretoFrontier, paretoSpec, passRateSpec, powerTraceSpec, type PhaseSpan } from '../charts.js';
import type { Quantiles, RunData } from '../data.js';
import { chartId, fmt, pct, type Block, type Section } from '../page.js';
import { provenanceSection } from './provenance.js';

const tpotPerAgent = (r: LevelReportV1) => (r.vllm.tpotMs?.median ? 1000 / r.vllm.tpotMs.median : null);
const levelLabel = (l: { concurrency: number; replicate?: number; arrivalRatePerS?: number }) => `${l.arrivalRatePerS !== undefined ? `${fmt(l.arrivalRatePerS, 3)} req/s` : l.concurrency}${l.replicate ? ` (rep ${l.replicate})` : ''}`;
/** Open-loop sweeps: the axis is the arrival rate (levels and brackets carry it; nMax is null). */
const AXIS_OPEN = 'arrival rate (req/s)';

export function sweepSections(d: RunData & { doc: SweepRunV1 }): Section[] {
  const r = okResult(d.doc);
  const id = d.doc.id;
  if (!r) return [{ heading: 'Result', blocks: [{ kind: 'text', tone: 'warn', text: `No result stored${(d.doc.result as { error?: string } | null)?.error ? `: ${(d.doc.result as { error: string }).error}` : ' yet'} (status ${d.doc.status}).` }] }, provenanceSection(d)];
  const sections: Section[] = [];
  const verdict: Block[] = [];
  const open = r.mode === 'open-loop';
  if (open) verdict.push({ kind: 'text', tone: 'note', text: `Open-loop sweep: requests arrived on a schedule; the axis is the ${AXIS_OPEN}, not concurrent agents (agents below = sessions alive in the window).` });
  if (r.status !== 'completed' || !r.valid) verdict.push({ kind: 'text', tone: 'warn', text: `Sweep ${r.status}${r.valid ? '' : ', not valid'}: ${r.reasons.join('; ') || 'no reason stored'}${r.error ? ` (error: ${r.error})` : ''}` });
  verdict.push({
    kind: 'table',
    headers: ['SLO tier', 'TTFT ceiling ms', open ? `max passing ${AXIS_OPEN}` : 'N_max', open ? `min failing ${AXIS_OPEN}` : 'min failing', 'binding', 'flags', 'agents/MW', 'power boundary (class)'],
    rows: r.tiers.map((t) => [
      `${fmt(t.sloTokPerS)} tok/s`,
      fmt(t.ttftCeilingMs),
      open ? fmt(t.arrivalRatePerS?.maxPassing, 3) : t.nMax,
      open ? fmt(t.arrivalRatePerS?.minFailing, 3) : t.minFailing,
      t.bindingConstraint,
      [t.cliff ? 'CLIFF' : '', t.nonMonotone ? 'NON-MONOTONE' : '', t.resolved ? '' : 'unresolved'].filter(Boolean).join(', ') || '-',
      t.agentsPerMW === null ? `n/a (${t.agentsPerMWReason ?? 'no reason'})` : `${fmt(Math.round(t.agentsPerMW))}${t.power?.simulated ? ' SIMULATED' : ''}`,
      t.power ? `${t.power.boundary} (${t.power.comparabilityClass})` : '-',
    ]),
    caption: open ? `Bracket [max passing, min failing] ${AXIS_OPEN} per tier from the stored open-loop sweep; agents/MW is a closed-loop figure, not computed.` : 'Bracket [N_max, min failing] per tier from the stored sweep; agents/MW at N_max over that level\'s steady window.',
  });
  for (const t of r.tiers) {
    verdict.push({
      kind: 'chart',
      id: chartId(id, 'pass-rate', t.sloTokPerS),
      title: `pass rate vs ${open ? AXIS_OPEN : 'N'}, ${fmt(t.sloTokPerS)} tok/s tier`,
      spec: passRateSpec({
        title: `${fmt(t.sloTokPerS)} tok/s tier (TTFT <= ${fmt(t.ttftCeilingMs)} ms): agents meeting the tier vs ${open ? AXIS_OPEN : 'N'}`,
        points: r.levels.map((l) => ({ concurrency: open ? (l.arrivalRatePerS ?? NaN) : l.concurrency, replicate: l.replicate, valid: l.valid, passRate: l.report.tiers.find((x) => x.sloTokPerS === t.sloTokPerS)?.passRate ?? null })),
        nMax: open ? (t.arrivalRatePerS?.maxPassing ?? null) : t.nMax,
        minFailing: open ? (t.arrivalRatePerS?.minFailing ?? null) : t.minFailing,
        ...(open ? { xTitle: AXIS_OPEN } : {}),
        threshold: r.thresholds.agentPassFraction,
        cliff: t.cliff,
      }),
      caption: `Shaded: the bracket [${open ? `max passing, min failing ${AXIS_OPEN}` : 'N_max, min failing'}]; dashed: the agent pass fraction a level needs (${pct(r.thresholds.agentPassFraction)}); red points: invalid levels (not a measured SLO failure).`,
    });
  }
  sections.push({ heading: 'SLO verdict per tier', blocks: verdict });
  sections.push(paretoSection(id, r.levels.map((l) => ({ ...l.report, replicate: l.replicate }))));
  // Open loop: stored requests are keyed by the level's ordinal; label them by their arrival rate.
  const rateOf = new Map(r.levels.flatMap((l) => (l.level !== undefined && l.arrivalRatePerS !== undefined ? [[l.level, `${fmt(l.arrivalRatePerS, 3)} req/s`] as const] : [])));
  sections.push(distributionSection(id, d, open ? (level) => rateOf.get(level) ?? `level ${level}` : undefined));
  sections.push(powerSection(id, d, r.levels.map((l) => l.power), r.idlePower));
  sections.push(lagSection(id, r.levels.map((l) => ({ label: levelLabel(l), report: l.report })), d.doc.config));
  sections.push(levelsTable(r.levels));
  sections.push(provenanceSection(d));
  return sections;
}

export function replaySections(d: RunData & { doc: ReplayRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return [{ heading: 'Result', blocks: [{ kind: 'text', tone: 'warn', text: `No result stored (status ${d.doc.status}).` }] }, provenanceSection(d)];
  const l = r.level;
  const id = d.doc.id;
  const blocks: Block[] = [];
  if (!l.valid) blocks.push({ kind: 'text', tone: 'warn', text: `Level INVALID: ${l.reasons.join('; ')}` });
  if (r.mode === 'open-loop') blocks.push({ kind: 'text', tone: 'note', text: 'Open-loop replay: agents arrived on a schedule (not N closed lanes); N here is the lanes the schedule needed.' });
  if (r.scaleOut) blocks.push({ kind: 'text', tone: 'note', text: 'This is one shard of a sharded level: its figures are the shard\'s alone (merge the shards with `agentdyno results merge`).' });
  blocks.push({
    kind: 'table',
    headers: ['SLO tier', 'pass rate', 'agents meeting / active', 'verdict', 'binding'],
    rows: l.tiers.map((t) => [`${fmt(t.sloTokPerS)} tok/s`, pct(t.passRate), `${t.agentsMeeting} / ${t.agentsActive}`, t.pass ? 'pass' : 'FAIL', t.bindingConstraint]),
    caption: `${l.concurrency} agent lanes, ${fmt(l.windowS)} s window, ${l.callsSentInWindow} calls sent in the window.`,
  });
  return [{ heading: `Replay at ${l.concurrency} agents`, blocks }, distributionSection(id, d), powerSection(id, d, [r.power ?? []], undefined), lagSection(id, [{ label: String(l.concurrency), report: l }], d.doc.config), provenanceSection(d)];
}

function paretoSection(id: string, reports: (LevelReportV1 & { replicate: number })[]): Section {
  const pts = reports.flatMap((r) => {
    const per = tpotPerAgent(r);
    return per === null ? [] : [{ concurrency: r.concurrency, perAgentTokPerS: per, outputTokPerS: r.outputTokPerS, frontier: false }];
  });
  const front = paretoFrontier(pts);
  for (const p of pts) p.frontier = front.has(p);
  if (pts.length === 0) return { heading: 'Throughput vs per-agent decode rate', blocks: [{ kind: 'text', text: 'No level has a TPOT median (no completed multi-token calls).' }] };
  return {
    heading: 'Throughput vs per-agent decode rate (Pareto)',
    blocks: [{ kind: 'chart', id: chartId(id, 'pareto'), title: 'Pareto: throughput vs per-agent decode rate', spec: paretoSpec(pts, 'output tok/s vs per-agent tok/s, one point per level (labels: N)'), caption: 'Per-agent rate is 1000 / the level\'s median TPOT (vLLM definition, from the level report); throughput counts output tokens arriving in the steady window. Dashed: the levels no other level beats on both axes.' }],
  };
}

function distributionSection(id: string, d: RunData, label: (level: number) => string = String): Section {
  const rows = d.calls.filter((c) => c.windowOk > 0);
  if (rows.length === 0) return { heading: 'Per-call distributions', blocks: [{ kind: 'text', text: 'No window calls with timings are stored for this run.' }] };
  const pick = (f: (c: (typeof rows)[number]) => Quantiles | null) => rows.flatMap((c) => { const q = f(c); return q ? [{ level: label(c.level), q }] : []; });
  const blocks: Block[] = [
    { kind: 'chart', id: chartId(id, 'ttft'), title: 'TTFT per level', spec: distributionSpec(pick((c) => c.ttftMs), { title: 'TTFT per level', unit: 'TTFT, ms', logY: true }), caption: 'Whiskers p5-p95, box p25-p75, black tick the median, red dot p99; completed calls sent in the window (stored rows).' },
    { kind: 'chart', id: chartId(id, 'decode'), title: 'decode rate per level', spec: distributionSpec(pick((c) => c.decodeTokPerS), { title: 'per-call decode rate per level', unit: 'decode rate, tok/s' }), caption: 'Per-call decode rate as judged against the tiers (stored rows); TPOT = 1000 / rate for a call without stalls.' },
    { kind: 'chart', id: chartId(id, 'itl'), title: 'ITL p99 per call, per level', spec: distributionSpec(pick((c) => c.itlP99Ms), { title: 'per-call p99 inter-token latency per level', unit: 'ITL p99 of the call, ms', logY: true }), caption: 'Each call\'s own p99 gap between tokens (stored rows), summarised across the level\'s calls.' },
    {
      kind: 'table',
      headers: [label === String ? 'level' : 'arrival rate (req/s)', 'calls stored', 'window calls ok', 'TTFT p50 / p99 ms', 'decode p50 tok/s', 'ITL p50 / p99 ms', 'window errors by class'],
      rows: d.calls.map((c) => [label(c.level), c.calls, c.windowOk, `${fmt(c.ttftMs?.p50)} / ${fmt(c.ttftMs?.p99)}`, fmt(c.decodeTokPerS?.p50), `${fmt(c.itlP50Ms?.p50)} / ${fmt(c.itlP99Ms?.p99)}`, Object.entries(c.errorsByClass).map(([k, n]) => `${k} ${n}`).join(', ') || '-']),
    },
  ];
  return { heading: 'TTFT, decode rate and ITL per level', blocks };
}

function powerSection(id: string, d: RunData, perLevel: WindowPowerV1[][], idle: WindowPowerV1[] | undefined): Section {
  const first = perLevel.find((p) => p.length)?.[0];
  const blocks: Block[] = [];
  if (!first) return { heading: 'Power', blocks: [{ kind: 'text', text: 'No power source was given for this run (--power), so no power trace or agents/MW.' }] };
  const t0 = d.t0Ns ?? 0n;
  const s = (ns: bigint | string) => Number(BigInt(ns) - t0) / 1e9;
  const spans: PhaseSpan[] = [];
  if (idle?.[0]) spans.push({ phase: 'idle', startS: s(idle[0].startNs), endS: s(idle[0].endNs), label: `idle ${fmt(idle[0].meanW)} W` });
  for (const p of d.phases) {
    if (p.levelStartNs !== null) spans.push({ phase: 'warm-up', startS: s(p.levelStartNs), endS: s(p.windowStartNs), label: `N=${p.concurrency} warm-up` });
    spans.push({ phase: 'window', startS: s(p.windowStartNs), endS: s(p.windowEndNs), label: `N=${p.concurrency} window` });
    if (p.cutNs !== null) spans.push({ phase: 'drain', startS: s(p.windowEndNs), endS: s(p.cutNs), label: `N=${p.concurrency} drain` });
  }
  const boundary = `boundary: ${first.boundary}; source ${first.source}; class ${first.comparabilityClass}${first.simulated ? '; SIMULATED power' : ''}${first.windowRule ? `; window rule: ${first.windowRule}` : ''}`;
  if (d.trace.length) blocks.push({ kind: 'chart', id: chartId(id, 'power'), title: 'power trace', spec: powerTraceSpec(d.trace, spans, 'power over the run, phases shaded'), caption: `${boundary}. Energy per level is integrated over the window span only.` });
  else blocks.push({ kind: 'text', tone: 'note', text: `No power readings are stored for this run (runs stored before the trace was kept, or a constant source); ${boundary}.` });
  blocks.push({
    kind: 'table',
    headers: ['level', 'mean W (window)', 'energy J', 'samples', 'coverage', 'flags'],
    rows: perLevel.map((ps, i) => [d.phases[i]?.concurrency ?? i, fmt(ps[0]?.meanW), fmt(ps[0]?.energyJ), ps[0]?.samples ?? null, pct(ps[0]?.coverage), ps[0]?.flags.join('; ') || '-']),
  });
  if (idle?.[0]) blocks.push({ kind: 'text', tone: 'note', text: `Idle power before the first level: ${fmt(idle[0].meanW)} W (reported beside agents/MW, never subtracted).` });
  return { heading: 'Power', blocks };
}

function lagSection(id: string, levels: { label: string; report: LevelReportV1 }[], config: Record<string, unknown>): Section {
  const v = (config.validity ?? {}) as { maxEventLoopUtilization?: number; maxEventLoopDelayP99Ms?: number };
  const rows = levels.flatMap((l) => {
    const out: { group: string; measure: string; value: number }[] = [];
    if (l.report.saturation) out.push({ group: l.label, measure: 'event-loop delay p99, ms', value: l.report.saturation.eventLoopDelayP99Ms });
    if (l.report.canary) out.push({ group: l.label, measure: 'canary read lag p99, ms', value: l.report.canary.p99Ms });
    return out;
  });
  const blocks: Block[] = [];
  if (rows.length) {
    blocks.push({
      kind: 'chart',
      id: chartId(id, 'timing-lag'),
      title: 'client timing-lag evidence',
      spec: groupedBarSpec(rows, { title: 'client timing lag per level', yTitle: 'ms', ...(v.maxEventLoopDelayP99Ms ? { rule: { y: v.maxEventLoopDelayP99Ms, label: 'invalid above' } } : {}) }),
      caption: `The client's own timing evidence per level: its event-loop delay p99${levels.some((l) => l.report.canary) ? ' and the timing canary\'s read lag p99' : ' (no timing canary in this run)'}; dashed: the delay above which a level is invalid (${fmt(v.maxEventLoopDelayP99Ms)} ms).`,
    });
  }
  blocks.push({
    kind: 'table',
    headers: ['level', 'event-loop busy', 'delay p99 / max ms', 'client CPU cores', 'canary p50 / p99 / max ms (samples)'],
    rows: levels.map((l) => {
      const s = l.report.saturation;
      const c = l.report.canary;
      return [l.label, s ? pct(s.eventLoopUtilization) : '-', s ? `${fmt(s.eventLoopDelayP99Ms)} / ${fmt(s.eventLoopDelayMaxMs)}` : '-', s ? `${fmt(s.processCpuCores, 2)} of ${s.cores}` : '-', c ? `${fmt(c.p50Ms, 2)} / ${fmt(c.p99Ms, 2)} / ${fmt(c.maxMs, 2)} (${c.samples})` : 'not measured'];
    }),
    caption: `A level is invalid above ${pct(v.maxEventLoopUtilization)} event-loop busy or ${fmt(v.maxEventLoopDelayP99Ms)} ms delay p99 (this run's validity settings).`,
  });
  return { heading: 'Client timing-lag evidence', blocks };
}


function levelsTable(levels: SweepLevelV1[]): Section {
  return {
    heading: 'Levels in the order they ran',
    blocks: [{
      kind: 'table',
      headers: ['#', levels.some((l) => l.arrivalRatePerS !== undefined) ? `${AXIS_OPEN} (sessions alive)` : 'N', 'valid', 'window s', 'calls sent in window', 'output tok/s', 'TTFT p50 / p99 ms', 'TPOT p50 / p99 ms', 'errors', 'reasons'],
      rows: levels.map((l) => [l.index + 1, l.arrivalRatePerS !== undefined ? `${levelLabel(l)} (${l.concurrency})` : levelLabel(l), l.valid ? 'yes' : 'NO', fmt(l.report.windowS), l.report.callsSentInWindow, fmt(l.report.outputTokPerS), `${fmt(l.report.vllm.ttftMs?.median)} / ${fmt(l.report.vllm.ttftMs?.p99)}`, `${fmt(l.report.vllm.tpotMs?.median, 2)} / ${fmt(l.report.vllm.tpotMs?.p99, 2)}`, Object.entries(l.report.errors).map(([k, n]) => `${k} ${n}`).join(', ') || '0', l.reasons.join('; ') || '-']),
      caption: 'vLLM-style figures (TTFT, TPOT) from each level report.',
    }],
  };
}
