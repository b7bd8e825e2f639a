import type Database from 'better-sqlite3';
import { redact, redactString } from './redact.js';

/** How a field travels between a camelCase row object and a SQLite column. */
/** nbool: a boolean that may be unknown (NULL stays null, unlike bool, where NULL reads false). */
export type ColType = 'int' | 'real' | 'text' | 'bool' | 'nbool' | 'ns' | 'json' | 'strings';
export type ColSpec = readonly [field: string, column: string, type: ColType];

export const REQUEST_COLS: readonly ColSpec[] = [
  ['level', 'level', 'int'],
  ['lane', 'lane', 'int'],
  ['agent', 'agent', 'text'],
  ['step', 'step', 'int'],
  ['requestId', 'request_id', 'text'],
  ['promptTokens', 'prompt_tokens', 'int'],
  ['cachedTokens', 'cached_tokens', 'int'],
  ['expectedCachedTokens', 'expected_cached_tokens', 'int'],
  ['outputTokens', 'output_tokens', 'int'],
  ['tSchedNs', 't_sched_ns', 'ns'],
  ['tSendNs', 't_send_ns', 'ns'],
  ['tFirstNs', 't_first_ns', 'ns'],
  ['tLastNs', 't_last_ns', 'ns'],
  ['ttftMs', 'ttft_ms', 'real'],
  ['decodeTokPerS', 'decode_tok_per_s', 'real'],
  ['itlP50Ms', 'itl_p50_ms', 'real'],
  ['itlP99Ms', 'itl_p99_ms', 'real'],
  ['itlMaxMs', 'itl_max_ms', 'real'],
  ['e2eMs', 'e2e_ms', 'real'],
  ['status', 'status', 'text'],
  ['errorClass', 'error_class', 'text'],
  ['inWindow', 'in_window', 'bool'],
  ['coalescedReads', 'coalesced_reads', 'int'],
  ['simulated', 'simulated', 'nbool'],
  ['arrivalRatePerS', 'arrival_rate_per_s', 'real'],
];

export const SWEEP_POINT_COLS: readonly ColSpec[] = [
  ['level', 'level', 'int'],
  ['tierTokPerS', 'tier_tok_per_s', 'real'],
  ['ttftCeilingMs', 'ttft_ceiling_ms', 'real'],
  ['passRate', 'pass_rate', 'real'],
  ['agentsActive', 'agents_active', 'int'],
  ['agentsPassing', 'agents_passing', 'int'],
  ['valid', 'valid', 'bool'],
  ['reasons', 'reasons_json', 'strings'],
  ['outputTokPerS', 'output_tok_per_s', 'real'],
  ['meanPowerW', 'mean_power_w', 'real'],
  ['detail', 'detail_json', 'json'],
  ['simulated', 'simulated', 'nbool'],
  ['arrivalRatePerS', 'arrival_rate_per_s', 'real'],
];

export const POWER_SAMPLE_COLS: readonly ColSpec[] = [
  ['channel', 'channel', 'text'],
  ['tNs', 't_ns', 'ns'],
  ['value', 'value', 'real'],
  ['kind', 'kind', 'text'],
];

export const LOOP_ITERATION_COLS: readonly ColSpec[] = [
  ['task', 'task', 'text'],
  ['iteration', 'iteration', 'int'],
  ['agent', 'agent', 'text'],
  ['status', 'status', 'text'],
  ['score', 'score', 'real'],
  ['normalizedScore', 'normalized_score', 'real'],
  ['metricValue', 'metric_value', 'real'],
  ['tokensIn', 'tokens_in', 'int'],
  ['tokensOut', 'tokens_out', 'int'],
  ['wallMs', 'wall_ms', 'real'],
  ['tStartNs', 't_start_ns', 'ns'],
  ['tEndNs', 't_end_ns', 'ns'],
  ['detail', 'detail_json', 'json'],
];

export const FEEDBACK_EVENT_COLS: readonly ColSpec[] = [
  ['task', 'task', 'text'],
  ['iteration', 'iteration', 'int'],
  ['seq', 'seq', 'int'],
  ['kind', 'kind', 'text'],
  ['text', 'text', 'text'],
  ['detail', 'detail_json', 'json'],
];

export const LOOP_CONFIRMATION_COLS: readonly ColSpec[] = [
  ['seq', 'seq', 'int'],
  ['iteration', 'iteration', 'int'],
  ['outcome', 'outcome', 'text'],
  ['at', 'at', 'text'],
  ['detail', 'detail_json', 'json'],
];

export const BUDGET_EVENT_COLS: readonly ColSpec[] = [
  ['seq', 'seq', 'int'],
  ['kind', 'kind', 'text'],
  ['handle', 'handle', 'text'],
  ['amount', 'amount', 'real'],
  ['detail', 'detail_json', 'json'],
];

export function toNs(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return BigInt(Math.round(v));
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`not a nanosecond value: ${String(v)}`);
}

function encode(v: unknown, type: ColType): unknown {
  if (v === undefined || v === null) {
    if (type === 'bool') return 0;
    return null;
  }
  switch (type) {
    case 'ns':
      return toNs(v);
    case 'bool':
    case 'nbool':
      return v ? 1 : 0;
    case 'int':
      return typeof v === 'bigint' ? v : Math.round(Number(v));
    case 'real': {
      const n = Number(v);
      // SQLite has no NaN/Infinity: store "not measured" as NULL.
      return Number.isFinite(n) ? n : null;
    }
    // Secrets never reach the store: every text and JSON value is redacted on its way in.
    case 'json':
    case 'strings':
      return JSON.stringify(redact(v), (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
    default:
      return redactString(String(v));
  }
}

function decode(v: unknown, type: ColType): unknown {
  if (v === null || v === undefined) {
    if (type === 'bool') return false;
    if (type === 'strings') return [];
    return null;
  }
  switch (type) {
    case 'ns':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'int':
    case 'real':
      return Number(v);
    case 'bool':
    case 'nbool':
      return Number(v) !== 0;
    case 'json':
    case 'strings':
      return JSON.parse(String(v));
    default:
      return String(v);
  }
}

/** A prepared INSERT for `table` taking `run_id` plus the spec's columns. */
export function insertStatement(db: Database.Database, table: string, cols: readonly ColSpec[], orReplace = false) {
  const names = ['run_id', ...cols.map((c) => c[1])];
  const sql = `INSERT ${orReplace ? 'OR REPLACE ' : ''}INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
  const stmt = db.prepare(sql);
  return (runId: string, row: Record<string, unknown>) => stmt.run(runId, ...cols.map(([f, , t]) => encode(row[f], t)));
}

export function decodeRow<T>(raw: Record<string, unknown>, cols: readonly ColSpec[]): T {
  const out: Record<string, unknown> = {};
  for (const [f, c, t] of cols) out[f] = decode(raw[c], t);
  return out as T;
}

/** Same as decodeRow for a `.raw()` result (an array in `selectList` order): much cheaper on big reads. */
export function decodeArray<T>(raw: readonly unknown[], cols: readonly ColSpec[]): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < cols.length; i++) out[cols[i][0]] = decode(raw[i], cols[i][2]);
  return out as T;
}

export function selectList(cols: readonly ColSpec[]): string {
  return cols.map((c) => c[1]).join(', ');
}
