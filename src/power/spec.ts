/**
 * `--power SPEC` parsing: `SOURCE[:options]`, options `key=value` separated by `;` (a `;` inside a
 * value is kept unless it is followed by `key=`, so commands may contain `;`). A first option
 * without `=` is the source's main argument: a file for replay, a URL for dcgm-exporter/sim/redfish,
 * watts for nameplate, a command line for command.
 *   nvidia-smi:gpus=0,1;field=power.draw.instant;interval_ms=100
 *   dcgm-exporter:url=http://127.0.0.1:9400/metrics
 *   replay:results/power.csv
 *   nameplate:watts=10200;boundary=node
 *   command:cmd=./read-pdu.sh;boundary=node;class=node-dc;kind=power-instant;unit=W
 *   ipmi:host=10.0.0.7;user_env=IPMI_USER;pass_env=IPMI_PASS
 */
import { AgentdynoError } from '../core/index.js';

export const SOURCE_KINDS = ['nvidia-smi', 'dcgm-exporter', 'rapl', 'ipmi', 'redfish', 'command', 'nameplate', 'replay', 'sim'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface PowerSpec {
  source: SourceKind;
  options: Record<string, string>;
  /** The spec as given, minus nothing: it never holds secrets (credentials come from env names). */
  raw: string;
}

const MAIN_ARG: Partial<Record<SourceKind, string>> = {
  replay: 'file',
  'dcgm-exporter': 'url',
  sim: 'url',
  redfish: 'url',
  nameplate: 'watts',
  command: 'cmd',
  ipmi: 'host',
};

/** Options each source understands (a typo is an error, not a silently ignored option). */
const ALLOWED: Record<SourceKind, string[]> = {
  'nvidia-smi': ['gpus', 'field', 'interval_ms', 'bin'],
  'dcgm-exporter': ['url', 'gpus', 'field', 'interval_ms'],
  rapl: ['root', 'zones', 'interval_ms'],
  ipmi: ['host', 'user_env', 'pass_env', 'interval_ms', 'bin', 'boundary'],
  redfish: ['url', 'user_env', 'pass_env', 'token_env', 'insecure_tls', 'interval_ms'],
  command: ['cmd', 'kind', 'unit', 'boundary', 'boundary_text', 'class', 'accuracy'],
  nameplate: ['watts', 'boundary', 'source'],
  replay: ['file', 'kind', 'unit', 'field', 'gpus', 'offset_s', 'boundary', 'boundary_text', 'class', 'simulated'],
  sim: ['url', 'interval_ms', 'field'],
};

export function parsePowerSpec(spec: string): PowerSpec {
  const raw = spec.trim();
  const colon = raw.indexOf(':');
  const name = (colon < 0 ? raw : raw.slice(0, colon)).trim();
  const rest = colon < 0 ? '' : raw.slice(colon + 1);
  if (!(SOURCE_KINDS as readonly string[]).includes(name)) {
    throw new AgentdynoError(`unknown power source "${name}" in --power "${raw}".`, { code: 'E_POWER_SPEC', where: '--power',
      hint: `Use one of ${SOURCE_KINDS.join(', ')}, e.g. --power sim or --power replay:FILE (see \`agentdyno power probe\`).`,
    });
  }
  const source = name as SourceKind;
  const options: Record<string, string> = {};
  if (rest.trim()) {
    const parts = rest.split(/;(?=\s*[a-zA-Z_][a-zA-Z0-9_]*=)/);
    parts.forEach((p, i) => {
      const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)=([\s\S]*)$/.exec(p);
      if (m) options[m[1]] = m[2].trim();
      else if (i === 0 && MAIN_ARG[source]) options[MAIN_ARG[source]!] = p.trim();
      else {
        throw new AgentdynoError(`option "${p}" in --power "${raw}" is not key=value.`, { code: 'E_POWER_SPEC', where: '--power',
          hint: 'Separate options with ";" as in nvidia-smi:gpus=0,1;interval_ms=100 (quote the whole spec in the shell).',
        });
      }
    });
  }
  for (const k of Object.keys(options)) {
    if (!ALLOWED[source].includes(k)) {
      throw new AgentdynoError(`option "${k}" is not known to the ${source} power source (--power "${raw}").`, { code: 'E_POWER_SPEC', where: '--power',
        hint: `${source} takes: ${ALLOWED[source].join(', ')}.`,
      });
    }
  }
  return { source, options, raw };
}

/** Numeric option with a clear error. */
export function numOption(spec: PowerSpec, key: string, dflt?: number): number | undefined {
  const v = spec.options[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    throw new AgentdynoError(`option ${key}="${v}" in --power "${spec.raw}" is not a number.`, { code: 'E_POWER_SPEC', where: '--power', hint: `Give ${key} as a number.` });
  }
  return n;
}

export function listOption(spec: PowerSpec, key: string): string[] | undefined {
  const v = spec.options[key];
  return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean);
}
