import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { AgentdynoError } from '../core/index.js';
import { harborAgentdynoTable, harborDescription, harborInfo, mapHarborDomain, type HarborInfo } from './harbor.js';

export const OUTPUT_TYPES = ['bytes', 'u8', 'u32', 'i32', 'i64', 'f32', 'f64'] as const;

/** `[agentdyno] timed_output`: element type of the timed run's output file and the tolerance between two correct outputs. */
export interface OutputSpec {
  type: (typeof OUTPUT_TYPES)[number];
  abs: number;
  rel: number;
}

/** Task domains (DESIGN 3.2 / AutoLab). */
export const DOMAINS = ['kernel', 'system', 'puzzle', 'model'] as const;
export type Domain = (typeof DOMAINS)[number];

export type ParamSpec =
  | { type: 'int' | 'float'; values?: number[]; min?: number; max?: number; step?: number }
  | { type: 'enum'; values: (string | number)[] };

export interface Anchor {
  score: number;
  method?: string;
  measured?: string;
}

/**
 * How scores are computed (our extension, `[agentdyno] scoring`):
 * `log-speedup` (AutoLab system/kernel/puzzle; default for those domains) or `linear` (model tasks).
 */
export type ScoringRule = 'log-speedup' | 'linear';

/** A loaded, validated task folder (layout in /work/notes/task-contract.md). */
export interface Task {
  id: string;
  /** `harbor`: an AutoLab/Harbor task as-is (no [agentdyno] table); tests/test.sh is its build+check+measure (harbor.ts). */
  kind: 'agentdyno' | 'harbor';
  harbor?: HarborInfo;
  domain: Domain;
  name: string;
  dir: string;
  tomlPath: string;
  instruction: string;
  environmentDir: string;
  solutionDir: string;
  metadata: { author?: string; difficulty?: string; description?: string; tags: string[] };
  agentTimeoutSec: number;
  verifierTimeoutSec: number;
  environment: { cpus: number; memoryMb: number; storageMb: number; gpus: number; allowInternet: boolean };
  metric: string;
  direction: 'lower' | 'higher';
  baseline: Anchor;
  reference: Anchor;
  editable: string[];
  build: string | null;
  check: string;
  measure: string;
  warmup: number;
  repeats: number;
  requires: string[];
  tokenBudget: number;
  wallBudgetSec: number;
  params: Record<string, ParamSpec>;
  scoring: ScoringRule;
  efc: Record<string, unknown>;
  /** `[agentdyno] timed_output`: how the timed run's own output is compared with the baseline's (timed.ts). */
  timedOutput: OutputSpec | null;
  /** Speedups over this (vs the paired baseline) are unconfirmed until reviewed (default 10, KernelBench's rule). */
  plausibleSpeedup: number;
  /** `[agentdyno] plausible_limit`: the best value this hardware can reach (e.g. a bandwidth bound); beyond it is unconfirmed. */
  plausibleLimit: number | null;
}

type Tbl = Record<string, unknown>;

