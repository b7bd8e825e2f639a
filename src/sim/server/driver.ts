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
  /** Real time lost to late timer wake-ups beyond the jitter allowance (host too busy), in ms. */
  lagMsTotal = 0;

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
    this.timer = setTimeout(() => this.loop(false), 0);
  }

  private loop(afterStep: boolean): void {
    this.timer = null;
    if (this.closed) return;
    const now = this.clock.nowMs();
    // Timer jitter (a fraction of a ms per step) must not add up: when we wake just after the
    // modelled end of the previous step, the next step starts at that end, not at the late wake-up.
    const prevEnd = this.engine.nextStepAtMs();
    const late = now - prevEnd;
    if (afterStep && late >= 2) this.lagMsTotal += late;
    const step = this.engine.step(late >= 0 && late < 2 ? prevEnd : now);
    if (!step) {
      // Work that could not be scheduled this instant (should not happen): retry soon, never spin.
      if (this.engine.hasWork()) this.timer = setTimeout(() => this.loop(false), 5);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const ev of step.events) {
        const l = this.listeners.get(ev.id);
        if (!l) continue;
        if (ev.finished) this.listeners.delete(ev.id);
        l(ev);
      }
      this.loop(true);
    }, Math.max(0, step.endMs - now));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
