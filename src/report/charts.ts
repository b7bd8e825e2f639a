/**
 * Vega-Lite spec builders shared by the pages (pure: data in, spec out). Every spec carries its data
 * inline; marks use fixed colours so a printed page reads the same as the screen.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Quantiles } from './data.js';

export const COLORS = { pass: '#2a7d4f', fail: '#c0392b', bracket: '#f5b041', window: '#5dade2', warmup: '#f7dc6f', drain: '#d7bde2', idle: '#aab7b8', line: '#2e4053' };

type Spec = Record<string, unknown>;
const spec = (s: Spec): TopLevelSpec => ({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...s }) as unknown as TopLevelSpec;

export interface PassPoint {
  concurrency: number;
  passRate: number | null;
  valid: boolean;
  replicate: number;
}

/** Pass rate vs concurrency for one tier, with the bracket shaded, N_max and min failing ruled, the threshold dashed. */
/** `xTitle`: the axis (open-loop sweeps put the arrival rate in `concurrency`, titled so). */
export function passRateSpec(o: { points: PassPoint[]; nMax: number | null; minFailing: number | null; threshold: number; cliff: boolean; title: string; xTitle?: string }): TopLevelSpec {
  const pts = o.points.filter((p) => p.passRate !== null).map((p) => ({ ...p, validity: p.valid ? 'valid' : 'INVALID' }));
  const layers: Spec[] = [];
  if (o.nMax !== null && o.minFailing !== null) {
    layers.push({ data: { values: [{ a: o.nMax, b: o.minFailing }] }, mark: { type: 'rect', color: COLORS.bracket, opacity: 0.25 }, encoding: { x: { field: 'a', type: 'quantitative' }, x2: { field: 'b' } } });
  }
  layers.push({ data: { values: [{ y: o.threshold }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { field: 'y', type: 'quantitative' } } });
  layers.push({
    data: { values: pts },
    mark: { type: 'line', color: COLORS.line, point: false },
    encoding: { x: { field: 'concurrency', type: 'quantitative', title: o.xTitle ?? 'concurrent agents (N)' }, y: { field: 'passRate', type: 'quantitative', title: 'agents meeting the tier', scale: { domain: [0, 1] }, axis: { format: '%' } } },
  });
  layers.push({
    data: { values: pts },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'concurrency', type: 'quantitative' },
      y: { field: 'passRate', type: 'quantitative' },
      color: { field: 'validity', type: 'nominal', scale: { domain: ['valid', 'INVALID'], range: [COLORS.line, COLORS.fail] }, title: 'level' },
      tooltip: [{ field: 'concurrency' }, { field: 'passRate', format: '.0%' }, { field: 'validity' }, { field: 'replicate' }],
    },
  });
  const marks: { x: number; label: string; color: string }[] = [];
  if (o.nMax !== null) marks.push({ x: o.nMax, label: `${o.xTitle ? 'max passing' : 'N_max'} ${o.nMax}${o.cliff ? ' (CLIFF)' : ''}`, color: COLORS.pass });
  if (o.minFailing !== null) marks.push({ x: o.minFailing, label: `min failing ${o.minFailing}`, color: COLORS.fail });
  for (const m of marks) {
    layers.push({ data: { values: [m] }, mark: { type: 'rule', strokeWidth: 2, color: m.color }, encoding: { x: { field: 'x', type: 'quantitative' } } });
    layers.push({ data: { values: [m] }, mark: { type: 'text', color: m.color, align: 'left', dx: 4, dy: -4, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { datum: 0.05 }, text: { field: 'label' } } });
  }
  return spec({ title: o.title, width: 420, height: 220, layer: layers });
}

export interface ParetoPoint {
  concurrency: number;
  perAgentTokPerS: number;
  outputTokPerS: number;
  frontier: boolean;
  series?: string;
}

/** Points that no other point beats on both axes (ties count as beaten only when strictly worse on one). */
export function paretoFrontier<T extends { perAgentTokPerS: number; outputTokPerS: number }>(pts: readonly T[]): Set<T> {
  const front = new Set<T>();
  for (const p of pts) {
    const dominated = pts.some((q) => q !== p && q.perAgentTokPerS >= p.perAgentTokPerS && q.outputTokPerS >= p.outputTokPerS && (q.perAgentTokPerS > p.perAgentTokPerS || q.outputTokPerS > p.outputTokPerS));
    if (!dominated) front.add(p);
  }
  return front;
}

/** Throughput vs per-agent decode rate, one point per level, the Pareto frontier joined. */
export function paretoSpec(points: ParetoPoint[], title: string): TopLevelSpec {
  const series = points.some((p) => p.series);
  const front = points.filter((p) => p.frontier).sort((a, b) => a.perAgentTokPerS - b.perAgentTokPerS);
  const x = { field: 'perAgentTokPerS', type: 'quantitative', title: 'per-agent decode rate, tok/s (1000 / median TPOT)' };
  const y = { field: 'outputTokPerS', type: 'quantitative', title: 'output throughput, tok/s (window)' };
  return spec({
    title,
    width: 420,
    height: 260,
    layer: [
      { data: { values: front }, mark: { type: 'line', color: COLORS.pass, strokeDash: [6, 3] }, encoding: { x, y, ...(series ? { detail: { field: 'series' } } : {}) } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: { x, y, color: series ? { field: 'series', type: 'nominal', title: 'run' } : { field: 'frontier', type: 'nominal', title: 'Pareto frontier', scale: { domain: [true, false], range: [COLORS.pass, '#999'] } }, tooltip: [{ field: 'concurrency' }, { field: 'perAgentTokPerS', format: '.1f' }, { field: 'outputTokPerS', format: '.0f' }] },
      },
      { data: { values: points }, mark: { type: 'text', dy: -10, fontSize: 10 }, encoding: { x, y, text: { field: 'concurrency' } } },
    ],
  });
}