/** Collects problems as `file: key: message` so every one is reported, not just the first. */
export class Reader {
  problems: string[] = [];
  constructor(readonly file: string) {}
  private fail(key: string, msg: string): void {
    this.problems.push(`${this.file}: ${key}: ${msg}`);
  }
  table(t: Tbl, key: string, required: boolean): Tbl {
    const v = get(t, key);
    // A table given where a value was expected is reported by the value readers.
    if (v === undefined) {
      if (required) this.fail(`[${key}]`, 'missing table');
      return {};
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(`[${key}]`, 'expected a table');
      return {};
    }
    return v as Tbl;
  }
  num(t: Tbl, key: string, def?: number, opts: { min?: number; int?: boolean } = {}): number {
    const v = get(t, key);
    if (v === undefined) {
      if (def === undefined) this.fail(keyName(key), 'missing (expected a number)');
      return def ?? Number.NaN;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(keyName(key), `expected a number, got ${JSON.stringify(v)}`);
      return def ?? Number.NaN;
    }
    if (opts.int && !Number.isInteger(v)) this.fail(keyName(key), `expected an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min) this.fail(keyName(key), `expected >= ${opts.min}, got ${v}`);
    return v;
  }
  str(t: Tbl, key: string, def?: string | null): string {
    const v = get(t, key);
    if (v === undefined) {
      if (def === undefined) this.fail(keyName(key), 'missing (expected a string)');
      return def ?? '';
    }
    if (typeof v !== 'string') {
      this.fail(keyName(key), `expected a string, got ${JSON.stringify(v)}`);
      return def ?? '';
    }
    return v;
  }
  strs(t: Tbl, key: string, def: string[]): string[] {
    const v = get(t, key);
    if (v === undefined) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.fail(keyName(key), 'expected an array of strings');
      return def;
    }
    return v as string[];
  }
  bool(t: Tbl, key: string, def: boolean): boolean {
    const v = get(t, key);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      this.fail(keyName(key), `expected true or false, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }
  oneOf<T extends string>(t: Tbl, key: string, allowed: readonly T[], def?: T): T {
    const v = get(t, key);
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.fail(keyName(key), `expected ${allowed.map((a) => `"${a}"`).join(' or ')}${v === undefined ? '' : `, got ${JSON.stringify(v)}`}`);
      return def ?? allowed[0];
    }
    return v as T;
  }
  problem(key: string, msg: string): void {
    this.fail(key, msg);
  }
}

/** Dotted path lookup: `get(t, 'optimization.baseline')`. */
function get(t: Tbl, dotted: string): unknown {
  let cur: unknown = t;
  for (const part of dotted.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Tbl)[part];
  }
  return cur;
}

/** `optimization.direction` → `[optimization].direction` (the way people read TOML). */
function keyName(dotted: string): string {
  const i = dotted.lastIndexOf('.');
  return i < 0 ? dotted : `[${dotted.slice(0, i)}].${dotted.slice(i + 1)}`;
}

function parseParams(r: Reader, raw: Tbl): Record<string, ParamSpec> {
  const out: Record<string, ParamSpec> = {};
  for (const [name, spec] of Object.entries(raw)) {
    const key = `[agentdyno.params].${name}`;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      r.problem(key, 'expected an inline table like { type = "int", values = [1, 2] }');
      continue;
    }
    const s = spec as Tbl;
    const type = s.type;
    if (type === 'enum') {
      if (!Array.isArray(s.values) || s.values.length === 0) r.problem(key, 'enum needs a non-empty `values` array');
      else out[name] = { type: 'enum', values: s.values as (string | number)[] };
    } else if (type === 'int' || type === 'float') {
      const values = Array.isArray(s.values) ? (s.values as unknown[]) : undefined;
      if (values && values.some((v) => typeof v !== 'number')) r.problem(key, '`values` must be numbers');
      else if (!values && (typeof s.min !== 'number' || typeof s.max !== 'number' || s.min > s.max))
        r.problem(key, `${type} needs \`values\` or numeric \`min\` <= \`max\``);
      else
        out[name] = {
          type,
          values: values as number[] | undefined,
          min: s.min as number | undefined,
          max: s.max as number | undefined,
          step: typeof s.step === 'number' ? s.step : undefined,
        };
    } else r.problem(`${key}.type`, `expected "int", "float" or "enum", got ${JSON.stringify(type)}`);
  }
  return out;
}

function parseOutputSpec(r: Reader, v: unknown): OutputSpec | null {
  if (v === undefined) return null;
  const key = '[agentdyno].timed_output';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.problem(key, 'expected an inline table like { type = "f32", abs = 1e-6, rel = 1e-4 }');
    return null;
  }
  const t = v as Tbl;
  if (typeof t.type !== 'string' || !(OUTPUT_TYPES as readonly string[]).includes(t.type)) {
    r.problem(`${key}.type`, `expected one of ${OUTPUT_TYPES.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(t.type)}`);
    return null;
  }
  const tol = (k: 'abs' | 'rel'): number => {
    if (t[k] === undefined) return 0;
    if (typeof t[k] !== 'number' || !(t[k] >= 0)) r.problem(`${key}.${k}`, 'expected a number >= 0');
    return typeof t[k] === 'number' ? t[k] : 0;
  };
  return { type: t.type as OutputSpec['type'], abs: tol('abs'), rel: tol('rel') };
}

