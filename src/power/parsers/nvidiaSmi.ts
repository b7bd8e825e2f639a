/**
 * nvidia-smi `--query-gpu=... --format=csv[,noheader][,nounits]` lines, live (-lms) or captured.
 * `[N/A]`, `[Not Supported]`, `[Unknown Error]` become null. One -lms tick prints one line per GPU;
 * ticks are summed across GPUs, and a tick with any missing GPU value is invalid (a partial sum
 * would understate power).
 */
export const NVSMI_DEFAULT_FIELDS = ['timestamp', 'index', 'uuid', 'power.draw', 'power.draw.instant'] as const;

export interface NvsmiRow {
  timestamp: string;
  /** Milliseconds from the timestamp (UTC reading of nvidia-smi's local time: only differences are used). */
  tMs: number;
  index: string;
  uuid?: string;
  values: Record<string, number | null>;
}

/** "2026/06/01 12:00:00.123" -> ms. */
export function parseNvsmiTimestamp(ts: string): number {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(ts.trim());
  if (!m) return Number.NaN;
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
}

/** Header cell "power.draw [W]" -> "power.draw". */
export function headerField(cell: string): string {
  return cell.trim().replace(/\s*\[[^\]]*\]\s*$/, '');
}

function num(cell: string): number | null {
  const c = cell.trim();
  if (!c || c.startsWith('[')) return null;
  const v = Number(c.replace(/\s*(W|mW|MHz|C|%)$/, ''));
  return Number.isFinite(v) ? v : null;
}

export function parseNvsmiLine(line: string, columns: readonly string[]): NvsmiRow | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length < columns.length || !line.trim()) return null;
  const row: NvsmiRow = { timestamp: '', tMs: Number.NaN, index: '', values: {} };
  columns.forEach((col, i) => {
    if (col === 'timestamp') {
      row.timestamp = cells[i];
      row.tMs = parseNvsmiTimestamp(cells[i]);
    } else if (col === 'index') row.index = cells[i];
    else if (col === 'uuid') row.uuid = cells[i];
    else row.values[col] = num(cells[i]);
  });
  return row;
}

/** Parse a captured CSV (with the header line nvidia-smi prints unless `noheader`). */
export function parseNvsmiCsv(text: string, columns?: readonly string[]): { columns: string[]; rows: NvsmiRow[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  let cols = columns ? [...columns] : null;
  if (lines.length && lines[0].includes('timestamp') && /power\./.test(lines[0])) {
    cols = lines.shift()!.split(',').map(headerField);
  }
  if (!cols) throw new Error('nvidia-smi CSV without a header line: columns unknown');
  const rows = lines.map((l) => parseNvsmiLine(l, cols!)).filter((r): r is NvsmiRow => r !== null);
  return { columns: cols, rows };
}

/** Groups per-GPU rows into ticks: a tick ends when a GPU index repeats or `expected` GPUs are in. */
export class NvsmiTickAssembler {
  private cur: NvsmiRow[] = [];
  constructor(
    private readonly field: string,
    private readonly expected?: number,
    private readonly gpus?: readonly string[],
  ) {}

  /** Returns completed ticks (sum W, or null if any GPU lacked a value). */
  add(row: NvsmiRow, tLocalMs?: number): { tMs: number; value: number | null; tLocalMs?: number }[] {
    if (this.gpus && !this.gpus.includes(row.index) && !(row.uuid && this.gpus.includes(row.uuid))) return [];
    const out: { tMs: number; value: number | null; tLocalMs?: number }[] = [];
    if (this.cur.some((r) => r.index === row.index)) out.push(this.flushTick());
    this.cur.push(Object.assign(row, { tLocal: tLocalMs }));
    if (this.expected && this.cur.length >= this.expected) out.push(this.flushTick());
    return out;
  }

  flush(): { tMs: number; value: number | null }[] {
    return this.cur.length ? [this.flushTick()] : [];
  }

  private flushTick(): { tMs: number; value: number | null; tLocalMs?: number } {
    const rows = this.cur;
    this.cur = [];
    const vals = rows.map((r) => r.values[this.field]);
    const value = vals.some((v) => v === null || v === undefined) ? null : (vals as number[]).reduce((a, b) => a + b, 0);
    const last = rows[rows.length - 1] as NvsmiRow & { tLocal?: number };
    return { tMs: last.tMs, value, tLocalMs: last.tLocal };
  }
}
