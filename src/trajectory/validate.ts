import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { AgentTrace, Trajectory } from './types.js';

/** One problem in one trajectory: a JSON path (`$.agents[0].steps[3].output_tokens`) and what is wrong. */
export interface TrajectoryProblem {
  path: string;
  message: string;
}

/** The published schema file; `src/trajectory/` and `dist/trajectory/` both sit two levels below the package root. */
export const TRAJECTORY_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/trajectory.v1.json', import.meta.url));

let compiled: ValidateFunction | undefined;

/** Compile the schema once per process (compilation costs ~ms; validation is then microseconds). */
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(TRAJECTORY_SCHEMA_PATH, 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, discriminator: true, verbose: true, strict: true, strictRequired: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** JSON pointer segments -> `$.a[0].b` (keys that are not identifiers become `["key"]`). */
export function pointerToPath(pointer: string, extra?: string): string {
  const segs = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  let out = '$';
  for (const s of segs) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (IDENT.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function describeSchema(s: unknown): string | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const o = s as { type?: unknown; minimum?: number; minLength?: number };
  if (o.type === 'integer' && o.minimum === 0) return 'expected a non-negative integer';
  if (o.type === 'integer' && o.minimum === 1) return 'expected a positive integer';
  if (o.type === 'number' && o.minimum === 0) return 'expected a non-negative number';
  if (o.type === 'string' && o.minLength === 1) return 'expected a non-empty string';
  return undefined;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false',
  object: 'an object', array: 'an array', null: 'null',
};

function typeWords(t: unknown): string {
  const ts = Array.isArray(t) ? t : [t];
  return ts.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function got(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** One friendly message per ajv keyword; the path names the offending property itself. */
function friendly(e: ErrorObject): TrajectoryProblem {
  const p = e.params as Record<string, unknown>;
  const at = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return { path: pointerToPath(e.instancePath, String(p.missingProperty)), message: 'missing required property' };
    case 'dependentRequired':
      return {
        path: pointerToPath(e.instancePath, String(p.missingProperty)),
        message: `required when ${String(p.property)} is present`,
      };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return {
        path: pointerToPath(e.instancePath, String(p.additionalProperty)),
        message: `unknown property (allowed: ${allowed.join(', ')})`,
      };
    }
    case 'const':
      return { path: at, message: `expected ${JSON.stringify(p.allowedValue)}, got ${got(e.data)}` };
    case 'enum':
      return {
        path: at,
        message: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got(e.data)}`,
      };
    case 'discriminator':
      return {
        path: pointerToPath(e.instancePath, String(p.tag)),
        message: `expected one of "llm", "tool", "think", "spawn", got ${got((e.data as Record<string, unknown>)?.[String(p.tag)])}`,
      };
    case 'type':
    case 'minimum':
    case 'minLength':
      return { path: at, message: `${describeSchema(e.parentSchema) ?? `expected ${typeWords(e.schema)}`}, got ${got(e.data)}` };
    case 'minItems':
      return { path: at, message: `expected at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'uniqueItems':
      return { path: at, message: `duplicate items (positions ${String(p.j)} and ${String(p.i)})` };
    default:
      return { path: at, message: e.message ?? e.keyword };
  }
}

/** Schema problems (friendly, de-duplicated) followed by the semantic checks JSON Schema cannot do. */
export function validateTrajectory(obj: unknown): TrajectoryProblem[] {
  const validate = schemaValidator();
  if (validate(obj)) return semanticProblems(obj as Trajectory);
  const seen = new Set<string>();
  const out: TrajectoryProblem[] = [];
  for (const e of validate.errors ?? []) {
    // oneOf failures repeat what the discriminated branch already said.
    if (e.keyword === 'oneOf') continue;
    const pr = friendly(e);
    const key = `${pr.path}\u0000${pr.message}`;
    // `type` and `minimum` on one value say the same thing once.
    if (seen.has(key) || out.some((o) => o.path === pr.path && o.message.split(',')[0] === pr.message.split(',')[0])) continue;
    seen.add(key);
    out.push(pr);
  }
  return out;
}

/** Tree and token checks on a schema-valid trajectory. */
export function semanticProblems(t: Trajectory): TrajectoryProblem[] {
  const out: TrajectoryProblem[] = [];
  const index = new Map<string, number>();
  t.agents.forEach((a, i) => {
    const first = index.get(a.id);
    if (first !== undefined) out.push({ path: `$.agents[${i}].id`, message: `duplicate agent id ${JSON.stringify(a.id)} (first at $.agents[${first}])` });
    else index.set(a.id, i);
  });

  const roots = t.agents.map((a, i) => [a, i] as const).filter(([a]) => a.parent === null);
  if (roots.length === 0) out.push({ path: '$.agents', message: 'no root agent: exactly one agent must have "parent": null' });
  for (const [, i] of roots.slice(1)) {
    out.push({ path: `$.agents[${i}].parent`, message: `second root agent: only $.agents[${roots[0][1]}] may have "parent": null` });
  }
  t.agents.forEach((a, i) => {
    if (a.parent !== null && !index.has(a.parent)) {
      out.push({ path: `$.agents[${i}].parent`, message: `unknown agent ${JSON.stringify(a.parent)}` });
    }
  });
  const cycles = cycleProblems(t.agents, index);
  out.push(...cycles);
  // "Never spawned" only means something once the tree itself is sound.
  const treeSound = roots.length === 1 && cycles.length === 0;

  out.push(...impossibleCounts(t));

  // Spawns: every spawned agent exists, is a child of the spawner, and is spawned exactly once.
  const spawnedAt = new Map<string, string>();
  t.agents.forEach((a, i) => {
    a.steps.forEach((s, j) => {
      if (s.type === 'llm') {
        const base = `$.agents[${i}].steps[${j}]`;
        if (s.cached_tokens !== undefined && s.cached_tokens > s.input_tokens) {
          out.push({ path: `${base}.cached_tokens`, message: `${s.cached_tokens} exceeds input_tokens ${s.input_tokens}` });
        }
        if (s.new_input_tokens !== undefined && s.new_input_tokens > s.input_tokens) {
          out.push({ path: `${base}.new_input_tokens`, message: `${s.new_input_tokens} exceeds input_tokens ${s.input_tokens}` });
        }
        if (s.hash_ids && s.block_size && s.hash_ids.length > Math.ceil(s.input_tokens / s.block_size)) {
          out.push({
            path: `${base}.hash_ids`,
            message: `${s.hash_ids.length} blocks of ${s.block_size} tokens is more than input_tokens ${s.input_tokens} can hold`,
          });
        }
      }
      if (s.type !== 'spawn') return;
      s.agents.forEach((id, k) => {
        const path = `$.agents[${i}].steps[${j}].agents[${k}]`;
        const ci = index.get(id);
        if (ci === undefined) {
          out.push({ path, message: `unknown agent ${JSON.stringify(id)}` });
          return;
        }
        const child = t.agents[ci];
        if (child.parent !== a.id) {
          out.push({ path, message: `agent ${JSON.stringify(id)} has parent ${JSON.stringify(child.parent)}, not the spawner ${JSON.stringify(a.id)}` });
        }
        const prev = spawnedAt.get(id);
        if (prev) out.push({ path, message: `agent ${JSON.stringify(id)} is already spawned at ${prev}` });
        else spawnedAt.set(id, path);
      });
    });
  });
  t.agents.forEach((a, i) => {
    if (treeSound && a.parent !== null && index.has(a.parent) && !spawnedAt.has(a.id) && index.get(a.id) === i) {
      out.push({ path: `$.agents[${i}]`, message: `agent ${JSON.stringify(a.id)} is never spawned: add it to a spawn step of its parent ${JSON.stringify(a.parent)}` });
    }
  });
  // Nothing to send: a lane would spin through tool waits forever without one measured call.
  if (!t.agents.some((a) => a.steps.some((s) => s.type === 'llm'))) {
    out.push({ path: '$.agents', message: 'no llm step in any agent: there is nothing to replay (a trajectory needs at least one {"type": "llm"} step)' });
  }
  return out;
}

/**
 * Structurally impossible counts (issue 14): a system prompt is part of the agent's first prompt, so
 * it cannot be larger than that prompt (importers inheriting a parent's prefix got this wrong).
 */
function impossibleCounts(t: Trajectory): TrajectoryProblem[] {
  const out: TrajectoryProblem[] = [];
  t.agents.forEach((a, i) => {
    const j = a.steps.findIndex((s) => s.type === 'llm');
    const first = j >= 0 ? (a.steps[j] as { input_tokens: number }) : undefined;
    if (first && a.system_prompt_tokens > first.input_tokens) {
      out.push({
        path: `$.agents[${i}].system_prompt_tokens`,
        message: `${a.system_prompt_tokens} is larger than the agent's first prompt ($.agents[${i}].steps[${j}].input_tokens = ${first.input_tokens}) that contains it`,
      });
    }
  });
  return out;
}

/**
 * Parent-chain cycles in one linear pass (each agent is walked up once: state 0 unseen, 1 on the
 * chain being walked, 2 settled), iterative so a chain 100,000 deep neither hangs nor overflows.
 */
function cycleProblems(agents: AgentTrace[], index: Map<string, number>): TrajectoryProblem[] {
  const out: TrajectoryProblem[] = [];
  const state = new Uint8Array(agents.length);
  const chain: number[] = [];
  const posInChain = new Map<number, number>();
  for (let i = 0; i < agents.length; i++) {
    if (state[i] !== 0) continue;
    chain.length = 0;
    posInChain.clear();
    let cur: number | undefined = i;
    while (cur !== undefined && state[cur] === 0) {
      state[cur] = 1;
      posInChain.set(cur, chain.length);
      chain.push(cur);
      const parent: string | null = agents[cur].parent;
      cur = parent === null ? undefined : index.get(parent); // unknown parent: reported elsewhere
    }
    if (cur !== undefined && state[cur] === 1) {
      const cyc = chain.slice(posInChain.get(cur)).map((k) => agents[k].id);
      out.push({ path: `$.agents[${i}].parent`, message: `cycle in parent chain: ${[...cyc, agents[cur].id].join(' -> ')}` });
    }
    for (const k of chain) state[k] = 2;
  }
  return out;
}
