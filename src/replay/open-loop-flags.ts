/** Flags of open-loop replay (`--arrivals`), shared by `replay` and `sweep`, and their parsing. */
import { Flags } from '@oclif/core';
import { AgentdynoError } from '../core/index.js';
import { DEFAULT_OPEN_LOOP_VALIDITY } from './open-loop.js';
import type { OpenLoopSettings } from './open-loop-session.js';

export const openLoopFlags = {
  arrivals: Flags.string({
    description:
      'Open loop instead of N closed-loop lanes: sessions (or single calls, for request-level traces such as Mooncake) start at their recorded offsets (recorded, times --time-scale) or as a seeded Poisson process (poisson, --rate per second); each then runs as recorded. sweep --arrivals searches the highest rate (poisson) or rate multiplier (recorded) meeting each tier.',
    options: ['recorded', 'poisson'],
  }),
  rate: Flags.string({ description: 'Open loop, poisson: arrivals per second (sweep: the first rate tried).' }),
  'time-scale': Flags.string({ description: 'Open loop, recorded: multiply recorded arrival offsets (0.5 = twice as fast; sweep: its inverse is the first rate multiplier tried).' }),
  'arrival-unit': Flags.string({ description: 'What arrives: session (a trajectory tree), call (one llm step alone), auto (call for request-level traces, else session).', options: ['auto', 'session', 'call'], default: 'auto' }),
  'max-sessions': Flags.integer({ description: 'Open loop: sessions in flight past which arrivals are refused (counted; the level is then invalid).', default: 10_000 }),
  'max-arrival-lag-ms': Flags.string({ description: 'Open loop: client-side queueing (scheduled arrival -> first request sent) p99 above which a level is invalid.', default: String(DEFAULT_OPEN_LOOP_VALIDITY.maxArrivalLagP99Ms) }),
};

const pos = (raw: unknown, name: string): number | undefined => {
  if (raw === undefined || raw === null) return undefined;
  const v = Number(raw);
  if (!(v > 0) || !Number.isFinite(v)) throw new AgentdynoError(`--${name} must be a positive number (got "${String(raw)}")`, { code: 'E_USAGE', where: `--${name}` });
  return v;
};

/** Open-loop settings from the flags, or null for closed-loop lanes. */
export function openLoopSettings(f: Record<string, unknown>): OpenLoopSettings | null {
  const mode = f.arrivals;
  if (mode === undefined) {
    for (const k of ['rate', 'time-scale']) if (f[k] !== undefined) throw new AgentdynoError(`--${k} needs --arrivals`, { code: 'E_USAGE', where: `--${k}`, hint: 'Add --arrivals poisson (with --rate) or --arrivals recorded (with --time-scale).' });
    return null;
  }
  const ratePerS = pos(f.rate, 'rate');
  const timeScale = pos(f['time-scale'], 'time-scale');
  if (mode === 'poisson' && ratePerS === undefined) throw new AgentdynoError('--arrivals poisson needs --rate R (arrivals per second)', { code: 'E_USAGE', where: '--rate' });
  if (mode === 'poisson' && timeScale !== undefined) throw new AgentdynoError('--time-scale applies to --arrivals recorded, not poisson', { code: 'E_USAGE', where: '--time-scale' });
  if (mode === 'recorded' && ratePerS !== undefined) throw new AgentdynoError('--rate applies to --arrivals poisson; scale recorded arrivals with --time-scale', { code: 'E_USAGE', where: '--rate' });
  return {
    mode: mode === 'poisson' ? 'poisson' : 'recorded',
    ratePerS,
    timeScale,
    unit: f['arrival-unit'] === 'session' || f['arrival-unit'] === 'call' ? f['arrival-unit'] : 'auto',
    maxInFlightSessions: Number(f['max-sessions'] ?? 10_000),
    validity: { maxArrivalLagP99Ms: pos(f['max-arrival-lag-ms'], 'max-arrival-lag-ms') ?? DEFAULT_OPEN_LOOP_VALIDITY.maxArrivalLagP99Ms },
  };
}
