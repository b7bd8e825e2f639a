/**
 * Per-level state behind the live figures: the client's lag probe, the first power channel read in
 * the background (a tick never waits on a power source), and a cost cap so live judging takes at
 * most ~1 % of the client's time (it is skipped on ticks when the last one was expensive).
 */
import { monotonicClock } from '../core/index.js';
import type { LiveFigures } from '../ui/index.js';
import type { LevelLive } from './level.js';
import { LagProbe, liveFigures } from './live.js';
import type { SessionOptions } from './session.js';

export class LiveTicker {
  private readonly lag = new LagProbe();
  private readonly levelStartNs = monotonicClock.nowNs();
  private powerW: number | null = null;
  private energyJ: number | null = null;
  private reading = false;
  private nextAtMs = 0;
  private last: ReturnType<typeof liveFigures> | null = null;

  constructor(private readonly o: SessionOptions) {}

  tick(live: LevelLive, concurrency: number): { powerW: number | null; tiers: { passRate: number | null }[]; live?: LiveFigures } {
    const ch = this.o.target.power[0];
    if (ch && !this.reading) {
      this.reading = true;
      const now = monotonicClock.nowNs();
      // Mean power over the last 2 s, energy since the level started.
      Promise.all([ch.window(now - 2_000_000_000n, now), ch.window(this.levelStartNs, now)])
        .then(([recent, level]) => {
          this.powerW = recent.meanW;
          this.energyJ = level.energyJ;
        })
        .catch(() => undefined)
        .finally(() => (this.reading = false));
    }
    const clientLagP99Ms = this.lag.read();
    const t0 = performance.now();
    if (t0 >= this.nextAtMs) {
      this.last = liveFigures(
        { records: live.records ?? [], windowStartNs: live.windowStartNs ?? null, nowNs: monotonicClock.nowNs(), tiers: this.o.tiers, slo: this.o.slo, validity: this.o.validity, run: { concurrency, startNs: this.levelStartNs, contentMode: this.o.level.content ?? 'synthetic', api: this.o.level.api ?? 'chat', tokenModel: this.o.target.tokenModel } },
        { energyJ: this.energyJ, clientLagP99Ms },
      );
      this.nextAtMs = t0 + 100 * (performance.now() - t0);
    } else if (this.last) this.last = { ...this.last, live: { ...this.last.live, energyJ: this.energyJ, clientLagP99Ms } };
    return { powerW: this.powerW, tiers: this.last?.tiers ?? [], ...(this.last ? { live: this.last.live } : {}) };
  }

  stop(): void {
    this.lag.stop();
  }
}
