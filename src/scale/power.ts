/**
 * Power for a merged (sharded) level. Power belongs to the system under test, not to a shard: when
 * several shards measured the same channel (same source, field and boundary) it is one measurement
 * seen from several clients, so the lowest shard's window is used and the rest are named, never
 * summed. Different channels are listed side by side. agents/MW is N over the mean power of the
 * level's window, for tiers the merged level passes: a figure at this level, not a searched N_max.
 */
import { agentsPerMW, type AgentsPerMW, type WindowPower } from '../power/index.js';

export interface MergedPowerChannel {
  /** The shard whose window is used. */
  shard: number;
  /** Other shards that reported the same channel (not summed). */
  alsoReportedBy: number[];
  window: WindowPower;
  /** Per tier: agents/MW at N when the merged level passes that tier, else null with the reason. */
  tiers: { sloTokPerS: number; agentsPerMW: AgentsPerMW }[];
}

export function mergedPower(
  shards: readonly { index: number; power: readonly WindowPower[] }[],
  n: number,
  tiers: readonly { sloTokPerS: number; pass: boolean }[],
): MergedPowerChannel[] {
  const byKey = new Map<string, MergedPowerChannel>();
  for (const s of [...shards].sort((a, b) => a.index - b.index)) {
    for (const w of s.power) {
      const key = `${w.source}|${w.field ?? ''}|${w.boundary}`;
      const seen = byKey.get(key);
      if (seen) {
        seen.alsoReportedBy.push(s.index);
        continue;
      }
      byKey.set(key, {
        shard: s.index,
        alsoReportedBy: [],
        window: w,
        tiers: tiers.map((t) => {
          const a = agentsPerMW(t.pass ? n : null, w);
          return { sloTokPerS: t.sloTokPerS, agentsPerMW: t.pass ? a : { ...a, reason: `the merged level fails this tier at ${n} agents` } };
        }),
      });
    }
  }
  return [...byKey.values()];
}
