/**
 * Clocks. Pure cores (sim engine, SLO evaluation, integrators, ledger) take a `Clock` so tests can
 * drive them with a `ManualClock` instead of real timers.
 */
import { onAbortOf } from './abort-group.js';
export interface Clock {
  /** Monotonic time in nanoseconds (process.hrtime.bigint() for the real clock). */
  nowNs(): bigint;
  /** Monotonic time in milliseconds, as a float. */
  nowMs(): number;
}

export const monotonicClock: Clock = {
  nowNs: () => process.hrtime.bigint(),
  nowMs: () => Number(process.hrtime.bigint()) / 1e6,
};

/** A clock that only moves when told to: for tests and virtual-time runs. */
export class ManualClock implements Clock {
  private ns: bigint;
  constructor(startMs = 0) {
    this.ns = BigInt(Math.round(startMs * 1e6));
  }
  nowNs(): bigint {
    return this.ns;
  }
  nowMs(): number {
    return Number(this.ns) / 1e6;
  }
  advanceMs(ms: number): void {
    this.ns += BigInt(Math.round(ms * 1e6));
  }
  setMs(ms: number): void {
    this.ns = BigInt(Math.round(ms * 1e6));
  }
}

/** Pairs a monotonic reading with wall-clock time so stored nanoseconds can be placed in calendar time. */
export interface ClockAnchor {
  monotonicNs: string;
  wallClockMs: number;
}

export function clockAnchor(clock: Clock = monotonicClock): ClockAnchor {
  return { monotonicNs: clock.nowNs().toString(), wallClockMs: Date.now() };
}

/**
 * Wait `ms`, or less if `signal` aborts first (it resolves either way: the caller checks the signal).
 * The signal is listened to through onAbortOf: thousands of lanes sleep on one level signal, and
 * EventTarget's add/remove walk its whole listener list (O(sleepers) per sleep).
 */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let unsubscribe: (() => void) | null = null;
    const done = () => {
      clearTimeout(t);
      unsubscribe?.();
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    if (signal) unsubscribe = onAbortOf(signal, done);
  });
