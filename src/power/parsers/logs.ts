/**
 * Recorded power logs for the `replay` source. Formats (detected from the content):
 * - JSONL: one `{"t": seconds, "value": number}` per line (`t_ms` also accepted); an optional first
 *   line `{"meta": {"kind": ..., "unit": ..., "boundary": ...}}` declares what the values are;
 * - CSV with a header naming a time column (`t`, `t_s`, `time_s`, `t_ms`) and a value column
 *   (`value`, `watts`, `power_w`, `energy_j`);
 * - nvidia-smi `--format=csv` captures (header with `timestamp` and `power.*`), summed over GPUs;
 * - MLPerf/PTDaemon-style `spl.txt` lines: `Time,dd-mm-yyyy hh:mm:ss.fff,Watts,W,Volts,V,Amps,A,PF,pf,Mark,label`.
 * Every parser returns times in seconds from the log's own origin; the replay source maps them.
 */
import type { ReadingKind } from '../integrate.js';
import { NvsmiTickAssembler, parseNvsmiCsv } from './nvidiaSmi.js';

export interface LogSeries {
  format: 'jsonl' | 'csv' | 'nvidia-smi-csv' | 'mlperf-spl';
  kind: ReadingKind;
  /** Values already in W (power) or J (counters). */
  samples: { tS: number; value: number | null }[];
  field: string;
  meta: Record<string, string>;
}

const UNIT_TO_BASE: Record<string, number> = { W: 1, mW: 1e-3, kW: 1e3, J: 1, mJ: 1e-3, uJ: 1e-6, kWh: 3.6e6, Wh: 3600 };

export function unitFactor(unit: string, where: string): number {
  const f = UNIT_TO_BASE[unit];
  if (f === undefined) throw new Error(`${where}: unknown unit "${unit}" (use one of ${Object.keys(UNIT_TO_BASE).join(', ')})`);
  return f;
}

export function kindForUnit(unit: string): ReadingKind {
  return ['J', 'mJ', 'uJ', 'kWh', 'Wh'].includes(unit) ? 'energy-counter' : 'power-instant';
}

/** "21-02-2025 10:00:00.123" -> ms (UTC reading; only differences matter). */
function parseSplTime(s: string): number {
  const m = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return Number.NaN;
  return Date.UTC(+m[3], +m[2] - 1, +m[1], +m[4], +m[5], +m[6], m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0);
}

export function parseMlperfSpl(text: string): LogSeries {
  const samples: LogSeries['samples'] = [];
  let t0: number | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('Time,')) continue;
    const c = line.split(',');
    const t = parseSplTime(c[1]);
    const wi = c.indexOf('Watts');
    if (!Number.isFinite(t) || wi < 0) continue;
    t0 ??= t;
    const w = Number(c[wi + 1]);
    // MLPerf's checker averages only samples with Watts > 0; invalid ones are dropped and counted.
    samples.push({ tS: (t - t0) / 1000, value: Number.isFinite(w) && w > 0 ? w : null });
  }
  // PTD logs each second's average of the analyzer's internal samples.
  return { format: 'mlperf-spl', kind: 'power-interval-avg', samples, field: 'Watts (PTDaemon 1 s average)', meta: {} };
}

export function parseNvsmiLog(text: string, field?: string, gpus?: string[]): LogSeries {
  const { columns, rows } = parseNvsmiCsv(text);
  const f = field ?? (columns.includes('power.draw.instant') ? 'power.draw.instant' : columns.find((c) => c.startsWith('power.draw')) ?? 'power.draw');
  const asm = new NvsmiTickAssembler(f, undefined, gpus);
  const ticks: { tMs: number; value: number | null }[] = [];
  for (const r of rows) ticks.push(...asm.add(r));
  ticks.push(...asm.flush());
  const t0 = ticks.find((t) => Number.isFinite(t.tMs))?.tMs ?? 0;
  return {
    format: 'nvidia-smi-csv',
    kind: f === 'power.draw.instant' ? 'power-instant' : 'power-interval-avg',
    samples: ticks.map((t) => ({ tS: (t.tMs - t0) / 1000, value: t.value })),
    field: f,
    meta: {},
  };
}

