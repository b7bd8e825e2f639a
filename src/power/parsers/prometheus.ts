/**
 * A small Prometheus text-format parser (exposition format 0.0.4) for dcgm-exporter and the
 * simulator's /metrics page: `name{label="v",...} value [timestamp]`, `# HELP`/`# TYPE` lines.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface PromPage {
  samples: PromSample[];
  types: Record<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;

function parseValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

export function parsePrometheusText(text: string): PromPage {
  const samples: PromSample[] = [];
  const types: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types[m[1]] = m[2];
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const l of m[3].matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    }
    const s: PromSample = { name: m[1], labels, value: parseValue(m[4]) };
    if (m[5]) s.timestampMs = Number(m[5]);
    samples.push(s);
  }
  return { samples, types };
}

export const DCGM_ENERGY = 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION';
export const DCGM_POWER = 'DCGM_FI_DEV_POWER_USAGE';

export interface DcgmReading {
  /** Sum over selected GPUs of the energy counter, in J (exporter reports mJ); null if absent. */
  energyJ: number | null;
  /** Sum over selected GPUs of the power gauge, W; null if absent. */
  powerW: number | null;
  /** GPU ids seen (label gpu, else UUID). */
  gpus: string[];
  modelNames: string[];
}

/** Pick DCGM power metrics from a page, summing over GPUs (optionally only `gpus`). */
export function dcgmFromPage(page: PromPage, gpus?: readonly string[]): DcgmReading {
  const pick = (name: string) =>
    page.samples.filter((s) => s.name === name && (!gpus || gpus.includes(s.labels.gpu ?? '') || gpus.includes(s.labels.UUID ?? '')));
  const sum = (xs: PromSample[]) => (xs.length && xs.every((x) => Number.isFinite(x.value)) ? xs.reduce((a, x) => a + x.value, 0) : null);
  const e = pick(DCGM_ENERGY);
  const p = pick(DCGM_POWER);
  const ids = new Set<string>();
  const models = new Set<string>();
  for (const s of [...e, ...p]) {
    ids.add(s.labels.gpu ?? s.labels.UUID ?? '?');
    if (s.labels.modelName) models.add(s.labels.modelName);
  }
  const eSum = sum(e);
  return { energyJ: eSum === null ? null : eSum / 1000, powerW: sum(p), gpus: [...ids].sort(), modelNames: [...models] };
}
