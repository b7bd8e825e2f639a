/**
 * Sums over boundaries, agents/MW and the comparability rules (research/power.md 4.1, 4.5). Pure.
 * A sum is allowed only over disjoint boundaries (different hosts, or GPU boards + CPU packages +
 * DRAM of one host); a node/facility figure contains the parts measured inside it, provisioned
 * power is never added to measured power, and simulated never to real.
 */
import { AgentdynoError } from '../core/index.js';
import { agentsPerMW as agentsPerMWOf } from '../slo/index.js';
import type { ComparabilityClass, PowerSourceInfo, WindowPower } from './types.js';

/** Why two boundaries overlap (or may), or null when they are disjoint. */
export function overlapReason(a: PowerSourceInfo, b: PowerSourceInfo): string | null {
  const name = (x: PowerSourceInfo) => `${x.source} (${x.boundaryKind ?? 'unknown boundary'}${x.host ? ` on ${x.host}` : ''})`;
  const ak = a.boundaryKind;
  const bk = b.boundaryKind;
  if (!ak || !bk || ak === 'user' || bk === 'user') {
    return `${name(a)} + ${name(b)}: a boundary is undeclared, so overlap cannot be ruled out; declare boundary=gpu-board|cpu-package|dram|node|facility`;
  }
  if (a.simulated !== b.simulated) return `${name(a)} + ${name(b)}: simulated power is never added to measured power`;
  if ((ak === 'provisioned') !== (bk === 'provisioned')) return `${name(a)} + ${name(b)}: provisioned (declared) power is never added to measured power`;
  if (ak === 'facility' || bk === 'facility') return `${name(a)} + ${name(b)}: a facility/wall boundary already contains everything behind it`;
  const sameHost = (a.host ?? '?') === (b.host ?? '?');
  if (!sameHost) return null;
  if (ak === 'node' || bk === 'node') return `${name(a)} + ${name(b)}: the node boundary already contains the ${ak === 'node' ? bk : ak} of the same host`;
  if (ak !== bk) return null; // gpu-board vs cpu-package vs dram of one host are disjoint
  const da = a.devices ?? [];
  const db = b.devices ?? [];
  if (da.length === 0 || db.length === 0) return `${name(a)} + ${name(b)}: same boundary kind on the same host and the devices are not listed`;
  const shared = da.filter((d) => db.includes(d));
  return shared.length ? `${name(a)} + ${name(b)}: both include ${shared.join(', ')}` : null;
}

function sumClass(ws: readonly WindowPower[]): ComparabilityClass {
  const cls = [...new Set(ws.map((w) => w.comparabilityClass))].sort();
  return cls.length === 1 ? cls[0] : (`sum:${cls.join('+')}` as ComparabilityClass);
}

/** Adds windows without checking boundaries (internal: zones of one RAPL source). */
export function sumWindows(ws: readonly WindowPower[]): WindowPower {
  if (ws.length === 0) throw new Error('sumWindows: no windows');
  if (ws.length === 1) return ws[0];
  const anyNull = (k: 'meanW' | 'energyJ') => ws.some((w) => w[k] === null);
  const methods = [...new Set(ws.map((w) => w.method))];
  const first = ws[0];
  return {
    ...first,
    source: [...new Set(ws.map((w) => w.source))].join('+'),
    boundary: ws.map((w) => w.boundary).join(' + '),
    includes: ws.flatMap((w) => w.includes ?? []),
    excludes: [...new Set(ws.flatMap((w) => w.excludes ?? []))],
    field: [...new Set(ws.map((w) => w.field ?? '?'))].join(' + '),
    statedAccuracy: [...new Set(ws.map((w) => w.statedAccuracy ?? 'unknown'))].join('; '),
    comparabilityClass: sumClass(ws),
    simulated: ws.some((w) => w.simulated),
    devices: ws.flatMap((w) => w.devices ?? []),
    meanW: anyNull('meanW') ? null : ws.reduce((s, w) => s + (w.meanW as number), 0),
    energyJ: anyNull('energyJ') ? null : ws.reduce((s, w) => s + (w.energyJ as number), 0),
    samples: ws.reduce((s, w) => s + w.samples, 0),
    coverage: Math.min(...ws.map((w) => w.coverage)),
    largestGapMs: Math.max(...ws.map((w) => w.largestGapMs)),
    method: methods.length === 1 ? methods[0] : first.method,
    wraps: ws.reduce((s, w) => s + (w.wraps ?? 0), 0),
    resets: ws.reduce((s, w) => s + (w.resets ?? 0), 0),
    flags: ws.flatMap((w) => w.flags.map((f) => `${w.source}${w.devices?.length ? `[${w.devices.join(',')}]` : ''}: ${f}`)),
    tooSparse: ws.some((w) => w.tooSparse),
    invalidSamples: ws.reduce((s, w) => s + (w.invalidSamples ?? 0), 0),
    minW: null,
    maxW: null,
    windowRule: [...new Set(ws.map((w) => w.windowRule ?? ''))].filter(Boolean).join('; '),
  };
}

