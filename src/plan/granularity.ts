/**
 * KV accounting granularity for the planner. The engine's cost is per KV block of every prompt
 * (prefix match, reference, release), so at 10^4 agents with 30k-token contexts the block size
 * sets the simulation's speed; coarser blocks keep the capacity in tokens and round prefix hits.
 */
import type { Trajectory } from '../trajectory/index.js';
import type { SimProfile } from '../sim/index.js';

/**
 * The profile as the planner runs it: KV accounted in blocks of `kvBlockTokens` (rounded to a
 * multiple of the profile's block size), with the same capacity in tokens.
 */
export function planningProfile(profile: SimProfile, kvBlockTokens?: number): SimProfile {
  const bs = profile.kvCache.blockSize;
  if (!kvBlockTokens || kvBlockTokens <= bs) return profile;
  const k = Math.max(1, Math.round(kvBlockTokens / bs));
  if (k === 1) return profile;
  return { ...profile, kvCache: { ...profile.kvCache, blockSize: bs * k, numBlocks: Math.max(1, Math.floor(profile.kvCache.numBlocks / k)) } };
}

/**
 * A KV block size for the planner that keeps the mean prompt under `maxBlocksPerPrompt` blocks:
 * the profile's own when it already does, else the smallest multiple of it that does.
 */
export function autoKvBlockTokens(profile: SimProfile, trajectories: readonly Trajectory[], maxBlocksPerPrompt = 512): number {
  let sum = 0;
  let n = 0;
  for (const t of trajectories) for (const a of t.agents) for (const s of a.steps) if (s.type === 'llm') (sum += s.input_tokens), n++;
  const bs = profile.kvCache.blockSize;
  if (!n) return bs;
  return bs * Math.max(1, Math.ceil(sum / n / (maxBlocksPerPrompt * bs)));
}

