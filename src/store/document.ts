/**
 * Builds and validates `agentdyno.run.v1` documents from stored runs (schemas/run.v1.json). Every
 * renderer reads runs through `readRunDocument`, so none re-declares a result shape or parses a
 * display label; a result that does not match the schema is reported with JSON paths, not guessed at.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { AgentdynoError } from '../core/index.js';
import type { RunRecord } from './rows.js';
import { RUN_FORMAT, RUN_KINDS, type RunDocument, type RunKind } from './run-v1.js';
import type { Store } from './store.js';

/** src/store/ and dist/store/ both sit two levels below the package root. */
export const RUN_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/run.v1.json', import.meta.url));

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(RUN_SCHEMA_PATH, 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, discriminator: true, strict: true, strictRequired: false, strictTypes: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export interface SchemaProblem {
  /** JSON pointer into the document, e.g. /result/tiers/0/nMax. */
  path: string;
  message: string;
}

/** Problems of `doc` against schemas/run.v1.json (empty = valid). */
export function validateRunDocument(doc: unknown): SchemaProblem[] {
  const v = validator();
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

/** Bigints (never in stored JSON, but in results handed over directly) become decimal strings. */
function jsonSafe<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null') as T;
}

function isSimulated(run: RunRecord): boolean {
  const t = run.target as { simulated?: unknown } | null;
  const r = run.result as { simulated?: unknown; window?: { simulated?: unknown } } | null;
  return t?.simulated === true || r?.simulated === true || r?.window?.simulated === true;
}

/** The run row as an agentdyno.run.v1 document (not validated; see readRunDocument). */
export function toRunDocument(run: RunRecord): RunDocument {
  return jsonSafe({
    format: RUN_FORMAT,
    id: run.id,
    kind: run.kind as RunKind,
    status: run.status,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    provenance: {
      agentdynoVersion: run.agentdynoVersion,
      gitSha: run.gitSha,
      simulated: isSimulated(run),
      host: run.host,
      target: (run.target as Record<string, unknown> | null) ?? null,
    },
    config: (run.config as Record<string, unknown> | null) ?? {},
    clockAnchor: run.clockAnchor,
    result: run.result ?? null,
  } as RunDocument);
}

/**
 * Reads run `id` as a validated agentdyno.run.v1 document. An unknown kind or a result that breaks
 * the schema is E_RESULT_INVALID with the JSON paths: a renderer never draws from a shape it does not know.
 */
export function readRunDocument(store: Store, id: string): RunDocument {
  const run = store.requireRun(id);
  if (!(RUN_KINDS as readonly string[]).includes(run.kind)) {
    throw new AgentdynoError(`run ${id} is of kind "${run.kind}", which agentdyno.run.v1 does not describe.`, { code: 'E_RESULT_INVALID', where: `${store.path} run ${id}`,
      hint: `Kinds with a published result: ${RUN_KINDS.join(', ')}.`,
    });
  }
  const doc = toRunDocument(run);
  const problems = validateRunDocument(doc);
  if (problems.length) {
    throw new AgentdynoError(`run ${id} (${run.kind}) does not match schemas/run.v1.json: ${problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`, { code: 'E_RESULT_INVALID', where: `${store.path} run ${id}`,
      hint: 'The run was written by a version whose result shape differs; re-run it with this version, or report it if this version wrote it.',
    });
  }
  return doc;
}
