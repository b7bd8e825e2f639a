/**
 * The I/O edge of `results merge`: read shard runs out of one or several results databases, and
 * write the merged run (kind `replay-merged`) into the output database.
 */
import { AgentdynoError, newRunId } from '../core/index.js';
import { openStore, resolveDbPath, type RunRecord, type Store } from '../store/index.js';
import type { MergedLevel, ShardLevel, ShardRun } from './merge.js';
import type { ShardConfig } from './shard.js';
import type { WindowPower } from '../power/index.js';

function toShardRun(store: Store, run: RunRecord): ShardRun {
  const result = (run.result ?? {}) as { level?: ShardLevel; scaleOut?: { itlHdr?: string }; power?: WindowPower[] };
  return {
    runId: run.id,
    db: store.path,
    kind: run.kind,
    status: run.status,
    config: (run.config ?? {}) as Record<string, unknown>,
    target: (run.target ?? null) as Record<string, unknown> | null,
    clockAnchor: run.clockAnchor,
    level: result.level ?? null,
    itlHdr: result.scaleOut?.itlHdr ?? null,
    power: Array.isArray(result.power) ? result.power : [],
    requests: store.getRequests(run.id, { inWindow: true }).map((q) => ({ lane: q.lane, status: q.status, inWindow: q.inWindow, ttftMs: q.ttftMs, e2eMs: q.e2eMs, outputTokens: q.outputTokens })),
  };
}

const isShard = (r: RunRecord) => r.kind === 'replay' && !!(r.config as { shard?: unknown } | null)?.shard;
const experimentKey = (r: RunRecord) => {
  const s = (r.config as { shard: ShardConfig }).shard;
  return `N=${s.concurrencyTotal} K=${s.count} start-at ${s.startAt ?? 'none'}`;
};

/**
 * Shard runs by id (looked up in the `from` databases, else the default one), or with no ids every
 * completed shard run in the `from` databases, which must then form one experiment.
 */
export function loadShardRuns(ids: readonly string[], from: readonly string[]): ShardRun[] {
  const files = from.length ? [...new Set(from.map((f) => resolveDbPath(f)))] : [resolveDbPath()];
  const stores = files.map((f) => openStore(f, { mustExist: true, recover: false }));
  try {
    if (ids.length) {
      return ids.map((id) => {
        for (const s of stores) {
          const r = s.getRun(id);
          if (r) return toShardRun(s, r);
        }
        throw new AgentdynoError(`no run with id "${id}" in ${files.length > 1 ? 'any of the databases' : 'the database'}`, { code: 'E_RUN_NOT_FOUND', where: files.join(', '), hint: 'List runs with `agentdyno results list --db FILE`, or pass the shard databases with --from.' });
      });
    }
    if (!from.length) throw new AgentdynoError('name the shard runs (RUN_ID...) or their databases (--from FILE, repeatable)', { code: 'E_SHARD_MISMATCH', where: 'results merge', hint: 'e.g. agentdyno results merge --from shard0.db --from shard1.db --db merged.db' });
    const found: { store: Store; run: RunRecord }[] = [];
    for (const s of stores) for (const r of s.listRuns({ kind: 'replay', status: 'completed' })) if (isShard(r)) found.push({ store: s, run: r });
    if (!found.length) throw new AgentdynoError('no completed shard runs (replay --shard I/K) in the given databases', { code: 'E_SHARD_MISMATCH', where: files.join(', '), hint: 'Run `agentdyno replay --concurrency N --shard I/K --db FILE` on every shard first.' });
    const groups = new Map<string, string[]>();
    for (const f of found) groups.set(experimentKey(f.run), [...(groups.get(experimentKey(f.run)) ?? []), f.run.id]);
    if (groups.size > 1) {
      throw new AgentdynoError(`the databases hold shard runs of ${groups.size} different experiments (${[...groups.entries()].map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')})`, { code: 'E_SHARD_MISMATCH', where: files.join(', '),
        hint: 'Name the runs to merge: agentdyno results merge RUN_ID... --from FILE...',
      });
    }
    return found.map((f) => toShardRun(f.store, f.run));
  } finally {
    for (const s of stores) s.close();
  }
}

/** Store the merged level as a `replay-merged` run (config names the shard runs, files and clock anchors), one sweep point per tier. */
export function writeMergedRun(dbPath: string | undefined, merged: MergedLevel, shards: readonly ShardRun[]): { runId: string; db: string } {
  const store = openStore(dbPath);
  try {
    const runId = newRunId('replay-merged');
    const c0 = shards[0].config;
    const config = {
      kind: 'replay-merged',
      concurrency: merged.concurrency,
      shardCount: merged.shardCount,
      startAt: merged.startAt,
      tiers: c0.tiers,
      slo: c0.slo,
      level: c0.level,
      validity: c0.validity,
      trajectories: c0.trajectories,
      trajectoryCount: c0.trajectoryCount,
      shards: merged.shards.map((s) => ({ index: s.index, runId: s.runId, db: s.db, clockAnchor: s.clockAnchor, windowStartWallMs: s.windowStartWallMs, windowEndWallMs: s.windowEndWallMs, startOffsetMs: s.startOffsetMs })),
    };
    store.createRun({ id: runId, kind: 'replay-merged', config, target: shards[0].target ?? undefined });
    store.insertSweepPoints(
      runId,
      merged.tiers.map((t) => ({
        level: merged.concurrency,
        tierTokPerS: t.sloTokPerS,
        ttftCeilingMs: t.ttftCeilingMs,
        passRate: t.passRate,
        agentsActive: t.agentsActive,
        agentsPassing: t.agentsMeeting,
        valid: merged.valid,
        reasons: merged.reasons,
        outputTokPerS: merged.outputTokPerS,
        meanPowerW: merged.power[0]?.window.meanW ?? null,
        detail: { merged: true, shards: t.byShard, bindingConstraint: t.bindingConstraint, callFailures: t.callFailures, errors: merged.errors },
      })),
    );
    store.finishRun(runId, 'completed', merged);
    return { runId, db: store.path };
  } finally {
    store.close();
  }
}
