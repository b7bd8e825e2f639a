import { createHash } from 'node:crypto';
import type { Episode, EpisodeEvent } from './types.js';

/** Statuses where the harness refused the proposal, so the workspace did not change. */
const REFUSED = new Set(['not_editable', 'invalid_proposal', 'agent_error', 'stop']);

function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`;
}
const hash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 16);

/**
 * The candidate each iteration evaluated: the hash of the cumulative workspace state (the engine
 * applies files and params on top of earlier ones), or, for a refused proposal, the proposal itself.
 * Iteration 0 is the untouched starting state.
 */
export function candidates(ep: Episode): Map<number, string> {
  const out = new Map<number, string>([[0, hash(stable({ files: {}, params: {} }))]]);
  const files: Record<string, string> = {};
  let params: Record<string, unknown> = {};
  for (const it of [...ep.iterations].sort((a, b) => a.iteration - b.iteration)) {
    const p = it.proposal;
    if (!p || p.kind !== 'change' || REFUSED.has(it.status)) {
      out.set(it.iteration, `refused:${hash(stable(p))}`);
      continue;
    }
    Object.assign(files, p.files ?? {});
    if (p.params) params = { ...params, ...p.params };
    out.set(it.iteration, hash(stable({ files, params })));
  }
  return out;
}

/** Which iteration's candidate the event describes (stale/delayed shaping shows an older one). */
export function sourceIteration(e: EpisodeEvent): number {
  const s = e.detail.sourceIteration;
  return typeof s === 'number' && s >= 0 ? s : e.iteration;
}

export const isPlaceholder = (e: EpisodeEvent) => typeof e.detail.sourceIteration === 'number' && (e.detail.sourceIteration as number) < 0;

/** True when the event reports its candidate as broken or not better (a verdict the agent should not ignore). */
export function reportsBadOutcome(e: EpisodeEvent): boolean {
  const d = e.detail;
  switch (e.kind) {
    case 'build_output':
    case 'check_result':
      return d.ok === false;
    case 'measurement':
      return d.improved === false;
    case 'verifier':
      return typeof d.reward === 'number' ? d.reward <= 0 : d.status !== undefined && d.status !== 'ok';
    case 'error':
      return !isPlaceholder(e);
    default:
      return false;
  }
}

/** Status of an iteration as stored; undefined for iteration 0 (the baseline). */
export function statusOf(ep: Episode, iteration: number): string | undefined {
  return ep.iterations.find((i) => i.iteration === iteration)?.status;
}
