/**
 * Several runs side by side. agents/MW ratios go through power's compareRuns (the same rule as
 * `results compare`): a ratio across comparability classes, or simulated against measured, is refused
 * with the reason, never printed.
 */
import { compareRuns } from '../../power/index.js';
import { okResult, type LoopRunV1, type SweepRunV1 } from '../../store/index.js';
import { linesSpec, paretoFrontier, paretoSpec } from '../charts.js';
import type { RunData } from '../data.js';
import { chartId, fmt, type Block, type Cell, type Section } from '../page.js';

export function compareSections(runs: RunData[]): Section[] {
  const sections: Section[] = [];
  const sweeps = runs.filter((r): r is RunData & { doc: SweepRunV1 } => r.doc.kind === 'sweep' && okResult(r.doc as SweepRunV1) !== null);
  sections.push({
    heading: 'Runs compared',
    blocks: [{ kind: 'table', headers: ['run', 'kind', 'status', 'figures', 'target', 'started (UTC)'], rows: runs.map((r) => [r.doc.id, r.doc.kind, r.doc.status, r.doc.provenance.simulated ? 'SIMULATED' : 'measured', String(r.doc.provenance.target?.url ?? '-'), r.doc.startedAt]) }],
  });
  if (sweeps.length >= 2) {
    const base = sweeps[0];
    const rows: Cell[][] = [];
    for (const other of sweeps.slice(1)) {
      const c = compareRuns({ id: other.doc.id, result: other.doc.result }, { id: base.doc.id, result: base.doc.result });
      for (const row of c.rows) rows.push([row.tier, other.doc.id, fmt(row.a?.agentsPerMW), fmt(row.b?.agentsPerMW), row.ratio === null ? 'refused' : row.ratio.toFixed(3), row.refused ?? '-']);
    }
    sections.push({ heading: 'agents/MW against the first run', blocks: [{ kind: 'table', headers: ['tier', 'run', 'agents/MW (run)', `agents/MW (${base.doc.id})`, 'ratio', 'why refused'], rows, caption: 'Ratios only within one power comparability class; simulated vs measured and cross-boundary ratios are refused (as `agentdyno results compare`).' }] });
    const blocks: Block[] = [];
    const tiers = [...new Set(sweeps.flatMap((s) => okResult(s.doc)!.tiers.map((t) => t.sloTokPerS)))];
    // Closed-loop sweeps (agents) and open-loop ones (arrival rate) never share an axis.
    const isOpen = (s: (typeof sweeps)[number]) => okResult(s.doc)!.mode === 'open-loop';
    for (const open of [false, true]) {
      const group = sweeps.filter((s) => isOpen(s) === open);
      if (group.length === 0) continue;
      const axis = open ? 'arrival rate (req/s)' : 'concurrent agents (N)';
      for (const tier of tiers) {
        const lines = group.flatMap((s) => okResult(s.doc)!.levels.flatMap((l) => { const t = l.report.tiers.find((x) => x.sloTokPerS === tier); return t?.passRate === null || !t ? [] : [{ series: s.doc.id, x: open ? (l.arrivalRatePerS ?? NaN) : l.concurrency, y: t.passRate }]; }).sort((a, b) => a.x - b.x));
        const nmax = group.map((s) => { const t = okResult(s.doc)!.tiers.find((x) => x.sloTokPerS === tier); return open ? `${s.doc.id}: max passing ${fmt(t?.arrivalRatePerS?.maxPassing, 3)} req/s (open loop)` : `${s.doc.id}: N_max ${t?.nMax ?? '-'}`; }).join('; ');
        blocks.push({ kind: 'chart', id: chartId('compare', open ? 'pass-rate-open-loop' : 'pass-rate', tier), title: `pass rate vs ${open ? 'arrival rate' : 'N'}, ${tier} tok/s`, spec: linesSpec(lines, { title: `${fmt(tier)} tok/s tier: agents meeting the tier vs ${open ? 'arrival rate (open loop)' : 'N'}`, xTitle: axis, yTitle: 'agents meeting the tier', yDomain: [0, 1] }), caption: nmax });
      }
    }
    const pts = sweeps.flatMap((s) => okResult(s.doc)!.levels.flatMap((l) => (l.report.vllm.tpotMs?.median ? [{ series: s.doc.id, concurrency: l.concurrency, perAgentTokPerS: 1000 / l.report.vllm.tpotMs.median, outputTokPerS: l.report.outputTokPerS, frontier: false }] : [])));
    for (const s of sweeps) {
      const mine = pts.filter((p) => p.series === s.doc.id);
      const f = paretoFrontier(mine);
      for (const p of mine) p.frontier = f.has(p);
    }
    if (pts.length) blocks.push({ kind: 'chart', id: chartId('compare', 'pareto'), title: 'Pareto across runs', spec: paretoSpec(pts, 'output tok/s vs per-agent tok/s, per run'), caption: 'Dashed: each run\'s own frontier. Runs of different classes are drawn together but never divided.' });
    sections.push({ heading: 'Curves across runs', blocks });
  }
  const loops = runs.filter((r) => r.doc.kind === 'loop' && okResult(r.doc as LoopRunV1));
  if (loops.length >= 2) {
    const rows = loops.flatMap((l) => okResult(l.doc as LoopRunV1)!.curve.map((c) => ({ series: `${l.doc.id}`, x: c.wallMs / 1000, y: c.bestNormalized })));
    sections.push({ heading: 'Loops across runs', blocks: [{ kind: 'chart', id: chartId('compare', 'loops'), title: 'score vs wall seconds', spec: linesSpec(rows, { title: 'best normalized score vs wall seconds', xTitle: 'wall seconds', yTitle: 'best normalized score' }), caption: 'Each loop run\'s curve.' }] });
  }
  return sections;
}
