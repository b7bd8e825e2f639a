/** Tier specs (`--slo`) and the thresholds that make a verdict impossible (pure). */
import { AgentdynoError } from '../core/index.js';
import { interTokenPeriodMs } from './metrics.js';
import type { SloTier } from './judge.js';

/**
 * Highest floor the client can judge at all: its inter-token period (1000/floor ms) must be at
 * least 10x the 0.1 ms the hot path's stamps and a loaded event loop can be trusted to, i.e. 1 ms.
 * Above it a verdict would be noise, so the tier is refused rather than judged.
 */
export const MAX_RESOLVABLE_FLOOR_TOK_PER_S = 1000;

/**
 * Parse `--slo 20,60` (floors only, ceiling from `defaultTtftCeilingMs`) or `20:2000,60:1000`
 * (floor:ceilingMs). Returns tiers sorted by floor. Errors carry E_USAGE / E_USAGE_RANGE.
 */
export function parseSloTiers(spec: string, defaultTtftCeilingMs: number): SloTier[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = (what: string, code: 'E_USAGE' | 'E_USAGE_RANGE' = 'E_USAGE') =>
    new AgentdynoError(what, { code, where: '--slo', hint: 'Write tiers as 20,60 or 20:10000,60:5000 (floor tok/s:TTFT ceiling ms).' });
  if (!parts.length) throw bad(`--slo "${spec}" names no tier`);
  const tiers = parts.map((p) => {
    const [f, c] = p.split(':');
    const floor = Number(f);
    const ceiling = c === undefined ? defaultTtftCeilingMs : Number(c);
    if (!(floor > 0) || !Number.isFinite(floor)) throw bad(`tier "${p}": the floor must be a positive number of tokens/s`);
    if (!(ceiling > 0) || !Number.isFinite(ceiling)) throw bad(`tier "${p}": the TTFT ceiling must be a positive number of ms`);
    if (floor > MAX_RESOLVABLE_FLOOR_TOK_PER_S)
      throw bad(`tier "${p}": a floor of ${floor} tok/s means one token every ${interTokenPeriodMs(floor).toFixed(3)} ms, below what the client can resolve; the highest floor is ${MAX_RESOLVABLE_FLOOR_TOK_PER_S} tok/s`, 'E_USAGE_RANGE');
    return { sloTokPerS: floor, ttftCeilingMs: ceiling };
  });
  return tiers.sort((a, b) => a.sloTokPerS - b.sloTokPerS);
}
