/** EFC fit, budget bench, merged shards, power record and plan pages. */
import { okResult, type BudgetBenchRunV1, type EfcFitRunV1, type MergedRunV1, type PlanRunV1, type PowerRecordRunV1 } from '../../store/index.js';
import { fitSpec, groupedBarSpec, passRateSpec, powerTraceSpec } from '../charts.js';
import type { RunData } from '../data.js';
import { chartId, fmt, pct, type Block, type Section } from '../page.js';
import { provenanceSection } from './provenance.js';

const LABEL: Record<string, string> = { efc: 'ln(1+EFC)', efcPerDemand: 'ln(1+EFC/D_task)', tokens: 'ln(1+tokens)', toolCalls: 'ln(1+tool calls)', wallSec: 'ln(1+wall s)' };
const ci = (c: [number, number] | null | undefined) => (c ? `[${fmt(c[0], 3)}, ${fmt(c[1], 3)}]` : 'no interval');
const none = (d: RunData, what: string): Section[] => [{ heading: 'Result', blocks: [{ kind: 'text', tone: 'warn', text: `No ${what} result stored${(d.doc.result as { error?: string } | null)?.error ? `: ${(d.doc.result as { error: string }).error}` : ''} (status ${d.doc.status}).` }] }, provenanceSection(d)];

/** Deterministic jitter so the 0/1 points do not sit on one line (the same page every time). */
const jitter = (i: number) => ((((i * 2654435761) >>> 0) % 1000) / 1000 - 0.5) * 0.12;

