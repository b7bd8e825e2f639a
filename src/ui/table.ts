/** Plain-text tables for every command's human output (no colours, so they survive pipes and logs). */
export type Align = 'left' | 'right';

export interface TableOptions {
  /** Per column; defaults to right for cells that are all numeric-looking, left otherwise. */
  align?: readonly (Align | undefined)[];
  /** Two spaces by default. */
  gap?: string;
  /** Underline the header with dashes (default true). */
  rule?: boolean;
  /** Printed for null/undefined cells (default '-'). */
  empty?: string;
}

export type Cell = string | number | bigint | boolean | null | undefined;

const NUMERIC = /^[-+]?(\d[\d,_]*)(\.\d+)?(e[-+]?\d+)?\s*(%|x|W|ms|s|tok\/s)?$/i;

/** Display width: counts code points, treating combining marks as zero-width and CJK/emoji as two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 32 || (cp >= 0x7f && cp < 0xa0)) continue;
    if (cp >= 0x300 && cp <= 0x36f) continue;
    if (
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd)
    ) {
      w += 2;
    } else {
      w += 1;
    }
  }
  return w;
}

function pad(s: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

function cellText(c: Cell, empty: string): string {
  if (c === null || c === undefined) return empty;
  if (typeof c === 'number' && !Number.isFinite(c)) return empty;
  // Line breaks would break the grid.
  return String(c).replace(/\r?\n/g, ' ');
}

export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[], opts: TableOptions = {}): string {
  const empty = opts.empty ?? '-';
  const gap = opts.gap ?? '  ';
  const ncol = Math.max(headers.length, ...rows.map((r) => r.length));
  const text = rows.map((r) => Array.from({ length: ncol }, (_, i) => cellText(r[i], empty)));
  const head = Array.from({ length: ncol }, (_, i) => headers[i] ?? '');
  const align: Align[] = Array.from({ length: ncol }, (_, i) => {
    const given = opts.align?.[i];
    if (given) return given;
    const col = text.map((r) => r[i]).filter((s) => s !== empty && s !== '');
    return col.length > 0 && col.every((s) => NUMERIC.test(s)) ? 'right' : 'left';
  });
  const width = head.map((h, i) => Math.max(displayWidth(h), ...text.map((r) => displayWidth(r[i]))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, width[i], align[i])).join(gap).trimEnd();
  const out = [line(head)];
  if (opts.rule ?? true) out.push(width.map((w) => '-'.repeat(w)).join(gap));
  for (const r of text) out.push(line(r));
  return out.join('\n') + '\n';
}

/** Compact number for tables: 3 significant digits under 100, integers above, '-' for null/NaN. */
export function fmtNum(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(Number.isInteger(v) ? 0 : digits);
}

export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return `${(v * 100).toFixed(0)}%`;
}
