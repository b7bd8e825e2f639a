/**
 * What a report reads from the store for one run: the typed agentdyno.run.v1 document, plus the
 * stored rows a chart needs (per-call figures summarised per level, the power trace, loop iterations
 * and their feedback). Summaries are order statistics of stored values for drawing; nothing is
 * re-measured or re-judged here.
 */
import { percentileSorted } from '../core/index.js';
import { readRunDocument, type FeedbackEventRow, type LoopIterationRow, type RunDocument, type Store } from '../store/index.js';

/** Quantiles of one per-call figure over one level's window calls. */
export interface Quantiles {
  n: number;
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LevelCalls {
  level: number;
  /** Calls stored for the level, and of those the window calls that completed (what the quantiles cover). */
  calls: number;
  windowOk: number;
  errorsByClass: Record<string, number>;
  ttftMs: Quantiles | null;
  decodeTokPerS: Quantiles | null;
  itlP50Ms: Quantiles | null;
  itlP99Ms: Quantiles | null;
}

export interface TracePoint {
  channel: string;
  /** Seconds since the run's first stored reading or level start (see RunData.t0Ns). */
  tS: number;
  watts: number;
}

export interface RunData {
  doc: RunDocument;
  calls: LevelCalls[];
  trace: TracePoint[];
  /** The zero of every time axis: the earliest of the first power reading and the first level start. */
  t0Ns: bigint | null;
  /** Sweep points' phase times per level index (from their stored detail). */
  phases: { index: number; concurrency: number; levelStartNs: bigint | null; windowStartNs: bigint; windowEndNs: bigint; cutNs: bigint | null }[];
  iterations: LoopIterationRow[];
  feedback: FeedbackEventRow[];
  /** Suites: the loop runs of the tasks. */
  children: RunData[];
}

function quantiles(values: number[]): Quantiles | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const q = (p: number) => percentileSorted(s as unknown as number[], p);
  return { n: s.length, p5: q(5), p25: q(25), p50: q(50), p75: q(75), p95: q(95), p99: q(99), max: s[s.length - 1] };
}

/** One pass over the run's stored calls (streamed: 100k rows never sit in memory as objects). */
export function levelCalls(store: Store, runId: string): LevelCalls[] {
  const by = new Map<number, { calls: number; ok: number; errors: Record<string, number>; ttft: number[]; decode: number[]; itl50: number[]; itl99: number[] }>();
  for (const [level, inWindow, status, errorClass, ttft, decode, itl50, itl99] of store.iterateRequestFigures(runId)) {
    let b = by.get(level);
    if (!b) by.set(level, (b = { calls: 0, ok: 0, errors: {}, ttft: [], decode: [], itl50: [], itl99: [] }));
    b.calls++;
    if (!inWindow) continue;
    if (status !== 'ok') {
      // Calls cut at the end of the drain are judged on what arrived (evaluate.ts): not errors.
      const k = errorClass === 'aborted' ? 'cut at drain (not an error)' : (errorClass ?? status);
      b.errors[k] = (b.errors[k] ?? 0) + 1;
      continue;
    }
    b.ok++;
    if (ttft !== null) b.ttft.push(ttft);
    if (decode !== null) b.decode.push(decode);
    if (itl50 !== null) b.itl50.push(itl50);
    if (itl99 !== null) b.itl99.push(itl99);
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([level, b]) => ({ level, calls: b.calls, windowOk: b.ok, errorsByClass: b.errors, ttftMs: quantiles(b.ttft), decodeTokPerS: quantiles(b.decode), itlP50Ms: quantiles(b.itl50), itlP99Ms: quantiles(b.itl99) }));
}

/** At most `max` points per channel: the mean of each run of consecutive readings (keeps the shape of long traces). */
function thin(points: { channel: string; tNs: bigint; watts: number }[], max: number): typeof points {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out: typeof points = [];
  for (let i = 0; i < points.length; i += k) {
    const run = points.slice(i, i + k);
    out.push({ channel: run[0].channel, tNs: run[Math.floor(run.length / 2)].tNs, watts: run.reduce((a, p) => a + p.watts, 0) / run.length });
  }
  return out;
}

const big = (v: unknown): bigint | null => (typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : null);

export function loadRun(store: Store, id: string, opts: { children?: boolean } = {}): RunData {
  const doc = readRunDocument(store, id);
  const data: RunData = { doc, calls: [], trace: [], t0Ns: null, phases: [], iterations: [], feedback: [], children: [] };
  if (doc.kind === 'sweep' || doc.kind === 'replay') {
    data.calls = levelCalls(store, id);
    const pts = store.getSweepPoints(id);
    const seen = new Set<number>();
    const levels = doc.kind === 'sweep' ? ((doc.result as { levels?: { index: number; concurrency: number; report: { windowStartNs: string; windowEndNs: string } }[] } | null)?.levels ?? []) : [];
    for (const l of levels) {
      if (seen.has(l.index)) continue;
      seen.add(l.index);
      const d = pts.find((p) => (p.detail as { index?: number } | null)?.index === l.index)?.detail as { levelStartNs?: string; cutNs?: string } | undefined;
      data.phases.push({ index: l.index, concurrency: l.concurrency, levelStartNs: big(d?.levelStartNs), windowStartNs: BigInt(l.report.windowStartNs), windowEndNs: BigInt(l.report.windowEndNs), cutNs: big(d?.cutNs) });
    }
    if (doc.kind === 'replay' && doc.result && 'level' in doc.result) {
      const r = doc.result.level;
      data.phases.push({ index: 0, concurrency: r.concurrency, levelStartNs: null, windowStartNs: BigInt(r.windowStartNs), windowEndNs: BigInt(r.windowEndNs), cutNs: null });
    }
  }
  if (doc.kind === 'sweep' || doc.kind === 'replay' || doc.kind === 'power-record') {
    const raw = store.getPowerSamples(id).filter((s) => s.kind === 'power_w' || s.kind === 'power-instant' || s.kind === 'power-interval-avg' || s.kind === 'constant');
    const byChannel = new Map<string, { channel: string; tNs: bigint; watts: number }[]>();
    for (const s of raw) {
      const list = byChannel.get(s.channel) ?? [];
      list.push({ channel: s.channel, tNs: s.tNs, watts: s.value });
      byChannel.set(s.channel, list);
    }
    const starts = [...data.phases.map((p) => p.levelStartNs ?? p.windowStartNs), ...raw.map((s) => s.tNs)];
    const idle = (doc.kind === 'sweep' ? (doc.result as { idlePower?: { startNs: string }[] } | null)?.idlePower?.[0]?.startNs : undefined) ?? null;
    if (idle) starts.push(BigInt(idle));
    data.t0Ns = starts.length ? starts.reduce((a, b) => (b < a ? b : a)) : null;
    const t0 = data.t0Ns ?? 0n;
    for (const list of byChannel.values()) for (const p of thin(list, 4000)) data.trace.push({ channel: p.channel, tS: Number(p.tNs - t0) / 1e9, watts: p.watts });
  }
  if (doc.kind === 'loop') {
    data.iterations = store.getLoopIterations(id);
    data.feedback = store.getFeedbackEvents(id);
  }
  if (doc.kind === 'suite' && opts.children !== false && doc.result && 'tasks' in doc.result) {
    for (const t of doc.result.tasks) if (t.runId && store.getRun(t.runId)) data.children.push(loadRun(store, t.runId));
  }
  return data;
}
