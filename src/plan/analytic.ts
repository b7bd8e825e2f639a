/**
 * The back-of-envelope capacity a sweep should land near (the same estimate the replay
 * integration test checks a real sweep against): the largest steady batch whose per-sequence
 * decode rate, from the profile's step-time model at the trajectories' mean context, stays at or
 * above the floor, divided by the requests an agent has in flight at that speed (its duty cycle).
 * It ignores queueing, batch fluctuation and prefill, so real boundaries fall below it.
 */
import { mean } from '../core/index.js';
import { dutyCycle, type Trajectory } from '../trajectory/index.js';
import { predictDecodeTokPerS, type SimProfile } from '../sim/index.js';

export interface AnalyticCapacity {
  floorTokPerS: number;
  /** Largest batch per replica whose model decode rate is >= the floor. */
  batch: number;
  /** Mean root-agent prompt tokens (the KV context per sequence the estimate assumes). */
  kvTokensPerSeq: number;
  /** Requests in flight per agent at the floor speed (mean over trajectories). */
  inFlightPerAgent: number;
  /** batch x replicas / inFlightPerAgent. */
  agents: number;
}

export function analyticCapacity(profile: SimProfile, trajectories: readonly Trajectory[], floorTokPerS: number, opts: { replicas?: number; toolTimeScale?: number; maxIdleGapMs?: number | null } = {}): AnalyticCapacity {
  const kv = mean(trajectories.flatMap((t) => t.agents[0].steps.filter((s) => s.type === 'llm').map((s) => (s as { input_tokens: number }).input_tokens)));
  let batch = 0;
  while (batch < profile.scheduler.maxNumSeqs && predictDecodeTokPerS(profile, { batch: batch + 1, kvTokensPerSeq: kv }) >= floorTokPerS) batch++;
  const inFlight = mean(trajectories.map((t) => dutyCycle(t, { assumedDecodeTokPerS: floorTokPerS, assumedPrefillTokPerS: 1e6, toolTimeScale: opts.toolTimeScale ?? 1, maxGapMs: opts.maxIdleGapMs ?? undefined }).meanInFlightRequests));
  const replicas = Math.max(1, Math.floor(opts.replicas ?? 1));
  return { floorTokPerS, batch, kvTokensPerSeq: kv, inFlightPerAgent: inFlight, agents: inFlight > 0 ? (batch * replicas) / inFlight : Infinity };
}