/** Loads and validates one task folder; throws an AgentdynoError listing every problem (file and key). */
export function loadTask(dir: string, rootDir?: string): Task {
  const abs = path.resolve(dir);
  const tomlPath = path.join(abs, 'task.toml');
  const shown = path.relative(process.cwd(), tomlPath) || tomlPath;
  if (!fs.existsSync(tomlPath)) {
    throw new AgentdynoError('no task.toml here.', { code: 'E_TASK_INVALID', where: shown, hint: 'A task folder holds task.toml, instruction.md, environment/, solution/, tests/ (see the task contract).' });
  }
  let doc: Tbl;
  try {
    doc = parseToml(fs.readFileSync(tomlPath, 'utf8')) as Tbl;
  } catch (e) {
    const line = e instanceof TomlError ? `:${e.line}` : '';
    throw new AgentdynoError(`not valid TOML (${(e as Error).message.split('\n')[0]}).`, { code: 'E_TASK_INVALID', where: shown + line, hint: 'Fix the syntax and run `agentdyno tasks validate` again.' });
  }
  const r = new Reader(shown);
  r.table(doc, 'metadata', true);
  r.table(doc, 'optimization', true);
  // No [agentdyno] table: a Harbor task as-is. harbor.ts maps its domain name and supplies the
  // [agentdyno] values (editable = all of environment/, verifier = tests/test.sh).
  const isHarbor = get(doc, 'agentdyno') === undefined;
  let declaredDomain = '';
  if (isHarbor) {
    declaredDomain = mapHarborDomain(r, doc);
    doc.agentdyno = harborAgentdynoTable(doc);
  }
  r.table(doc, 'agentdyno', true);
  r.table(doc, 'environment', false);
  const domain = r.oneOf(doc, 'metadata.domain', DOMAINS);
  // Id is `<domain>/<name>` from the folder; the declared domain must agree with the parent folder.
  const name = path.basename(abs);
  const parent = path.basename(path.dirname(abs));
  if ((DOMAINS as readonly string[]).includes(parent) && parent !== domain) r.problem('[metadata].domain', `is "${domain}" but the task lives under ${parent}/`);
  const anchor = (k: string): Anchor => {
    r.table(doc, `optimization.${k}`, true);
    return { score: r.num(doc, `optimization.${k}.score`), method: r.str(doc, `optimization.${k}.method`, null), measured: r.str(doc, `optimization.${k}.measured`, null) };
  };
  const task: Task = {
    id: `${domain}/${name}`,
    kind: isHarbor ? 'harbor' : 'agentdyno',
    domain,
    name,
    dir: abs,
    tomlPath,
    instruction: '',
    environmentDir: path.join(abs, 'environment'),
    solutionDir: path.join(abs, 'solution'),
    metadata: { author: r.str(doc, 'metadata.author', null) || undefined, difficulty: r.str(doc, 'metadata.difficulty', null) || undefined, description: r.str(doc, 'metadata.description', null) || undefined, tags: r.strs(doc, 'metadata.tags', []) },
    agentTimeoutSec: r.num(doc, 'agent.timeout_sec', 600, { min: 1 }),
    verifierTimeoutSec: r.num(doc, 'verifier.timeout_sec', 300, { min: 1 }),
    environment: {
      cpus: r.num(doc, 'environment.cpus', 1, { min: 1 }),
      memoryMb: r.num(doc, 'environment.memory_mb', 1024, { min: 16 }),
      storageMb: r.num(doc, 'environment.storage_mb', 512, { min: 1 }),
      gpus: r.num(doc, 'environment.gpus', 0, { min: 0, int: true }),
      allowInternet: r.bool(doc, 'environment.allow_internet', false),
    },
    metric: r.str(doc, 'optimization.metric'),
    direction: r.oneOf(doc, 'optimization.direction', ['lower', 'higher'] as const),
    baseline: anchor('baseline'),
    reference: anchor('reference'),
    editable: r.strs(doc, 'agentdyno.editable', []),
    build: r.str(doc, 'agentdyno.build', null) || null,
    check: r.str(doc, 'agentdyno.check'),
    measure: r.str(doc, 'agentdyno.measure'),
    warmup: r.num(doc, 'agentdyno.warmup', 1, { min: 0, int: true }),
    repeats: r.num(doc, 'agentdyno.repeats', 5, { min: 1, int: true }),
    requires: r.strs(doc, 'agentdyno.requires', []),
    tokenBudget: r.num(doc, 'agentdyno.token_budget', 200_000, { min: 0 }),
    wallBudgetSec: r.num(doc, 'agentdyno.wall_budget_sec', 300, { min: 1 }),
    params: parseParams(r, r.table(doc, 'agentdyno.params', false)),
    scoring: r.oneOf(doc, 'agentdyno.scoring', ['log-speedup', 'linear'] as const, domain === 'model' ? 'linear' : 'log-speedup'),
    efc: r.table(doc, 'agentdyno.efc', false),
    timedOutput: parseOutputSpec(r, get(doc, 'agentdyno.timed_output')),
    plausibleSpeedup: r.num(doc, 'agentdyno.plausible_speedup', 10, { min: 1 }),
    plausibleLimit: get(doc, 'agentdyno.plausible_limit') === undefined ? null : r.num(doc, 'agentdyno.plausible_limit'),
  };
  if (get(doc, 'agentdyno.editable') !== undefined && task.editable.length === 0) r.problem('[agentdyno].editable', 'is empty: list at least one glob the agent may edit');
  if (get(doc, 'agentdyno.editable') === undefined && Object.keys(task.params).length === 0)
    r.problem('[agentdyno].editable', 'missing: list the files the agent may edit (or declare [agentdyno.params])');
  if (task.scoring === 'log-speedup' && Number.isFinite(task.baseline.score) && Number.isFinite(task.reference.score)) {
    if (task.baseline.score <= 0 || task.reference.score <= 0) r.problem('[optimization.baseline].score', 'log-speedup scoring needs positive anchors');
    else {
      const better = task.direction === 'lower' ? task.reference.score < task.baseline.score : task.reference.score > task.baseline.score;
      if (!better) r.problem('[optimization.reference].score', `must be better than the baseline in direction "${task.direction}"`);
    }
  }
  const instr = path.join(abs, 'instruction.md');
  if (!fs.existsSync(instr)) r.problem('instruction.md', 'missing');
  else task.instruction = fs.readFileSync(instr, 'utf8');
  if (!fs.existsSync(task.environmentDir) || !fs.statSync(task.environmentDir).isDirectory()) r.problem('environment/', 'missing folder');
  if (isHarbor) {
    task.harbor = harborInfo(r, abs, declaredDomain);
    // Tools its Dockerfile installs and its verifier uses: checked before a run like any `requires`.
    task.requires = [...new Set([...task.requires, ...task.harbor.requiredTools])];
    task.metadata.description ??= harborDescription(task.instruction); // AutoLab has no description field
  }
  void rootDir;
  if (r.problems.length) {
    throw new AgentdynoError(`task is malformed:\n  ${r.problems.join('\n  ')}`, { code: 'E_TASK_INVALID', hint: 'Fix the keys named above (contract: task.toml in the task folder layout).' });
  }
  return task;
}

/** Finds task folders (those holding task.toml) under `root`, sorted by id. */
export function findTaskDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 4 || !fs.existsSync(d)) return;
    if (fs.existsSync(path.join(d, 'task.toml'))) {
      out.push(d);
      return;
    }
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') walk(path.join(d, e.name), depth + 1);
    }
  };
  walk(path.resolve(root), 0);
  return out.sort();
}

/** Resolves a task id (`kernel/prefix-sum-c`) or a folder path against the tasks root. */
export function resolveTaskDir(idOrPath: string, root = 'tasks'): string {
  const candidates = [idOrPath, path.join(root, idOrPath)];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'task.toml'))) return path.resolve(c);
  throw new AgentdynoError(`no task "${idOrPath}".`, { code: 'E_TASK_INVALID', where: path.resolve(root), hint: 'Give a task id such as kernel/prefix-sum-c (see `agentdyno tasks list`) or a folder holding task.toml.' });
}
