/**
 * Helpers for test/deploy/manifests.test.ts: load the Kubernetes example manifests, walk their pod
 * specs, and pull the `agentdyno` invocations out of container commands (plain argv arrays or the
 * `sh -c` scripts the sharded example uses).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// Manifests are untyped YAML: index them loosely, check them explicitly.
export type Obj = Record<string, any>;

export interface Doc {
  file: string;
  doc: Obj;
}

/** Every `*.yaml` under `dir` (recursively), grouped by folder; kustomization.yaml apart. */
export function loadExamples(dir: string): Map<string, { docs: Doc[]; kustomization: Obj | null; files: string[] }> {
  const out = new Map<string, { docs: Doc[]; kustomization: Obj | null; files: string[] }>();
  const walk = (d: string) => {
    const entry = { docs: [] as Doc[], kustomization: null as Obj | null, files: [] as string[] };
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!/\.ya?ml$/.test(name)) continue;
      const parsed = parseAllDocuments(readFileSync(p, 'utf8'));
      const docs = Array.isArray(parsed) ? parsed : [parsed];
      for (const y of docs) {
        const problems = [...y.errors, ...y.warnings];
        if (problems.length) throw new Error(`${p}: YAML ${problems.map((e) => e.message).join('; ')}`);
        const v = y.toJS() as Obj | null;
        if (v === null) continue;
        if (name === 'kustomization.yaml') entry.kustomization = v;
        else entry.docs.push({ file: p, doc: v });
      }
      if (name !== 'kustomization.yaml') entry.files.push(name);
    }
    if (entry.files.length) out.set(d, entry);
  };
  walk(dir);
  return out;
}

export const where = (d: Doc) => `${d.file} ${d.doc.kind}/${d.doc.metadata?.name}`;

/** The pod template of a workload, or the spec of a bare Pod. */
export function podOf(doc: Obj): { labels: Obj; spec: Obj } | null {
  if (doc.kind === 'Pod') return { labels: doc.metadata?.labels ?? {}, spec: doc.spec ?? {} };
  const t = doc.spec?.template;
  return t ? { labels: t.metadata?.labels ?? {}, spec: t.spec ?? {} } : null;
}

export function containersOf(spec: Obj): Obj[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Every label of `selector` is on `labels` (an empty selector selects nothing here: always a mistake in these examples). */
export function selects(selector: Obj | undefined, labels: Obj): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Split an `sh -c` script into simple commands, each a list of words (quotes removed). */
export function shellCommands(script: string): string[][] {
  const joined = script.replace(/\\\n/g, ' ');
  const out: string[][] = [];
  for (const line of joined.split('\n')) {
    for (const part of line.split(/;|&&|\|\||\|/)) {
      const words = [...part.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
      if (words.length) out.push(words);
    }
  }
  return out;
}

export interface Invocation {
  /** Command words after `agentdyno` and before the first flag, e.g. ['results', 'merge']. */
  command: string[];
  /** The rest of the argv. */
  argv: string[];
  /** Whether it came from a shell script (values are then shell words such as "$ENDPOINT"). */
  shell: boolean;
}

/** The `agentdyno ...` invocations of one container. */
export function invocations(container: Obj): Invocation[] {
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
  const lists: { words: string[]; shell: boolean }[] = [];
  if ((argv[0] === 'sh' || argv[0] === 'bash') && argv[1] === '-c') {
    for (const words of shellCommands(argv.slice(2).join('\n'))) lists.push({ words, shell: true });
  } else lists.push({ words: argv, shell: false });
  const out: Invocation[] = [];
  for (const { words, shell } of lists) {
    if (words[0] !== 'agentdyno') continue;
    let i = 1;
    while (i < words.length && !words[i].startsWith('-')) i++;
    out.push({ command: words.slice(1, i), argv: words.slice(i), shell });
  }
  return out;
}

/** Values of flag `--name` in an argv (`--name v` and `--name=v`). */
export function flagValues(argv: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) out.push(argv[i + 1]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out;
}

/** Every string inside a value (for URL and secret scans). */
export function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Kubernetes CPU quantity in cores ("4", 4, "500m"). */
export function cpuCores(q: unknown): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}
