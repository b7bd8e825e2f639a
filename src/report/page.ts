/**
 * The content of a report, independent of its output format: sections of text, key/value lists,
 * tables and charts (Vega-Lite specs). html.ts and markdown.ts both serialise the same Page, so
 * `--format md` says exactly what the HTML says.
 */
import type { TopLevelSpec } from 'vega-lite';

export type Cell = string | number | null;

export type Block =
  | { kind: 'text'; text: string; tone?: 'note' | 'warn' | 'simulated' }
  | { kind: 'kv'; pairs: [string, string][] }
  | { kind: 'table'; headers: string[]; rows: Cell[][]; caption?: string }
  | { kind: 'chart'; id: string; title: string; spec: TopLevelSpec; caption: string };

export interface Section {
  heading: string;
  blocks: Block[];
}

export interface Page {
  title: string;
  /** One line under the title: the run ids and kinds. */
  subtitle: string;
  /** Shown as a banner on every page drawn from simulated figures. */
  simulated: boolean;
  sections: Section[];
}

/** A chart id usable as a file name and HTML id. */
export function chartId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9]+/g, '-')).join('-').replace(/^-+|-+$/g, '').toLowerCase();
}

const trim = (v: number, d: number) => String(+v.toFixed(d));

/** Numbers for tables: '-' for null/NaN, thousands separators above 1000, else `digits` decimals. */
export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return trim(v, digits);
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : `${Math.round(v * 100)}%`;
}
