/** Text for a merged level (pure), laid out like replay's. */
import { fmtNum, fmtPct, renderTable } from '../ui/index.js';
import { fmtErrors } from '../replay/index.js';
import type { HdrStat } from './hdr.js';
import type { MergedLevel } from './merge.js';

const ms = (v: number | null | undefined) => fmtNum(v, 1);
const row = (name: string, s: HdrStat | null) => (s ? [name, String(s.count), ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)] : [name, '-', '-', '-', '-', '-', '-']);

export function formatMerged(m: MergedLevel): string {
  const out: string[] = [];
  out.push(
    `concurrency ${m.concurrency} over ${m.shardCount} shards: ${m.valid ? 'VALID' : 'INVALID'}; common window ${fmtNum(m.window.overlapS)} s (${fmtPct(m.window.overlapFraction)} of the shortest shard window, ${fmtNum(m.window.shortestS)} s); ` +
      `${m.callsSentInWindow} calls sent in the windows from ${m.agentsActive} agents; output ${fmtNum(m.outputTokPerS)} tok/s (sum of shards)`,
  );
  for (const r of m.reasons) out.push(`  invalid: ${r}`);
  out.push(
    renderTable(
      ['SLO tier', 'TTFT ceiling', 'agents meeting', 'pass rate', 'verdict', 'per shard', 'calls failing TTFT / decode / error', 'binding'],
      m.tiers.map((t) => [
        `${t.sloTokPerS} tok/s`,
        `${fmtNum(t.ttftCeilingMs)} ms`,
        `${t.agentsMeeting}/${t.agentsActive}`,
        fmtPct(t.passRate),
        t.pass ? 'PASS' : 'FAIL',
        t.byShard.map((s) => `${s.agentsMeeting}/${s.agentsActive}`).join(' + '),
        `${t.callFailures.ttft} / ${t.callFailures.decode} / ${t.callFailures.error}`,
        t.bindingConstraint,
      ]),
      { align: ['left', 'right', 'right', 'right', 'left', 'right', 'right', 'left'] },
    ),
  );
  out.push(`verdict recomputed from the summed agent counts: a level passes if >= ${fmtPct(m.thresholds.agentPassFraction)} of active agents meet the tier (an agent: >= ${fmtPct(m.thresholds.callPassFraction)} of its window calls)`);
  out.push(`errors (window calls, summed): ${fmtErrors(m.errors)}; error rate ${fmtPct(m.errorRate)}`);
  const v = m.vllm;
  out.push(renderTable(['vLLM-style (merged histograms)', 'count', 'mean', 'p50', 'p90', 'p99', 'max'], [row('TTFT (ms)', v.ttftMs), row('TPOT (ms)', v.tpotMs), row('ITL (ms)', v.itlMs), row('E2EL (ms)', v.e2elMs)], { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'] }));
  out.push(`completed ${v.completed}, failed ${v.failed}, output ${fmtNum(v.outputThroughput)} tok/s, ${fmtNum(v.requestThroughput, 2)} req/s (sums of per-shard rates); ${v.precision}; percentiles never averaged`);
  for (const g of v.goodput) out.push(`goodput ${g.spec}: ${fmtNum(g.requestGoodput, 2)} req/s, ${g.goodRequests} good of ${v.completed}`);
  out.push(
    renderTable(
      ['shard', 'run', 'lanes', 'window start (wall clock)', 'offset ms', 'window s', 'valid', 'agents', 'out tok/s'],
      m.shards.map((s) => [String(s.index), s.runId, `${s.lanes.length} (${s.lanes.slice(0, 4).join(',')}${s.lanes.length > 4 ? ',...' : ''})`, new Date(s.windowStartWallMs).toISOString(), fmtNum(s.startOffsetMs), fmtNum(s.windowS), s.valid ? 'yes' : 'NO', String(s.agentsActive), fmtNum(s.outputTokPerS)]),
      { align: ['right', 'left', 'left', 'left', 'right', 'right', 'left', 'right', 'right'] },
    ),
  );
  if (!m.power.length) out.push('power: none measured (pass --power SPEC to one shard, or to each: the same channel is not summed)');
  for (const ch of m.power) {
    const w = ch.window;
    out.push(`power (shard ${ch.shard}${ch.alsoReportedBy.length ? `; also reported by shard ${ch.alsoReportedBy.join(', ')}, not summed` : ''}): mean ${w.meanW === null ? '-' : fmtNum(w.meanW)} W over its window; boundary ${w.boundary}; source ${w.source}; class ${w.comparabilityClass}${w.simulated ? '; SIMULATED' : ''}`);
    for (const t of ch.tiers) {
      const a = t.agentsPerMW;
      out.push(`  ${t.sloTokPerS} tok/s: ${a.value === null ? `agents/MW n/a (${a.reason})` : `${fmtNum(Math.round(a.value))} agents/MW at N=${a.agents} (${a.label.toUpperCase()}; this level, not a searched N_max)`}`);
    }
  }
  for (const n of m.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
