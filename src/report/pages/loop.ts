/** Loop and suite pages: score vs budget, failure-mode flags, per-iteration feedback; a table across a suite's tasks. */
import { okResult, type LoopResultV1, type LoopRunV1, type SuiteRunV1 } from '../../store/index.js';
import { groupedBarSpec, linesSpec } from '../charts.js';
import type { RunData } from '../data.js';
import { chartId, fmt, type Block, type Section } from '../page.js';
import { provenanceSection } from './provenance.js';

const FEEDBACK_CHARS = 600;

/** x = tokens spent when the agent spent any, else wall seconds (a model-free search agent spends none). */
function curveRows(r: LoopResultV1, series: string) {
  const byTokens = r.curve.some((c) => c.tokensUsed > 0);
  return { byTokens, rows: r.curve.map((c) => ({ series, x: byTokens ? c.tokensUsed : c.wallMs / 1000, y: c.bestNormalized })) };
}

function flagsText(r: LoopResultV1): string {
  const f = [r.stoppedEarly ? 'STOPPED EARLY (quit with budget left and no success)' : '', r.noProgressBurn ? 'NO-PROGRESS BURN (spent budget without improving)' : ''].filter(Boolean);
  return f.length ? f.join('; ') : 'none';
}

export function loopSections(d: RunData & { doc: LoopRunV1 }): Section[] {
  const r = okResult(d.doc);
  const id = d.doc.id;
  if (!r) return [{ heading: 'Result', blocks: [{ kind: 'text', tone: 'warn', text: `No loop result stored${(d.doc.result as { error?: string } | null)?.error ? `: ${(d.doc.result as { error: string }).error}` : ''} (status ${d.doc.status}).` }] }, provenanceSection(d)];
  const { byTokens, rows } = curveRows(r, r.task);
  const blocks: Block[] = [
    {
      kind: 'kv',
      pairs: [
        ['task', r.task],
        ['agent', `${r.agent}${r.sandbox ? ` (sandbox ${r.sandbox})` : ''}${r.feedback ? `, feedback ${r.feedback}` : ''}`],
        ['outcome', `${r.success ? 'success' : 'no success'}; normalized score ${fmt(r.normalizedScore, 3)}; reward ${fmt(r.reward, 3)}`],
        ['iterations', `${r.iterations} (stopped: ${r.stopReason}${r.agentStopReason ? `: ${r.agentStopReason}` : ''})`],
        ['budget used', `${r.budgetUsed.tokens.toLocaleString('en-US')} of ${r.budgets.tokens.toLocaleString('en-US')} tokens, ${fmt(r.budgetUsed.wallSec)} of ${fmt(r.budgets.wallSec)} s, ${r.budgetUsed.iterations} of ${r.budgets.iterations} iterations`],
        ['failure-mode flags', flagsText(r)],
        ['failures by kind', Object.entries(r.failureCounts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'],
      ],
    },
  ];
  if (rows.length) blocks.push({ kind: 'chart', id: chartId(id, 'score-budget'), title: 'score vs budget', spec: linesSpec(rows, { title: `best normalized score vs ${byTokens ? 'tokens spent' : 'wall seconds'}`, xTitle: byTokens ? 'tokens spent' : 'wall seconds', yTitle: 'best normalized score so far' }), caption: 'Best normalized score so far (baseline 0, reference 1) after each iteration.' });
  else blocks.push({ kind: 'text', tone: 'note', text: 'No iteration ran, so there is no score curve.' });
  const sections: Section[] = [{ heading: `Loop on ${r.task}`, blocks }];
  sections.push(iterationsSection(d));
  sections.push(provenanceSection(d));
  return sections;
}

function iterationsSection(d: RunData): Section {
  const byIt = new Map<number, string[]>();
  for (const f of d.feedback) byIt.set(f.iteration, [...(byIt.get(f.iteration) ?? []), `[${f.kind}] ${f.text ?? ''}`]);
  const clip = (s: string) => (s.length > FEEDBACK_CHARS ? `${s.slice(0, FEEDBACK_CHARS)}… (${s.length} chars)` : s);
  return {
    heading: 'Iterations and the feedback shown',
    blocks: d.iterations.length
      ? [{ kind: 'table', headers: ['iteration', 'status', 'score', 'normalized', 'metric', 'tokens in / out', 'wall ms', 'feedback shown to the agent'], rows: d.iterations.map((it) => [it.iteration, it.status, fmt(it.score, 3), fmt(it.normalizedScore, 3), fmt(it.metricValue, 3), `${it.tokensIn ?? '-'} / ${it.tokensOut ?? '-'}`, fmt(it.wallMs, 0), clip((byIt.get(it.iteration) ?? []).join(' | ')) || '-']), caption: `Feedback text is cut at ${FEEDBACK_CHARS} characters here; the store keeps all of it.` }]
      : [{ kind: 'text', text: 'No iterations stored.' }],
  };
}

export function suiteSections(d: RunData & { doc: SuiteRunV1 }): Section[] {
  const r = okResult(d.doc);
  const id = d.doc.id;
  if (!r) return [{ heading: 'Result', blocks: [{ kind: 'text', tone: 'warn', text: `No suite result stored (status ${d.doc.status}).` }] }, provenanceSection(d)];
  const s = r.summary;
  const blocks: Block[] = [
    { kind: 'text', text: `${s.succeeded} of ${s.tasks} tasks succeeded; mean normalized score ${fmt(s.meanNormalizedScore, 3)}; stopped early ${s.stoppedEarly}; no-progress burn ${s.noProgressBurn}.` },
    { kind: 'table', headers: ['task', 'ran', 'success', 'normalized', 'iterations', 'stop', 'flags', 'loop run'], rows: r.tasks.map((t) => [t.id, t.ok ? 'yes' : `FAILED: ${t.error ?? '?'}`, t.success === undefined ? '-' : t.success ? 'yes' : 'no', fmt(t.normalizedScore, 3), t.iterations ?? null, t.stopReason ?? '-', [t.stoppedEarly ? 'stoppedEarly' : '', t.noProgressBurn ? 'noProgressBurn' : ''].filter(Boolean).join(', ') || '-', t.runId ?? '-']) },
  ];
  const bars = r.tasks.filter((t) => t.normalizedScore !== undefined).map((t) => ({ group: t.id, measure: 'normalized score', value: t.normalizedScore! }));
  if (bars.length) blocks.push({ kind: 'chart', id: chartId(id, 'scores'), title: 'normalized score per task', spec: groupedBarSpec(bars, { title: 'normalized score per task', yTitle: 'normalized score' }), caption: 'Baseline 0, reference 1.' });
  // Wall seconds for every task: the one budget all agents spend (a search agent spends no tokens).
  const curves = d.children.flatMap((c) => { const lr = okResult(c.doc as LoopRunV1); return lr ? lr.curve.map((p) => ({ series: lr.task, x: p.wallMs / 1000, y: p.bestNormalized })) : []; });
  if (curves.length) blocks.push({ kind: 'chart', id: chartId(id, 'curves'), title: 'score vs budget per task', spec: linesSpec(curves, { title: 'best normalized score vs wall seconds, per task', xTitle: 'wall seconds', yTitle: 'best normalized score so far' }), caption: 'From each task\'s own loop run (its report has the iterations and feedback).' });
  return [{ heading: 'Suite across tasks', blocks }, provenanceSection(d)];
}