/** Sum windows of several channels over the same window, refusing overlapping boundaries. */
export function combineWindows(ws: readonly WindowPower[]): WindowPower {
  for (let i = 0; i < ws.length; i++) {
    for (let j = i + 1; j < ws.length; j++) {
      const r = overlapReason(ws[i], ws[j]);
      if (r) {
        throw new AgentdynoError(`refusing to add power over overlapping boundaries: ${r}.`, { code: 'E_POWER_SOURCE', where: '--power',
          hint: 'Keep one --power per boundary (e.g. the node BMC alone, or GPU boards + CPU packages), or report them separately.',
        });
      }
    }
  }
  return sumWindows(ws);
}

export interface AgentsPerMW {
  /** Agents per MW of mean power over the window, or null (see reason). */
  value: number | null;
  reason?: string;
  agents: number | null;
  meanW: number | null;
  energyJ: number | null;
  /** Idle power measured separately and reported beside, never subtracted. */
  idleW?: number | null;
  label: 'measured' | 'simulated' | 'provisioned';
  comparabilityClass: ComparabilityClass;
  boundary: string;
  includes: string[];
  excludes: string[];
  source: string;
  field?: string;
  samples: number;
  coverage: number;
  largestGapMs: number;
  wraps: number;
  resets: number;
  statedAccuracy?: string;
  method: WindowPower['method'];
  windowRule?: string;
  clockRule?: string;
  flags: string[];
}

export function agentsPerMW(nMax: number | null, w: WindowPower, opts: { idle?: WindowPower } = {}): AgentsPerMW {
  const label = w.simulated ? 'simulated' : w.comparabilityClass === 'provisioned' ? 'provisioned' : 'measured';
  let value: number | null = null;
  let reason: string | undefined;
  if (nMax === null || !(nMax >= 0)) reason = 'no passing concurrency level';
  else if (w.tooSparse) reason = `power data too sparse: ${w.flags.join('; ') || 'see flags'}`;
  else if (w.meanW === null || !(w.meanW > 0)) reason = 'no mean power for the window';
  else value = agentsPerMWOf(nMax, w.meanW);
  return {
    value,
    reason,
    agents: nMax,
    meanW: w.meanW,
    energyJ: w.energyJ,
    idleW: opts.idle ? opts.idle.meanW : undefined,
    label,
    comparabilityClass: w.comparabilityClass,
    boundary: w.boundary,
    includes: w.includes ?? [],
    excludes: w.excludes ?? [],
    source: w.source,
    field: w.field,
    samples: w.samples,
    coverage: w.coverage,
    largestGapMs: w.largestGapMs,
    wraps: w.wraps ?? 0,
    resets: w.resets ?? 0,
    statedAccuracy: w.statedAccuracy,
    method: w.method,
    windowRule: w.windowRule,
    clockRule: w.clockRule,
    flags: w.flags,
  };
}

/** Why two agents/MW figures must not be put in one ratio, or null when they may. */
export function comparabilityRefusal(a: { comparabilityClass?: string; simulated?: boolean; label?: string }, b: { comparabilityClass?: string; simulated?: boolean; label?: string }): string | null {
  const simA = a.simulated ?? (a.label === 'simulated' || a.comparabilityClass === 'simulated');
  const simB = b.simulated ?? (b.label === 'simulated' || b.comparabilityClass === 'simulated');
  if (simA !== simB) return 'one figure is simulated and the other measured: a simulated figure says nothing about hardware';
  if (!a.comparabilityClass || !b.comparabilityClass) return 'a figure has no comparability class (power boundary unknown)';
  if (a.comparabilityClass !== b.comparabilityClass) {
    return `different power boundaries: "${a.comparabilityClass}" vs "${b.comparabilityClass}" (e.g. GPU-board power leaves out CPUs, fans and PSU loss that a node figure includes)`;
  }
  if (a.comparabilityClass === 'user-declared') return 'both boundaries are user-declared: agentdyno cannot tell that they are the same (declare class=gpu-board|cpu-package|node-dc|facility in the --power spec)';
  return null;
}
