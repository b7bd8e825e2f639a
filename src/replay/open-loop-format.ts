/** Text for open-loop levels and sweeps: every figure says it came from open-loop arrivals. */
import { renderTable } from '../ui/index.js';
import { formatLevel } from './format.js';
import type { OpenLoopReport, OpenLoopValidity } from './open-loop.js';
import type { OpenLoopSweepResult } from './open-loop-session.js';
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
  const rec = r.arrivals.swept === 'rateMultiplier';
  const v = (x: number | null | undefined) => (x === null || x === undefined ? '-' : String(Math.round(x * 1000) / 1000));
  const out = [...header, ''];
  out.push(
    renderTable(
      ['arrival rate (req/s)', ...(rec ? ['x recorded'] : []), 'valid', ...r.tiers.map((t) => `pass@${t.sloTokPerS}`), 'sessions', 'queue p99 ms', 'reasons'],
      r.openLoopLevels.map((l) => [v(l.arrivalRatePerS), ...(rec ? [String(l.load)] : []), l.valid ? 'yes' : 'NO', ...l.passRates.map((p) => (p === null ? '-' : `${(100 * p).toFixed(0)}%`)), String(l.sessions), ms(l.sendLagP99Ms), l.reasons.join('; ').slice(0, 80)]),
      { rule: false },
    ).trimEnd(),
    '',
  );
  for (const t of r.tiers) {
    const a = t.arrivalRatePerS;
    const m = t.rateMultiplier ? ` (x${v(t.rateMultiplier.maxPassing)} / x${v(t.rateMultiplier.minFailing)} the recorded rate)` : '';
    out.push(
      `tier ${t.sloTokPerS} tok/s (TTFT <= ${t.ttftCeilingMs} ms), OPEN LOOP ${r.arrivals.mode}: highest passing arrival rate ${v(a.maxPassing)} req/s, lowest failing ${v(a.minFailing)} req/s${m}` +
        ` (bracket [${v(a.maxPassing)}, ${v(a.minFailing)}] req/s${t.resolved ? '' : ', unresolved'}); binding ${t.bindingConstraint}${t.cliff ? '; CLIFF' : ''}${t.nonMonotone ? '; NON-MONOTONE' : ''}${t.notes.length ? `; ${t.notes.join('; ')}` : ''}`,
    );
  }
  out.push(`mode: open-loop ${r.arrivals.mode} arrivals (the figures above are arrival rates, not closed-loop agent counts); status ${r.status}${r.reasons.length ? `: ${r.reasons.join('; ')}` : ''}`);
  return out.join('\n');
}
