/** Text for open-loop levels and sweeps: every figure says it came from open-loop arrivals. */
import { renderTable } from '../ui/index.js';
import { formatLevel } from './format.js';
import type { OpenLoopReport, OpenLoopValidity } from './open-loop.js';
import { RATE_STEPS, type OpenLoopSweepResult } from './open-loop-session.js';
import type { SloTier } from '../slo/index.js';

const ms = (x: number) => x.toFixed(1);

export function formatArrivals(r: OpenLoopReport, v: OpenLoopValidity): string {
  const s = r.openLoop;
  const lag = s.sendLag;
  const ok = lag.count === 0 || lag.p99Ms <= v.maxArrivalLagP99Ms;
  return [
    `OPEN LOOP: ${s.describe}`,
    `arrivals: ${s.scheduled} due before the window's end, ${s.started} started, ${s.refused} refused (in-flight cap), ${s.notStarted} not started; peak ${s.peakSessions} sessions in flight`,
    `arrivals vs schedule (client-side queueing, scheduled -> first request sent): p50 ${ms(lag.p50Ms)} ms, p99 ${ms(lag.p99Ms)} ms, max ${ms(lag.maxMs)} ms over ${lag.count} sessions; ` +
      `tolerance p99 <= ${v.maxArrivalLagP99Ms} ms: ${ok ? 'MET' : 'NOT MET (level invalid)'}; timer lateness alone p99 ${ms(s.startLag.p99Ms)} ms`,
    `TTFT from schedule (queueing included; the SLO judge counts from the send): p50 ${ms(s.ttftFromScheduleMs.p50Ms)} ms, p99 ${ms(s.ttftFromScheduleMs.p99Ms)} ms over ${s.ttftFromScheduleMs.count} window calls`,
    `("concurrency" below = sessions alive in the window; the load is the arrival ${s.mode === 'poisson' ? 'rate' : 'schedule'}, not a lane count)`,
  ].join('\n');
}

export function formatOpenLoopLevel(r: OpenLoopReport, tiers: readonly SloTier[], v: OpenLoopValidity): string {
  return `${formatArrivals(r, v)}\n${formatLevel(r, tiers)}`;
}

export function formatOpenLoopSweep(r: OpenLoopSweepResult, header: string[]): string {
  const unit = r.arrivals.swept === 'ratePerS' ? 'arrivals/s' : 'x recorded rate';
  const v = (x: number | null) => (x === null ? '-' : (x / RATE_STEPS).toString());
  // The search's notes name levels in its integer steps: say them as rates.
  const words = (s: string) => s.replace(/\blevels? (\d+)/g, (_, n: string) => `rate ${Number(n) / RATE_STEPS}`);
  const out = [...header, ''];
  out.push(
    renderTable(
      [r.arrivals.swept === 'ratePerS' ? 'rate /s' : 'rate x', 'valid', ...r.tiers.map((t) => `pass@${t.sloTokPerS}`), 'sessions', 'queue p99 ms', 'reasons'],
      r.openLoopLevels.map((l) => [String(l.load), l.valid ? 'yes' : 'NO', ...l.passRates.map((p) => (p === null ? '-' : `${(100 * p).toFixed(0)}%`)), String(l.sessions), ms(l.sendLagP99Ms), l.reasons.join('; ').slice(0, 80)]),
      { rule: false },
    ).trimEnd(),
    '',
  );
  for (const t of r.tiers) {
    out.push(
      `tier ${t.sloTokPerS} tok/s (TTFT <= ${t.ttftCeilingMs} ms), OPEN LOOP ${r.arrivals.mode}: highest passing ${v(t.nMax)} ${unit}, lowest failing ${v(t.minFailing)} ${unit}` +
        ` (bracket [${v(t.nMax)}, ${v(t.minFailing)}]${t.resolved ? '' : ', unresolved'}); binding ${t.bindingConstraint}${t.cliff ? '; CLIFF' : ''}${t.nonMonotone ? '; NON-MONOTONE' : ''}${t.notes.length ? `; ${words(t.notes.join('; '))}` : ''}`,
    );
  }
  out.push(`mode: open-loop ${r.arrivals.mode} arrivals (the figures above are arrival ${r.arrivals.swept === 'ratePerS' ? 'rates' : 'rate multipliers'}, not closed-loop agent counts); status ${r.status}${r.reasons.length ? `: ${words(r.reasons.join('; '))}` : ''}`);
  return out.join('\n');
}
