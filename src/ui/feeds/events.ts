/**
 * agentdyno.events.v1 (schemas/events.v1.json): one JSON object per line for every phase change,
 * level start and result, message, and (at most once per interval) the live figures. The same
 * objects go to `--events FILE|-` and to the store's live_events table (what `dashboard` follows).
 */
import fs from 'node:fs';
import type { ProgressEvent, ProgressSink } from '../types.js';

export const EVENTS_FORMAT = 'agentdyno.events.v1';

export type FeedEvent = ProgressEvent & { format: typeof EVENTS_FORMAT; seq: number; time: string; runId: string | null };

/** The ProgressEvent inside a feed event (what the live view folds). */
export function fromFeedEvent(f: FeedEvent): ProgressEvent {
  const { format: _f, seq: _s, time: _t, runId, ...rest } = f;
  const e = rest as ProgressEvent;
  return e.type === 'run-start' || e.type === 'run-end' ? ({ ...e, runId: runId ?? '' } as ProgressEvent) : e;
}

/**
 * Turns progress events into numbered feed events and hands each to `write`; live ticks at most
 * once per `intervalMs`. A failing writer is reported once and then ignored: a feed never stops a run.
 */
export class FeedSink implements ProgressSink {
  private seq = 0;
  private runId: string | null = null;
  private lastTickMs = Number.NEGATIVE_INFINITY;
  private failed = false;

  constructor(
    private readonly write: (e: FeedEvent) => void,
    private readonly opts: { intervalMs?: number; nowMs?: () => number; onError?: (e: Error) => void; close?: () => void } = {},
  ) {}

  emit(e: ProgressEvent): void {
    if (this.failed) return;
    if (e.type === 'run-start') this.runId = e.runId;
    // Live figures (a level's, a bench policy's trials) at most once per interval.
    if (e.type === 'level-tick' || e.type === 'policy-tick') {
      const now = (this.opts.nowMs ?? Date.now)();
      if (now - this.lastTickMs < (this.opts.intervalMs ?? 1000)) return;
      this.lastTickMs = now;
    }
    const { runId: _r, ...rest } = e as ProgressEvent & { runId?: string };
    const f = { format: EVENTS_FORMAT, seq: ++this.seq, time: new Date().toISOString(), runId: this.runId, ...rest } as FeedEvent;
    try {
      this.write(f);
    } catch (err) {
      this.failed = true;
      this.opts.onError?.(err as Error);
    }
  }

  close(): void {
    this.opts.close?.();
  }
}

/** NDJSON to a file ('-' = stdout), written synchronously so a crash loses at most the line in flight. */
export function ndjsonSink(target: string, opts: { intervalMs?: number; onError?: (e: Error) => void } = {}): FeedSink {
  const fd = target === '-' ? 1 : fs.openSync(target, 'w');
  return new FeedSink((e) => void fs.writeSync(fd, JSON.stringify(e) + '\n'), { ...opts, close: () => (fd === 1 ? undefined : fs.closeSync(fd)) });
}

/** Several sinks as one (the live view plus any feeds). */
export function teeSinks(...sinks: (ProgressSink | null | undefined)[]): ProgressSink {
  const list = sinks.filter((s): s is ProgressSink => !!s);
  return {
    emit: (e) => {
      for (const s of list) s.emit(e);
    },
    close: () => {
      for (const s of list) s.close();
    },
  };
}
