/**
 * `results compare A B`: agents/MW of two sweep runs side by side, tier by tier. A ratio is given
 * only when both figures exist and share a comparability class; simulated vs measured and
 * cross-boundary ratios are refused with the reason. Pure: takes the stored `result` objects.
 */
import { comparabilityRefusal } from './combine.js';

export interface CompareSide {
  agentsPerMW: number | null;
  comparabilityClass: string | null;
  simulated: boolean;
  boundary: string | null;
  reason?: string;
  /** Open-loop sweeps: the tier's bracket in arrival rate, req/s (no agents, so no agents/MW). */
  arrivalRatePerS?: { maxPassing: number | null; minFailing: number | null };
}

export interface CompareRow {
  tier: string;
  a: CompareSide | null;
  b: CompareSide | null;
  /** a / b, or null with `refused`. */
  ratio: number | null;
  refused?: string;
}

export interface CompareResult {
  a: string;
  b: string;
  rows: CompareRow[];
}

type Obj = Record<string, unknown>;

/** Tier identity: the sweep's SloTier (sloTokPerS + ttftCeilingMs), else a name, else the position. */
function tierKey(t: Obj, i: number): string {
  if (typeof t.sloTokPerS === 'number') return `${t.sloTokPerS} tok/s` + (typeof t.ttftCeilingMs === 'number' ? `, TTFT<=${t.ttftCeilingMs} ms` : '');
  const k = t.name ?? t.tier ?? t.id;
  return typeof k === 'string' || typeof k === 'number' ? String(k) : `tier ${i + 1}`;
}

function side(t: Obj): CompareSide {
  const apm = t.agentsPerMW as unknown;
  const power = (t.power ?? {}) as Obj;
  const obj = apm && typeof apm === 'object' ? (apm as Obj) : null;
  const value = typeof apm === 'number' ? apm : obj && typeof obj.value === 'number' ? obj.value : null;
  const cls = (power.comparabilityClass ?? obj?.comparabilityClass ?? null) as string | null;
  const simulated = Boolean(power.simulated ?? (obj ? obj.label === 'simulated' : false)) || cls === 'simulated';
  return {
    agentsPerMW: value,
    comparabilityClass: cls,
    simulated,
    boundary: (power.boundary ?? obj?.boundary ?? null) as string | null,
    reason: obj && typeof obj.reason === 'string' ? obj.reason : typeof t.agentsPerMWReason === 'string' ? t.agentsPerMWReason : undefined,
    ...(t.arrivalRatePerS && typeof t.arrivalRatePerS === 'object' ? { arrivalRatePerS: t.arrivalRatePerS as CompareSide['arrivalRatePerS'] } : {}),
  };
}

export function tiersOf(result: unknown, where: string): Obj[] {
  const tiers = (result as Obj | null)?.tiers;
  if (!Array.isArray(tiers)) throw new Error(`${where}: result has no tiers[] (is it a sweep run?)`);
  return tiers as Obj[];
}

export function compareRuns(a: { id: string; result: unknown }, b: { id: string; result: unknown }): CompareResult {
  const ta = tiersOf(a.result, `run ${a.id}`);
  const tb = tiersOf(b.result, `run ${b.id}`);
  const ma = new Map(ta.map((t, i) => [tierKey(t, i), side(t)]));
  const mb = new Map(tb.map((t, i) => [tierKey(t, i), side(t)]));
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  const rows = keys.map((tier): CompareRow => {
    const sa = ma.get(tier) ?? null;
    const sb = mb.get(tier) ?? null;
    if (!sa || !sb) return { tier, a: sa, b: sb, ratio: null, refused: `tier only in run ${sa ? a.id : b.id}` };
    const open = sa.arrivalRatePerS ? a.id : sb.arrivalRatePerS ? b.id : null;
    if (open) return { tier, a: sa, b: sb, ratio: null, refused: `run ${open} is an open-loop sweep: its bracket is an arrival rate (req/s), not agents, so it has no agents/MW to compare` };
    const why = comparabilityRefusal(
      { comparabilityClass: sa.comparabilityClass ?? undefined, simulated: sa.simulated },
      { comparabilityClass: sb.comparabilityClass ?? undefined, simulated: sb.simulated },
    );
    if (why) return { tier, a: sa, b: sb, ratio: null, refused: why };
    if (sa.agentsPerMW === null || sb.agentsPerMW === null || sb.agentsPerMW === 0) {
      return { tier, a: sa, b: sb, ratio: null, refused: `no agents/MW figure in run ${sa.agentsPerMW === null ? a.id : b.id}${(sa.agentsPerMW === null ? sa : sb).reason ? `: ${(sa.agentsPerMW === null ? sa : sb).reason}` : ''}` };
    }
    return { tier, a: sa, b: sb, ratio: sa.agentsPerMW / sb.agentsPerMW };
  });
  return { a: a.id, b: b.id, rows };
}
