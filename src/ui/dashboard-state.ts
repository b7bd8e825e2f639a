/**
 * What `agentdyno dashboard` shows, folded from agentdyno.events.v1 events (pure): the live progress
 * state per run plus the pass-rate-vs-N points of the levels finished so far.
 */
import { fromFeedEvent, type FeedEvent } from './feeds/events.js';
import { initialProgressState, reduceProgress, type ProgressState } from './progress-state.js';
import { initialWorkState, reduceWork, type WorkState } from './work-state.js';

export interface RunRef {
  id: string;
  kind: string;
  status: string;
}

export interface FollowedRun {
  ref: RunRef;
  lastSeq: number;
  progress: ProgressState;
  /** Per tier (tok/s): [N, pass rate] of each finished level, in the order they ran. */
  curve: Record<string, [number, number][]>;
  /** A suite's tasks or a budget bench's policies (empty for a sweep or replay). */
  work: WorkState;
}

export function newFollowed(ref: RunRef): FollowedRun {
  return { ref, lastSeq: 0, progress: initialProgressState(), curve: {}, work: initialWorkState() };
}

export function applyEvents(r: FollowedRun, events: readonly FeedEvent[]): FollowedRun {
  let progress = r.progress;
  let curve = r.curve;
  let lastSeq = r.lastSeq;
  let work = r.work;
  for (const f of events) {
    if (f.seq <= lastSeq) continue;
    lastSeq = f.seq;
    const e = fromFeedEvent(f);
    progress = reduceProgress(progress, e);
    work = reduceWork(work, f);
    if (e.type === 'level-end') {
      curve = { ...curve };
      for (const t of e.tiers) if (t.passRate !== null) curve[String(t.sloTokPerS)] = [...(curve[String(t.sloTokPerS)] ?? []), [e.concurrency, t.passRate]];
    }
  }
  return { ...r, lastSeq, progress, curve, work };
}