export function parseJsonl(text: string, where: string, declared: { kind?: ReadingKind; unit?: string }): LogSeries {
  const meta: Record<string, string> = {};
  const raw: { tS: number; value: number | null }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${where}:${i + 1}: not a JSON object`);
    }
    if (o.meta && typeof o.meta === 'object') {
      for (const [k, v] of Object.entries(o.meta as object)) meta[k] = String(v);
      return;
    }
    const t = typeof o.t === 'number' ? o.t : typeof o.t_ms === 'number' ? o.t_ms / 1000 : Number.NaN;
    if (!Number.isFinite(t)) throw new Error(`${where}:${i + 1}: missing numeric "t" (seconds) or "t_ms"`);
    raw.push({ tS: t, value: typeof o.value === 'number' ? o.value : null });
  });
  return finishDeclared('jsonl', raw, where, declared, meta, 'value');
}

function finishDeclared(
  format: 'jsonl' | 'csv',
  raw: { tS: number; value: number | null }[],
  where: string,
  declared: { kind?: ReadingKind; unit?: string },
  meta: Record<string, string>,
  field: string,
): LogSeries {
  const unit = declared.unit ?? meta.unit ?? 'W';
  const kind = declared.kind ?? (meta.kind as ReadingKind | undefined) ?? kindForUnit(unit);
  const f = unitFactor(unit, where);
  const t0 = raw.length ? Math.min(...raw.map((r) => r.tS)) : 0;
  return {
    format,
    kind,
    samples: raw.map((r) => ({ tS: r.tS - t0, value: r.value === null ? null : r.value * f })),
    field: `${field} [${unit}]`,
    meta,
  };
}

export function parseSimpleCsv(text: string, where: string, declared: { kind?: ReadingKind; unit?: string }): LogSeries {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
  const ti = header.findIndex((h) => ['t', 't_s', 'time_s', 'time', 't_ms'].includes(h));
  const vi = header.findIndex((h) => ['value', 'watts', 'power_w', 'w', 'energy_j', 'j'].includes(h));
  if (ti < 0 || vi < 0) throw new Error(`${where}:1: CSV header needs a time column (t, t_s, t_ms) and a value column (value, watts, power_w, energy_j); got "${header.join(',')}"`);
  const scaleT = header[ti] === 't_ms' ? 1e-3 : 1;
  const unitGuess = declared.unit ?? (header[vi].includes('energy') || header[vi] === 'j' ? 'J' : 'W');
  const raw = lines.map((l, i) => {
    const c = l.split(',');
    const t = Number(c[ti]) * scaleT;
    if (!Number.isFinite(t)) throw new Error(`${where}:${i + 2}: time "${c[ti]}" is not a number`);
    const v = Number(c[vi]);
    return { tS: t, value: c[vi] !== undefined && c[vi].trim() !== '' && Number.isFinite(v) ? v : null };
  });
  return finishDeclared('csv', raw, where, { ...declared, unit: unitGuess }, {}, header[vi]);
}

/** Detect the format from the content and parse. */
export function parsePowerLog(text: string, where: string, declared: { kind?: ReadingKind; unit?: string; field?: string; gpus?: string[] } = {}): LogSeries {
  const first = text.split(/\r?\n/).find((l) => l.trim()) ?? '';
  if (first.startsWith('Time,')) return parseMlperfSpl(text);
  if (first.trim().startsWith('{')) return parseJsonl(text, where, declared);
  if (/timestamp/.test(first) && /power\./.test(first)) return parseNvsmiLog(text, declared.field, declared.gpus);
  return parseSimpleCsv(text, where, declared);
}
