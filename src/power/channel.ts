/**
 * A channel that keeps readings in memory and integrates them on demand. Sources feed it either by
 * polling (`poll` every `periodMs`, plus one read at each window() call so counters have a read at
 * the window's end) or by pushing (`push`, for long-lived child processes). Time is the process's
 * monotonic clock in ms (process.hrtime.bigint() / 1e6), the clock the sweep uses for its windows.
 */
import { monotonicClock, type Clock } from '../core/index.js';
import { integrate, type IntegrateOptions, type ReadingKind, type Sample } from './integrate.js';
import type { PowerChannel, PowerSourceInfo, WindowPower } from './types.js';

export interface ChannelOptions {
  info: PowerSourceInfo;
  kind: ReadingKind;
  integrate?: IntegrateOptions;
  /** One read: a value (W or J, already converted), null for "invalid value now", undefined for "nothing new". */
  poll?: () => Promise<number | null | undefined>;
  periodMs?: number;
  /** Extra flags computed at window time (e.g. stale exporter values). */
  extraFlags?: (startMs: number, endMs: number, samples: readonly Sample[]) => string[];
  onStart?: (ch: SampledChannel) => Promise<void>;
  onStop?: () => Promise<void>;
  clock?: Clock;
  /** Samples to keep at most (oldest dropped). Default 2e6 (~5 days at 4 Hz). */
  maxSamples?: number;
  windowRule?: string;
}

/** Thermal/load settling check (research/power.md 3.4): flag > 5 % between first and last third. */
const DRIFT_FLAG = 0.05;
const DRIFT_MIN_WINDOW_MS = 30_000;

export class SampledChannel implements PowerChannel {
  readonly samples: Sample[] = [];
  invalid = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private running = false;
  private lastPollError: string | null = null;
  readonly clock: Clock;
  /** Every accepted reading, for callers that persist traces (power record). */
  onSample?: (s: Sample) => void;

  constructor(readonly opts: ChannelOptions) {
    this.clock = opts.clock ?? monotonicClock;
  }

  info(): PowerSourceInfo {
    return { ...this.opts.info, readingKind: this.opts.kind };
  }

  /** Accept one reading; null/non-finite/negative values are counted as invalid and dropped. */
  push(value: number | null, tMs: number = this.clock.nowMs()): void {
    if (value === null || !Number.isFinite(value) || value < 0) {
      this.invalid++;
      return;
    }
    const s = { tMs, value };
    this.samples.push(s);
    if (this.samples.length > (this.opts.maxSamples ?? 2_000_000)) this.samples.shift();
    this.onSample?.(s);
  }

  /** One poll now (serialised: a slow source never has two reads in flight). */
  async pollNow(): Promise<void> {
    const poll = this.opts.poll;
    if (!poll) return;
    if (this.inFlight) return this.inFlight;
    this.inFlight = (async () => {
      try {
        const v = await poll();
        if (v !== undefined) this.push(v);
        this.lastPollError = null;
      } catch (e) {
        this.invalid++;
        this.lastPollError = e instanceof Error ? e.message : String(e);
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.opts.onStart) await this.opts.onStart(this);
    if (this.opts.poll) {
      await this.pollNow();
      if (this.lastPollError) {
        this.running = false;
        throw new Error(`${this.opts.info.source}: first read failed: ${this.lastPollError}`);
      }
      this.timer = setInterval(() => void this.pollNow(), this.opts.periodMs ?? 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight;
    if (this.opts.onStop) await this.opts.onStop();
  }

  async window(startNs: bigint, endNs: bigint): Promise<WindowPower> {
    const startMs = Number(startNs) / 1e6;
    const endMs = Number(endNs) / 1e6;
    // An edge read so a counter has a reading at (just after) the window's end.
    if (this.running && this.opts.poll && this.clock.nowMs() >= endMs) await this.pollNow();
    return this.windowMs(startMs, endMs, startNs.toString(), endNs.toString());
  }

  /** (last third - first third) / first third of mean power, or null for short windows / no data. */
  private drift(startMs: number, endMs: number): number | null {
    const third = (endMs - startMs) / 3;
    if (endMs - startMs < DRIFT_MIN_WINDOW_MS) return null;
    const a = integrate(this.opts.kind, this.samples, { startMs, endMs: startMs + third }, { ...this.opts.integrate, minSamples: 2 });
    const b = integrate(this.opts.kind, this.samples, { startMs: endMs - third, endMs }, { ...this.opts.integrate, minSamples: 2 });
    if (a.meanW === null || b.meanW === null || a.meanW <= 0) return null;
    return (b.meanW - a.meanW) / a.meanW;
  }

  /**
   * Power over time inside [startNs, endNs] for plotting (reports): power readings as they came;
   * an energy counter as the mean power between consecutive reads (resets skipped).
   */
  trace(startNs: bigint, endNs: bigint): { tNs: bigint; watts: number }[] {
    const a = Number(startNs) / 1e6;
    const b = Number(endNs) / 1e6;
    const out: { tNs: bigint; watts: number }[] = [];
    const ns = (ms: number) => BigInt(Math.round(ms * 1e6));
    // Counter reads closer than half a poll period (an edge read beside a periodic one) are merged:
    // dividing a counter step by a tiny interval would draw spikes that are not there.
    const minGapMs = (this.opts.periodMs ?? 1000) / 2;
    let prev: Sample | null = null;
    for (const s of this.samples) {
      if (s.tMs < a || s.tMs > b) {
        if (s.tMs < a) prev = s;
        continue;
      }
      if (this.opts.kind !== 'energy-counter') out.push({ tNs: ns(s.tMs), watts: s.value });
      else if (!prev || s.value < prev.value) prev = s;
      else if (s.tMs - prev.tMs >= minGapMs) {
        out.push({ tNs: ns(s.tMs), watts: ((s.value - prev.value) * 1000) / (s.tMs - prev.tMs) });
        prev = s;
      }
    }
    return out;
  }

  windowMs(startMs: number, endMs: number, startNs = String(Math.round(startMs * 1e6)), endNs = String(Math.round(endMs * 1e6))): WindowPower {
    const r = integrate(this.opts.kind, this.samples, { startMs, endMs }, this.opts.integrate);
    const flags = [...r.flags, ...(this.opts.extraFlags?.(startMs, endMs, this.samples) ?? [])];
    const drift = this.drift(startMs, endMs);
    if (drift !== null && Math.abs(drift) > DRIFT_FLAG) {
      flags.push(`mean power drifted ${(drift * 100).toFixed(1)} % from the first to the last third of the window (not settled?)`);
    }
    if (this.lastPollError) flags.push(`last read failed: ${this.lastPollError}`);
    const info = this.info();
    return {
      ...info,
      startNs,
      endNs,
      meanW: r.meanW,
      energyJ: r.energyJ,
      samples: r.samples,
      coverage: r.coverage,
      largestGapMs: r.largestGapMs,
      method: r.method,
      wraps: r.wraps,
      resets: r.resets,
      flags,
      tooSparse: r.tooSparse,
      spanMs: r.spanMs,
      invalidSamples: this.invalid,
      driftFirstVsLastThird: drift,
      minW: r.minW,
      maxW: r.maxW,
      windowRule:
        this.opts.windowRule ??
        (r.method === 'counter'
          ? 'counter read at ~1/period, interpolated linearly at both window edges'
          : r.method === 'trapezoid'
            ? 'trapezoid over samples inside the window, interpolated at both edges; gaps > limit not bridged'
            : 'left-open rectangles: each reading covers the interval before it, clipped to the window'),
    };
  }
}