export function efcSections(d: RunData & { doc: EfcFitRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return none(d, 'EFC fit');
  const f = r.fit;
  const coords = ['efcPerDemand', f.raw];
  const blocks: Block[] = [
    { kind: 'text', text: `On ${f.n} loop runs over ${f.tasks} task(s) (success rate ${fmt(f.successRate, 3)}): logistic R² vs ${LABEL.efcPerDemand} ${fmt(f.fits.efcPerDemand?.logistic.r2, 3)} ${ci(f.fits.efcPerDemand?.ci)}, vs ${LABEL[f.raw] ?? f.raw} ${fmt(f.fits[f.raw]?.logistic.r2, 3)} ${ci(f.fits[f.raw]?.ci)}; difference ${fmt(f.deltaR2.estimate, 3)} ${ci(f.deltaR2.ci)}.` },
    { kind: 'text', tone: 'note', text: 'Our EFC implementation on our runs; not a reproduction of the paper\'s figures. Demand: ' + r.demandSource },
  ];
  for (const c of coords) {
    const band = r.bands[c] ?? [];
    const pts = r.points.map((p, i) => {
      const v = c === 'efcPerDemand' ? p.efc / Math.max(p.demand, 1e-9) : (p as unknown as Record<string, number>)[c];
      return { x: Math.log1p(Math.max(0, v)), success: p.success ? 1 : 0, jitter: (p.success ? 1 : 0) + jitter(i) };
    });
    blocks.push({ kind: 'chart', id: chartId(d.doc.id, 'fit', c), title: `success vs ${LABEL[c] ?? c}`, spec: fitSpec(pts, band, { title: `success vs ${LABEL[c] ?? c}: R² ${fmt(f.fits[c]?.logistic.r2, 3)} ${ci(f.fits[c]?.ci)}`, xTitle: LABEL[c] ?? c }), caption: `${c === 'efcPerDemand' ? 'EFC per task demand' : 'Raw compute'}: the logistic fit on all runs, its 95% hierarchical-bootstrap band (tasks, then runs), and each run (jittered 0/1).` });
  }
  blocks.push({ kind: 'table', headers: ['coordinate', 'logistic R²', '95% CI', 'MAE'], rows: Object.entries(f.fits).map(([c, x]) => [LABEL[c] ?? c, fmt(x.logistic.r2, 3), ci(x.ci), fmt(x.logistic.mae, 3)]) });
  blocks.push({ kind: 'text', text: `Loop runs fitted: ${r.loopRuns.join(', ')}` });
  return [{ heading: 'EFC fit beside raw compute', blocks }, provenanceSection(d)];
}

export function budgetSections(d: RunData & { doc: BudgetBenchRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return none(d, 'budget bench');
  const id = d.doc.id;
  const cats = [...new Set(r.policies.flatMap((p) => Object.keys(p.byCategory)))];
  const violations = r.policies.flatMap((p) => (cats.length ? cats : ['violations']).map((c) => ({ group: p.policy, measure: c, value: cats.length ? (p.byCategory[c] ?? 0) : 0 })));
  const over = r.policies.filter((p) => p.overProvisioning !== null).map((p) => ({ group: p.policy, measure: 'reserved / used', value: p.overProvisioning! }));
  const blocks: Block[] = [];
  if (r.simulated) blocks.push({ kind: 'text', tone: 'simulated', text: 'SIMULATED target (illustrative): the policies ran against the built-in simulator.' });
  blocks.push({ kind: 'chart', id: chartId(id, 'violations'), title: 'violations per policy', spec: groupedBarSpec(violations, { title: 'budget violations per policy, by category', yTitle: 'trials with a violation' }), caption: `${r.policies[0]?.trials ?? 0} trials per policy, the same seeded workloads for every policy; faults injected in turn: ${r.faults.join(', ') || 'none'}.` });
  if (over.length) blocks.push({ kind: 'chart', id: chartId(id, 'over-provisioning'), title: 'over-provisioning per policy', spec: groupedBarSpec(over, { title: 'over-provisioning: tokens reserved / tokens used', yTitle: 'ratio', rule: { y: 1, label: 'no slack' } }), caption: 'Sum of reserved tokens over sum used, over reserved calls; policies that reserve nothing have no bar.' });
  blocks.push({ kind: 'table', headers: ['policy', 'trials', 'violations', 'server-fault violations', 'max / p95 overshoot %', 'over-provisioning', 'completion', 'truncated', 'unused', 'refusals', 'conservation failures'], rows: r.policies.map((p) => [p.policy, p.trials, p.violations, p.serverFaultViolations, `${fmt(p.maxOvershootPct)} / ${fmt(p.p95OvershootPct)}`, p.overProvisioning === null ? 'n/a' : `${fmt(p.overProvisioning, 2)}x`, pct(p.completion), pct(p.truncatedShare), pct(p.unusedShare), p.refusals, p.conservationFailures]) });
  for (const n of r.notes) blocks.push({ kind: 'text', tone: 'note', text: n });
  return [{ heading: 'Budget policies under fan-out', blocks }, provenanceSection(d)];
}

export function mergedSections(d: RunData & { doc: MergedRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return none(d, 'merge');
  const blocks: Block[] = [];
  if (!r.valid) blocks.push({ kind: 'text', tone: 'warn', text: `Merged level INVALID: ${r.reasons.join('; ')}` });
  blocks.push({ kind: 'table', headers: ['SLO tier', 'pass rate', 'agents meeting / active', 'verdict'], rows: r.tiers.map((t) => [`${fmt(t.sloTokPerS)} tok/s`, pct(t.passRate), `${t.agentsMeeting} / ${t.agentsActive}`, t.pass ? 'pass' : 'FAIL']), caption: `${r.concurrency} agents over ${r.shardCount} shards; wall-clock window overlap ${fmt(r.window.overlapS)} s; verdicts from summed counts, percentiles from merged HDR histograms.` });
  blocks.push({ kind: 'table', headers: ['figure (merged HDR), ms', 'calls', 'mean', 'p50', 'p90', 'p99', 'max'], rows: (['ttftMs', 'tpotMs', 'itlMs', 'e2elMs'] as const).map((k) => { const s = r.vllm[k]; return [k, s?.count ?? null, fmt(s?.mean), fmt(s?.p50), fmt(s?.p90), fmt(s?.p99), fmt(s?.max)]; }) });
  blocks.push({ kind: 'table', headers: ['shard run'], rows: r.shards.map((s) => [s.runId]) });
  return [{ heading: `Merged level: ${r.concurrency} agents`, blocks }, provenanceSection(d)];
}

export function powerRecordSections(d: RunData & { doc: PowerRecordRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return none(d, 'power record');
  const w = r.window;
  const blocks: Block[] = [
    { kind: 'kv', pairs: [['source', `${r.spec} (${w.source})`], ['boundary', `${w.boundary} (class ${w.comparabilityClass})${w.simulated ? ', SIMULATED' : ''}`], ['mean power', `${fmt(w.meanW)} W over ${fmt(r.durationS)} s`], ['energy', `${fmt(w.energyJ)} J`], ['samples', `${w.samples} (${r.samplesStored} stored), coverage ${pct(w.coverage)}`], ['flags', w.flags.join('; ') || 'none']] },
  ];
  if (d.trace.length) blocks.push({ kind: 'chart', id: chartId(d.doc.id, 'power'), title: 'power trace', spec: powerTraceSpec(d.trace, [{ phase: 'window', startS: Number(BigInt(w.startNs) - (d.t0Ns ?? 0n)) / 1e9, endS: Number(BigInt(w.endNs) - (d.t0Ns ?? 0n)) / 1e9, label: 'recorded window' }], 'recorded power'), caption: `Boundary: ${w.boundary}.` });
  else blocks.push({ kind: 'text', tone: 'note', text: 'No power readings stored (a constant or counter source stores no power samples to draw).' });
  return [{ heading: 'Power record', blocks }, provenanceSection(d)];
}

export function planSections(d: RunData & { doc: PlanRunV1 }): Section[] {
  const r = okResult(d.doc);
  if (!r) return none(d, 'plan');
  const id = d.doc.id;
  const set = r.settings;
  const blocks: Block[] = [
    { kind: 'text', tone: 'simulated', text: `SIMULATED, VIRTUAL TIME: a prediction of the simulator's model of profile ${r.profile.name} (illustrative, not measured on any hardware) x ${r.replicas} replica(s), run on a discrete-event clock. No request was sent and no power was measured; times below are virtual seconds.` },
    {
      kind: 'table',
      headers: ['SLO tier', 'bracket [max passing, min failing] (virtual time)', 'binding', 'flags', 'agents/MW (SIMULATED)', 'mean W at max passing (SIMULATED)'],
      rows: r.tiers.map((t) => [
        `${fmt(t.sloTokPerS)} tok/s, TTFT <= ${fmt(t.ttftCeilingMs)} ms`,
        `[${t.maxPassing ?? '-'}, ${t.minFailing ?? '-'}]`,
        t.bindingConstraint,
        [t.cliff ? 'CLIFF' : '', t.nonMonotone ? 'NON-MONOTONE' : '', t.resolved ? '' : 'unresolved', ...t.notes].filter(Boolean).join('; ') || '-',
        t.agentsPerMW === null ? 'n/a' : fmt(Math.round(t.agentsPerMW)),
        fmt(t.meanW),
      ]),
      caption: `Per tier, the bracket the virtual-time search found (geometric growth, then bisection, as a real sweep); levels: ${fmt(set.warmupS)} s warm-up, ${fmt(set.windowS)} s window, ${fmt(set.drainCapS)} s drain cap, virtual; seed ${set.seed}.`,
    },
  ];
  for (const t of r.tiers) {
    blocks.push({
      kind: 'chart',
      id: chartId(id, 'plan-pass-rate', t.sloTokPerS),
      title: `SIMULATED pass rate vs N, ${fmt(t.sloTokPerS)} tok/s tier (virtual time)`,
      spec: passRateSpec({
        title: `SIMULATED (virtual time): ${fmt(t.sloTokPerS)} tok/s tier, agents meeting the tier vs N`,
        points: r.levels.map((l, i) => ({ concurrency: l.concurrency, replicate: r.levels.slice(0, i).filter((x) => x.concurrency === l.concurrency).length, valid: l.valid, passRate: l.tiers.find((x) => x.sloTokPerS === t.sloTokPerS)?.passRate ?? null })),
        nMax: t.maxPassing,
        minFailing: t.minFailing,
        threshold: r.thresholds.agentPassFraction,
        cliff: t.cliff,
      }),
      caption: `Shaded: the bracket; dashed: the agent pass fraction a level needs (${pct(r.thresholds.agentPassFraction)}). Every point is the simulator's prediction, not a measurement.`,
    });
  }
  blocks.push({
    kind: 'table',
    headers: ['N', 'valid', 'window opened / level ended (virtual s)', 'output tok/s (SIMULATED)', 'mean W (SIMULATED)', ...r.tiers.map((t) => `${fmt(t.sloTokPerS)} tok/s pass`), 'notes'],
    rows: r.levels.map((l) => [l.concurrency, l.valid ? 'yes' : 'NO', `${fmt(l.windowStartS)} / ${fmt(l.endS)}`, fmt(l.outputTokPerS), fmt(l.power.meanW), ...r.tiers.map((t) => pct(l.tiers.find((x) => x.sloTokPerS === t.sloTokPerS)?.passRate ?? null)), [...l.reasons, l.sample?.note ?? ''].filter(Boolean).join('; ') || '-']),
    caption: `Levels in the order the search ran them. Simulation cost: ${r.sim.levels} levels, ${r.sim.engineSteps} engine steps, ${fmt(r.sim.wallMs / 1000)} s of this machine's wall clock.`,
  });
  return [{ heading: 'Capacity plan (SIMULATED, virtual time)', blocks }, provenanceSection(d)];
}
