import type { RequestRow, RunRecord, SweepPointRow } from './rows.js';
import type { Store } from './store.js';
import { REQUEST_COLS } from './codec.js';
import { redact, redactString } from './redact.js';

export type ExportFormat = 'json' | 'csv';

export interface RunExport {
  format: 'agentdyno.run-export.v1';
  run: RunRecord;
  sweepPoints: SweepPointRow[];
  /** Monotonic nanoseconds are decimal strings (JSON has no 64-bit integers). */
  requests: Record<string, unknown>[];
}

function jsonSafe(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? v.toString() : v;
  return out;
}

/** Redacted again on the way out: a store written by an older version may hold what this one masks. */
export function runExport(store: Store, id: string): RunExport {
  const run = store.requireRun(id);
  return redact({
    format: 'agentdyno.run-export.v1',
    run,
    sweepPoints: store.getSweepPoints(id),
    requests: [...store.iterateRequests(id)].map(jsonSafe),
  });
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header (the database's column names) plus one line per request. */
export function* requestsCsvLines(rows: Iterable<RequestRow>): Generator<string> {
  yield ['run_id', ...REQUEST_COLS.map((c) => c[1])].join(',') + '\n';
  for (const r of rows) {
    const rec = r as unknown as Record<string, unknown> & { runId?: string };
    yield redactString([csvField(rec.runId), ...REQUEST_COLS.map(([f]) => csvField(rec[f]))].join(',')) + '\n';
  }
}

/**
 * The whole export as one string: json = run + sweep points + requests; csv = the requests table.
 * For very large runs prefer `writeRunExport`, which streams.
 */
export function exportRun(store: Store, id: string, format: ExportFormat): string {
  if (format === 'json') return JSON.stringify(runExport(store, id), null, 2) + '\n';
  store.requireRun(id);
  let out = '';
  for (const line of requestsCsvLines(withRunId(store.iterateRequests(id), id))) out += line;
  return out;
}

function* withRunId(rows: Iterable<RequestRow>, id: string): Generator<RequestRow> {
  for (const r of rows) yield { ...r, runId: id } as RequestRow;
}

/** Streams the export to `write` (a file or stdout), line by line for csv. */
export async function writeRunExport(
  store: Store,
  id: string,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
): Promise<void> {
  if (format === 'json') {
    await write(JSON.stringify(runExport(store, id), null, 2) + '\n');
    return;
  }
  store.requireRun(id);
  for (const line of requestsCsvLines(withRunId(store.iterateRequests(id), id))) await write(line);
}
