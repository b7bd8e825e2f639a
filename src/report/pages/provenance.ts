/** Settings and provenance: simulated or measured, target, boundary, window, samples, version, host. */
import type { RunData } from '../data.js';
import { fmt, type Section } from '../page.js';

const str = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function provenanceSection(d: RunData): Section {
  const doc = d.doc;
  const p = doc.provenance;
  const t = p.target ?? {};
  const cfg = doc.config;
  const level = (cfg.level ?? {}) as Record<string, unknown>;
  const pairs: [string, string][] = [
    ['figures', p.simulated ? 'SIMULATED (built-in simulator or simulated power): illustrative, not a measurement of any hardware' : 'measured'],
    ['run', `${doc.id} (${doc.kind}), status ${doc.status}`],
    ['started / ended (UTC)', `${doc.startedAt} / ${doc.endedAt ?? '-'}`],
  ];
  if (t.url || t.model) pairs.push(['target', `${str(t.url)} model ${str(t.model)}${t.simProfile ? ` (sim profile ${str(t.simProfile)})` : ''}`]);
  if (level.windowS !== undefined) pairs.push(['window per level', `warm-up ${str(level.warmupS)} s, window ${str(level.windowS)} s, drain cap ${str(level.drainCapS)} s; history ${str(level.history)}; content ${str(level.content ?? 'synthetic')}; api ${str(level.api ?? 'chat')}; seed ${str(level.seed)}`]);
  if (cfg.slo) pairs.push(['SLO thresholds', str(cfg.slo)]);
  if (cfg.validity) pairs.push(['validity thresholds', str(cfg.validity)]);
  const calls = d.calls.reduce((a, c) => a + c.calls, 0);
  if (calls) pairs.push(['samples', `${calls.toLocaleString('en-US')} stored calls, ${d.calls.reduce((a, c) => a + c.windowOk, 0).toLocaleString('en-US')} completed window calls; ${d.trace.length.toLocaleString('en-US')} power readings drawn`]);
  const tr = cfg.trajectories;
  if (tr) pairs.push(['trajectories', `${str(cfg.trajectoryCount)} from ${Array.isArray(tr) ? tr.join(', ') : str(tr)}`]);
  pairs.push(['agentdyno', `${p.agentdynoVersion ?? '?'}${p.gitSha ? ` (git ${p.gitSha.slice(0, 12)})` : ''}`]);
  if (p.host) pairs.push(['host', `${p.host.hostname} ${p.host.platform}/${p.host.arch}, ${p.host.cpus} CPUs${p.host.cpuModel ? ` (${p.host.cpuModel})` : ''}, ${fmt(p.host.memoryBytes / 2 ** 30)} GiB, node ${p.host.nodeVersion}`]);
  pairs.push(['result format', 'agentdyno.run.v1 (schemas/run.v1.json)']);
  return { heading: 'Settings and provenance', blocks: [{ kind: 'kv', pairs }] };
}