/** One box per level from stored quantiles: whiskers p5-p95, box p25-p75, tick at p50, dot at p99. */
export function distributionSpec(rows: { level: string; q: Quantiles }[], o: { title: string; unit: string; logY?: boolean }): TopLevelSpec {
  const values = rows.map((r) => ({ level: r.level, ...r.q }));
  const x = { field: 'level', type: 'ordinal', title: 'concurrent agents (level)', sort: null };
  const yScale = o.logY ? { type: 'log' } : { zero: false };
  return spec({
    title: o.title,
    width: Math.max(200, 60 * rows.length),
    height: 200,
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#555' }, encoding: { x, y: { field: 'p5', type: 'quantitative', title: o.unit, scale: yScale }, y2: { field: 'p95' } } },
      { mark: { type: 'bar', size: 18, color: COLORS.window }, encoding: { x, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' } } },
      { mark: { type: 'tick', color: '#111', size: 22, thickness: 2 }, encoding: { x, y: { field: 'p50', type: 'quantitative' } } },
      { mark: { type: 'point', color: COLORS.fail, filled: true, size: 30 }, encoding: { x, y: { field: 'p99', type: 'quantitative' }, tooltip: [{ field: 'level' }, { field: 'n', title: 'calls' }, { field: 'p50', format: '.2f' }, { field: 'p99', format: '.2f' }] } },
    ],
  });
}

export interface PhaseSpan {
  phase: 'idle' | 'warm-up' | 'window' | 'drain';
  startS: number;
  endS: number;
  label: string;
}

/** Power over time with the idle, warm-up, window and drain spans shaded. */
export function powerTraceSpec(trace: { channel: string; tS: number; watts: number }[], spans: PhaseSpan[], title: string): TopLevelSpec {
  const domain = ['idle', 'warm-up', 'window', 'drain'];
  return spec({
    title,
    width: 640,
    height: 220,
    layer: [
      {
        data: { values: spans },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: { x: { field: 'startS', type: 'quantitative', title: 'seconds since the first reading' }, x2: { field: 'endS' }, color: { field: 'phase', type: 'nominal', scale: { domain, range: [COLORS.idle, COLORS.warmup, COLORS.window, COLORS.drain] }, title: 'phase' }, tooltip: [{ field: 'label' }, { field: 'phase' }] },
      },
      {
        data: { values: trace },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x: { field: 'tS', type: 'quantitative' }, y: { field: 'watts', type: 'quantitative', title: 'power, W', scale: { zero: false } }, detail: { field: 'channel' }, stroke: { value: COLORS.line } },
      },
    ],
  });
}

/** Grouped bars: one group per category (level, policy, task), one bar per measure. */
export function groupedBarSpec(rows: { group: string; measure: string; value: number }[], o: { title: string; yTitle: string; rule?: { y: number; label: string } }): TopLevelSpec {
  const layers: Spec[] = [
    {
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: { x: { field: 'group', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } }, xOffset: { field: 'measure' }, y: { field: 'value', type: 'quantitative', title: o.yTitle }, color: { field: 'measure', type: 'nominal', title: null }, tooltip: [{ field: 'group' }, { field: 'measure' }, { field: 'value', format: '.3f' }] },
    },
  ];
  if (o.rule) layers.push({ data: { values: [o.rule] }, mark: { type: 'rule', strokeDash: [4, 3], color: COLORS.fail }, encoding: { y: { field: 'y', type: 'quantitative' } } });
  return spec({ title: o.title, width: Math.max(240, 90 * new Set(rows.map((r) => r.group)).size), height: 200, layer: layers });
}

/** Lines of (x, y) per series, with points. */
export function linesSpec(rows: { series: string; x: number; y: number }[], o: { title: string; xTitle: string; yTitle: string; yDomain?: [number, number] }): TopLevelSpec {
  return spec({
    title: o.title,
    width: 420,
    height: 220,
    data: { values: rows },
    mark: { type: 'line', point: { filled: true, size: 50 } },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}) },
      color: { field: 'series', type: 'nominal', title: null },
      tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y', format: '.3f' }],
    },
  });
}

/** Success (0/1, jittered) against a coordinate, the fitted logistic curve and its 95 % band. */
export function fitSpec(points: { x: number; success: number; jitter: number }[], band: { x: number; y: number; lo: number; hi: number }[], o: { title: string; xTitle: string }): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative', title: o.xTitle };
  return spec({
    title: o.title,
    width: 320,
    height: 220,
    layer: [
      { data: { values: band }, mark: { type: 'area', opacity: 0.25, color: COLORS.window }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'P(success)', scale: { domain: [-0.1, 1.1] } }, y2: { field: 'hi' } } },
      { data: { values: band }, mark: { type: 'line', color: COLORS.line, strokeWidth: 2 }, encoding: { x, y: { field: 'y', type: 'quantitative' } } },
      { data: { values: points }, mark: { type: 'point', filled: true, size: 40, opacity: 0.7 }, encoding: { x, y: { field: 'jitter', type: 'quantitative' }, color: { field: 'success', type: 'nominal', scale: { domain: [1, 0], range: [COLORS.pass, COLORS.fail] }, title: 'success' } } },
    ],
  });
}
