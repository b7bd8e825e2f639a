/**
 * The Redis layout coordinator and worker processes share (one coordinator per Redis database:
 * use redis://HOST:PORT/DB to run several apart). Lists carry messages (RPUSH / BLPOP), keys with
 * a TTL carry heartbeats.
 */
import { performance } from 'node:perf_hooks';

export const KEY = {
  /** Everything worker processes say: hello, pong, their threads' protocol messages. */
  fromWorkers: 'agentdyno:from-workers',
  /** What the coordinator says to one worker process. */
  toWorker: (name: string) => `agentdyno:to-worker:${name}`,
  workerHeartbeat: (name: string) => `agentdyno:hb:worker:${name}`,
  coordinatorHeartbeat: (session: string) => `agentdyno:hb:coordinator:${session}`,
};

/** A heartbeat key lives this long; it is refreshed every HEARTBEAT_EVERY_MS. A worker silent past it is lost. */
export const HEARTBEAT_TTL_MS = 5000;
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Clocks: records are moved onto the coordinator's timebase by a monotonic-to-monotonic mapping
 * measured by round trips before every level (uncertainty: half the best round trip). The level is
 * refused when a mapping is that uncertain past CLOCK_UNCERTAINTY_MS, or when the workers' wall
 * clocks disagree by more than CLOCK_AGREEMENT_MS (machines not time-synced: their stored wall
 * anchors and power traces would not line up, and a drift between the per-level measurements could not be bounded).
 */
export const CLOCK_AGREEMENT_MS = 50;
export const CLOCK_UNCERTAINTY_MS = 25;

export type FromWorkerProcess =
  | { kind: 'hello'; name: string; version: string; threads: number; host: string; pid: number }
  | { kind: 'pong'; name: string; session: string; id: number; wallMs: number; monoNs: string }
  | { kind: 'thread'; name: string; session: string; t: number; m: string };

export type ToWorkerProcess =
  | { kind: 'welcome'; session: string }
  | { kind: 'ping'; id: number }
  | { kind: 'thread'; t: number; m: string }
  | { kind: 'bye' };

/** Wall clock in ms with sub-ms resolution; AGENTDYNO_TEST_CLOCK_SKEW_MS pushes it off (tests of the clock refusal). */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now() + Number(process.env.AGENTDYNO_TEST_CLOCK_SKEW_MS ?? 0);
}
