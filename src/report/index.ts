/**
 * Reports (DESIGN 7a): one self-contained HTML page, or Markdown with an SVG per chart, from stored
 * agentdyno.run.v1 results. Reads only; never re-measures or re-judges. Charts: Vega-Lite rendered
 * to SVG in Node (render.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError } from '../core/index.js';
import { agentdynoVersion, gitSha, type BudgetBenchRunV1, type EfcFitRunV1, type LoopRunV1, type MergedRunV1, type PlanRunV1, type PowerRecordRunV1, type ReplayRunV1, type Store, type SuiteRunV1, type SweepRunV1 } from '../store/index.js';
import { loadRun, type RunData } from './data.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Block, Page, Section } from './page.js';
import { chartSvg } from './render.js';
import { svgsToPng } from './png.js';
import { compareSections } from './pages/compare.js';
import { loopSections, suiteSections } from './pages/loop.js';
import { budgetSections, efcSections, mergedSections, planSections, powerRecordSections } from './pages/misc.js';
import { replaySections, sweepSections } from './pages/sweep.js';

export { renderRunText } from './text.js';
export { loadRun, levelCalls, type RunData, type LevelCalls, type Quantiles } from './data.js';
export type { Page, Section, Block } from './page.js';
export { chartSvg } from './render.js';
export { paretoFrontier } from './charts.js';

export type ReportFormat = 'html' | 'md';

const TITLES: Record<string, string> = { sweep: 'SLO sweep', replay: 'Replay level', 'replay-merged': 'Merged shards', plan: 'Capacity plan', loop: 'Optimisation loop', suite: 'Task suite', 'budget-bench': 'Budget bench', 'power-record': 'Power record', 'efc-fit': 'EFC fit' };

export function runSections(d: RunData): Section[] {
  switch (d.doc.kind) {
    case 'sweep': return sweepSections(d as RunData & { doc: SweepRunV1 });
    case 'replay': return replaySections(d as RunData & { doc: ReplayRunV1 });
    case 'replay-merged': return mergedSections(d as RunData & { doc: MergedRunV1 });
    case 'plan': return planSections(d as RunData & { doc: PlanRunV1 });
    case 'loop': return loopSections(d as RunData & { doc: LoopRunV1 });
    case 'suite': return suiteSections(d as RunData & { doc: SuiteRunV1 });
    case 'budget-bench': return budgetSections(d as RunData & { doc: BudgetBenchRunV1 });
    case 'power-record': return powerRecordSections(d as RunData & { doc: PowerRecordRunV1 });
    case 'efc-fit': return efcSections(d as RunData & { doc: EfcFitRunV1 });
  }
}

/** The page for one run, or a comparison page (comparison first, then each run's own sections). */
export function buildPage(runs: RunData[]): Page {
  if (runs.length === 0) throw new AgentdynoError('no run to report.', { code: 'E_USAGE', where: 'RUN...', hint: 'Name one or more run ids (see `agentdyno results list`).' });
  const simulated = runs.some((r) => r.doc.provenance.simulated);
  if (runs.length === 1) {
    const d = runs[0];
    return { title: `agentdyno ${TITLES[d.doc.kind] ?? d.doc.kind}: ${d.doc.id}`, subtitle: `${d.doc.kind} run, ${d.doc.status}, started ${d.doc.startedAt}${simulated ? ' (SIMULATED)' : ''}`, simulated, sections: runSections(d) };
  }
  const sections = compareSections(runs);
  // Each run's own sections follow, headed by its id so ids stay unique on the page.
  for (const d of runs) for (const s of runSections(d)) sections.push({ heading: `${d.doc.id}: ${s.heading}`, blocks: s.blocks });
  return { title: `agentdyno comparison of ${runs.length} runs`, subtitle: runs.map((r) => `${r.doc.id} (${r.doc.kind})`).join(', '), simulated, sections };
}

export function chartsOf(page: Page): Extract<Block, { kind: 'chart' }>[] {
  return page.sections.flatMap((s) => s.blocks.filter((b): b is Extract<Block, { kind: 'chart' }> => b.kind === 'chart'));
}

export async function renderCharts(page: Page): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of chartsOf(page)) out.set(c.id, await chartSvg(c.spec));
  return out;
}

export function footerText(): string {
  const sha = gitSha();
  return `agentdyno ${agentdynoVersion() ?? '?'}${sha ? ` (${sha.slice(0, 12)})` : ''}; charts: Vega-Lite rendered to SVG; generated ${new Date().toISOString()} from stored agentdyno.run.v1 results (nothing re-measured).`;
}

export interface WrittenReport {
  out: string;
  format: ReportFormat;
  charts: { id: string; title: string; svg: string; png?: string }[];
  runs: string[];
}

/**
 * Writes the report: `out` (HTML or Markdown) and, in `<out without extension>-charts/`, one SVG per
 * chart (the Markdown links them; with HTML they are extra copies for papers).
 */
export async function writeReport(store: Store, ids: readonly string[], o: { out: string; format: ReportFormat; png?: boolean }): Promise<WrittenReport> {
  const runs = ids.map((id) => loadRun(store, id));
  const page = buildPage(runs);
  const svgs = await renderCharts(page);
  const out = path.resolve(o.out);
  const dir = out.replace(/\.(html?|md)$/i, '') + '-charts';
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.mkdirSync(dir, { recursive: true });
  const charts = chartsOf(page).map((c) => {
    const file = path.join(dir, `${c.id}.svg`);
    fs.writeFileSync(file, svgs.get(c.id)!);
    return { id: c.id, title: c.title, svg: file };
  });
  const footer = footerText();
  const text = o.format === 'md' ? renderMarkdown(page, (id) => `${path.basename(dir)}/${id}.svg`, footer) : renderHtml(page, svgs, footer);
  fs.writeFileSync(out, text);
  const pngs = o.png ? await svgsToPng(charts.map((c) => c.svg)) : [];
  return { out, format: o.format, charts: charts.map((c, i) => ({ ...c, ...(pngs[i] ? { png: pngs[i] } : {}) })), runs: [...ids] };
}
