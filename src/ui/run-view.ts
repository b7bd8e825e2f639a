import type { RunRecord, SweepPointRow, LoopIterationRow } from '../store/index.js';
import { asciiChart } from './chart.js';
import { fmtNum, fmtPct, renderTable } from './table.js';
import { shortTime } from './summary.js';

/** Human text for `results show`: metadata, then one sweep-point table per SLO tier. */
export function renderRunDetail(
  run: RunRecord,
  extra: { sweepPoints?: SweepPointRow[]; requestCount?: number; loopIterations?: LoopIterationRow[] } = {},
): string {
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
  let out = meta.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';

  const pts = extra.sweepPoints ?? [];
  const tiers = [...new Set(pts.map((p) => p.tierTokPerS))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const rows = pts.filter((p) => p.tierTokPerS === tier).sort((a, b) => a.level - b.level);
    const ceiling = rows.find((p) => p.ttftCeilingMs !== null)?.ttftCeilingMs;
    out += `\nSLO tier ${fmtNum(tier)} tok/s${ceiling !== undefined && ceiling !== null ? `, TTFT <= ${fmtNum(ceiling)} ms` : ''}\n`;
    out += renderTable(
      ['agents', 'pass rate', 'passing', 'active', 'output tok/s', 'power W', 'valid', 'notes'],
      rows.map((p) => [
        p.level,
        fmtPct(p.passRate),
        p.agentsPassing,
        p.agentsActive,
        fmtNum(p.outputTokPerS),
        fmtNum(p.meanPowerW),
        p.valid ? 'yes' : 'NO',
        p.reasons.join('; '),
      ]),
    );
  }

  const its = extra.loopIterations ?? [];
  if (its.length > 0) {
    // Score against cumulative tokens spent, per task: the budget curve.
    const byTask = new Map<string, [number, number][]>();
    const spent = new Map<string, number>();
    for (const it of its) {
      const task = it.task ?? '(task)';
      const s = (spent.get(task) ?? 0) + (it.tokensIn ?? 0) + (it.tokensOut ?? 0);
      spent.set(task, s);
      if (it.score !== null) byTask.set(task, [...(byTask.get(task) ?? []), [s, it.score]]);
    }
    if (byTask.size > 0) {
      out += '\nscore vs tokens spent\n';
      out += asciiChart(
        [...byTask].slice(0, 5).map(([name, points]) => ({ name, points })),
        { width: 60, height: 10, xLabel: 'tokens' },
      );
    }
  }
  return out;
}
