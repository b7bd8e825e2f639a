/**
 * Drives a SimEngine in real time: runs steps back to back while there is work, sleeping (not
 * spinning) until each modelled step end, then hands the step's token events to listeners.
 */
import { monotonicClock, type Clock } from '../../core/index.js';
import { SimEngine, type SimRequest, type SimTokenEvent } from '../engine/engine.js';

export class RealtimeDriver {
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Map<string, (ev: SimTokenEvent) => void>();
  private closed = false;
  /** Watts of the step in flight, for /metrics. */

  constructor(
    readonly engine: SimEngine,
    readonly clock: Clock = monotonicClock,
  ) {
    engine.startAccounting(clock.nowMs());
  }

  submit(req: SimRequest, onEvent: (ev: SimTokenEvent) => void): void {
    this.engine.submit(req, this.clock.nowMs());
    this.listeners.set(req.id, onEvent);
    this.kick();
  }

  abort(id: string): void {
    this.listeners.delete(id);
    this.engine.abort(id);
  }

  private kick(): void {
    if (this.timer || this.closed) return;
    // Start on the next macrotask so requests arriving together join the same first step.
    this.timer = setTimeout(() => this.loop(), 0);
  }

  private loop(): void {
    this.timer = null;
    if (this.closed) return;
    const now = this.clock.nowMs();
    const step = this.engine.step(now);
    if (!step) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const ev of step.events) {
        const l = this.listeners.get(ev.id);
        if (!l) continue;
        if (ev.finished) this.listeners.delete(ev.id);
        l(ev);
      }
      this.loop();
    }, Math.max(0, step.endMs - now));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
