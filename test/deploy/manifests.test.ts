/**
 * The Kubernetes examples in deploy/kubernetes/ (DESIGN 7): parse every manifest, validate it
 * against the Kubernetes JSON schemas (kubernetes-models, offline) and check the structure a user
 * would otherwise find broken only on a cluster: Indexed worker Job sized like the coordinator's
 * --expect-workers, Redis URLs that reach the Redis Service, resources and no privileges, secrets
 * only through secretKeyRef, selectors that select, and every agentdyno flag known to its command.
 * The mutation tests at the end show each check fails on the mistake it is for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigMap, Namespace, PersistentVolumeClaim, Pod, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { agentdynoContainers, checkExample, checkRedisSweep, checkShards } from './checks.js';
import { loadExamples, where, type Doc, type Obj } from './k8s.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const K8S = join(ROOT, 'deploy', 'kubernetes');
const examples = loadExamples(K8S);
const readme = readFileSync(join(ROOT, 'deploy', 'README.md'), 'utf8');
const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
const REDIS_SWEEP = K8S;
const SHARDED = join(K8S, 'sharded-replay');

// Model classes validate against the Kubernetes OpenAPI schemas (required fields, types, enums).
const MODELS: Record<string, new (d: Obj) => { validate(): void }> = {
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'v1/PersistentVolumeClaim': PersistentVolumeClaim, 'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment, 'batch/v1/Job': Job, 'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** The worker command lands with the Redis scale-out branch; until then its flags (and sweep's Redis flags) cannot be read. */
const PENDING = { file: 'src/commands/worker.ts', commands: ['worker'], flags: { sweep: ['redis', 'expect-workers'] } as Record<string, string[]> };
const pendingActive = !existsSync(join(ROOT, PENDING.file));

interface FlagSpec { type: 'boolean' | 'option'; multiple?: boolean; options?: readonly string[]; allowNo?: boolean; char?: string }

async function commandFlags(command: string[]): Promise<{ flags: Record<string, FlagSpec>; takesArgs: boolean } | null> {
  const rel = `src/commands/${command.join('/')}.ts`;
  if (!existsSync(join(ROOT, rel))) return null;
  const mod = (await import(/* @vite-ignore */ join(ROOT, rel))) as { default: { flags?: Record<string, FlagSpec>; baseFlags?: Record<string, FlagSpec>; enableJsonFlag?: boolean; args?: object } };
  const C = mod.default;
  const flags: Record<string, FlagSpec> = { ...(C.baseFlags ?? {}), ...(C.flags ?? {}) };
  if (C.enableJsonFlag) flags.json = { type: 'boolean' };
  return { flags, takesArgs: Object.keys(C.args ?? {}).length > 0 };
}

/** Problems of one invocation's argv against its command's flags; [] when the command is pending. */
async function checkFlags(at: string, command: string[], argv: readonly string[], notes: string[]): Promise<string[]> {
  const p: string[] = [];
  const cmd = await commandFlags(command);
  const key = command.join(' ');
  if (!cmd) {
    if (pendingActive && PENDING.commands.includes(key)) { notes.push(`${at}: agentdyno ${key} (${PENDING.file} is missing)`); return []; }
    return [`[flag] ${at}: agentdyno ${key} is not a command (no src/commands/${command.join('/')}.ts)`];
  }
  const counts = new Map<string, number>();
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (!tok.startsWith('-')) { if (!cmd.takesArgs) p.push(`[flag] ${at}: agentdyno ${key} takes no argument "${tok}"`); continue; }
    if (!tok.startsWith('--')) { p.push(`[flag] ${at}: write the long flag, not ${tok}`); continue; }
    const [name, inline] = tok.slice(2).split(/=(.*)/s);
    const pending = pendingActive && (PENDING.flags[key] ?? []).includes(name);
    let spec: FlagSpec | undefined = cmd.flags[name];
    if (!spec && name.startsWith('no-') && cmd.flags[name.slice(3)]?.allowNo) spec = { type: 'boolean' };
    if (!spec && pending) { notes.push(`${at}: agentdyno ${key} --${name} (${PENDING.file} is missing)`); spec = { type: 'option' }; }
    if (!spec) {
      p.push(`[flag] ${at}: agentdyno ${key} has no flag --${name}`);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++; // its value, most likely
      continue;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (counts.get(name) === 2 && !spec.multiple) p.push(`[flag] ${at}: --${name} given twice`);
    if (spec.type === 'boolean') { if (inline !== undefined) p.push(`[flag] ${at}: --${name} takes no value`); continue; }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) { p.push(`[flag] ${at}: --${name} needs a value`); continue; }
    if (spec.options && !value.includes('$') && !spec.options.includes(value)) p.push(`[flag] ${at}: --${name} ${value} is not one of ${spec.options.join(', ')}`);
  }
  return p;
}

async function flagProblems(docs: Doc[], notes: string[] = []): Promise<string[]> {
  const p: string[] = [];
  for (const x of agentdynoContainers(docs)) for (const inv of x.inv) p.push(...(await checkFlags(`${where(x.w.d)} container ${x.c.name}`, inv.command, inv.argv, notes)));
  return p;
}

const docsOf = (dir: string) => {
  const e = examples.get(dir);
  if (!e) throw new Error(`no manifests in ${dir}`);
  return e.docs;
};
const clone = (docs: Doc[]) => docs.map((d) => ({ file: d.file, doc: structuredClone(d.doc) }));
const find = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.doc.kind === kind && d.doc.metadata.name === name)!.doc;

describe('deploy/kubernetes manifests', () => {
  it('holds the two examples: the Redis sweep and the sharded replay', () => {
    expect([...examples.keys()].sort()).toEqual([REDIS_SWEEP, SHARDED].sort());
  });

  it('validates every document against the Kubernetes schemas', () => {
    const problems: string[] = [];
    for (const { docs } of examples.values()) for (const d of docs) {
      const M = MODELS[`${d.doc.apiVersion}/${d.doc.kind}`];
      if (!M) { problems.push(`${where(d)}: unexpected kind`); continue; }
      try { new M(d.doc).validate(); } catch (e) { problems.push(`${where(d)}: ${(e as Error).message}`); }
    }
    expect(problems).toEqual([]);
  });

  for (const dir of [REDIS_SWEEP, SHARDED]) {
    it(`${dir.slice(ROOT.length + 1)}: structure (kinds, namespace, resources, privileges, secrets, selectors, Redis URLs, load pods)`, () => {
      expect(checkExample(docsOf(dir), { readme })).toEqual([]);
    });

    it(`${dir.slice(ROOT.length + 1)}: kustomization lists every manifest but those applied later`, () => {
      const e = examples.get(dir)!;
      const listed: string[] = e.kustomization?.resources ?? [];
      const problems = listed.filter((f) => !e.files.includes(f)).map((f) => `listed but missing: ${f}`);
      for (const f of e.files) if (!listed.includes(f) && !readFileSync(join(dir, f), 'utf8').startsWith('# Apply after')) problems.push(`${f}: neither in kustomization.yaml nor marked "# Apply after ..."`);
      expect(problems).toEqual([]);
    });
  }

  it('the Redis sweep: an Indexed Job of N workers, the coordinator expecting N, one Redis URL', () => {
    expect(checkRedisSweep(docsOf(REDIS_SWEEP))).toEqual([]);
  });

  it('the sharded replay: K Indexed shards with a common start, merged from shards 0..K-1', () => {
    expect(checkShards(docsOf(SHARDED))).toEqual([]);
  });

  it('every agentdyno flag in the manifests exists on its command', async () => {
    const notes: string[] = [];
    const problems = [...(await flagProblems(docsOf(REDIS_SWEEP), notes)), ...(await flagProblems(docsOf(SHARDED), notes))];
    // Visible in the test output until the Redis scale-out branch (src/commands/worker.ts) is merged.
    for (const n of notes) console.log(`SKIPPED: flag check of ${n}`);
    expect(problems).toEqual([]);
  });

  it('one agentdyno image everywhere, the one deploy/README.md builds, from the files the npm package ships', () => {
    const images = new Set(agentdynoContainers([...examples.values()].flatMap((e) => e.docs)).filter((x) => x.inv.length || x.c.name === 'reader').map((x) => x.c.image));
    expect(images.size).toBe(1);
    const [image] = images;
    expect(readme).toContain(`docker build -f deploy/Dockerfile -t ${image} .`);
    expect(dockerfile).toMatch(/^FROM node:20-slim\b/m);
    const missing = pkg.files.filter((f) => f !== 'dist' && !new RegExp(`^COPY ${f} \\./${f}$`, 'm').test(dockerfile));
    expect(missing).toEqual([]);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    // The trajectories the ConfigMaps name are in the image (/app is the package root).
    for (const { docs } of examples.values()) for (const d of docs) if (d.doc.kind === 'ConfigMap' && d.doc.data?.TRAJECTORIES) {
      const rel = String(d.doc.data.TRAJECTORIES).replace(/^\/app\//, '');
      expect(existsSync(join(ROOT, rel)) && pkg.files.some((f) => rel.startsWith(`${f}/`))).toBe(true);
    }
  });
});

describe('the checks catch the mistakes they are for', () => {
  const tags = (p: string[]) => [...new Set(p.map((s) => /^\[([a-z-]+)\]/.exec(s)?.[1]))].sort();

  it('the schema validation: a string where an integer goes, a container without a name', () => {
    const a = clone(docsOf(REDIS_SWEEP));
    find(a, 'Deployment', 'redis').spec.replicas = 'one';
    expect(() => new Deployment(find(a, 'Deployment', 'redis')).validate()).toThrow();
    delete find(a, 'Job', 'agentdyno-worker').spec.template.spec.containers[0].name;
    expect(() => new Job(find(a, 'Job', 'agentdyno-worker')).validate()).toThrow();
  });

  it('a worker count that disagrees with --expect-workers, or a non-Indexed / partly parallel worker Job', () => {
    const a = clone(docsOf(REDIS_SWEEP));
    find(a, 'Job', 'agentdyno-worker').spec.completions = 5;
    expect(tags(checkRedisSweep(a))).toEqual(['workers']);
    const b = clone(docsOf(REDIS_SWEEP));
    delete find(b, 'Job', 'agentdyno-worker').spec.completionMode;
    expect(tags(checkRedisSweep(b))).toEqual(['workers']);
  });

  it('a Redis URL with the wrong host or port', () => {
    for (const url of ['redis://redis:6380', 'redis://redis-master:6379']) {
      const a = clone(docsOf(REDIS_SWEEP));
      const args: string[] = find(a, 'Job', 'agentdyno-worker').spec.template.spec.containers[0].args;
      args[args.indexOf('--redis') + 1] = url;
      expect(tags(checkExample(a, { readme }))).toContain('redis');
    }
  });

  it('a container without limits, a privileged one, and a load pod without whole cores or spread', () => {
    const a = clone(docsOf(REDIS_SWEEP));
    const spec = find(a, 'Job', 'agentdyno-worker').spec.template.spec;
    delete spec.containers[0].resources.limits;
    find(a, 'Deployment', 'redis').spec.template.spec.containers[0].securityContext.privileged = true;
    expect(tags(checkExample(a, { readme }))).toEqual(['load-cpu', 'privileged', 'resources']);
    const b = clone(docsOf(REDIS_SWEEP));
    const sb = find(b, 'Job', 'agentdyno-worker').spec.template.spec;
    sb.containers[0].resources.requests.cpu = '3500m';
    sb.containers[0].resources.limits.cpu = '3500m';
    delete sb.topologySpreadConstraints;
    expect(tags(checkExample(b, { readme }))).toEqual(['load-cpu', 'spread']);
  });

  it('a literal API key, a key variable not from a Secret, and a Secret the README does not create', () => {
    const a = clone(docsOf(REDIS_SWEEP));
    const env: Obj[] = find(a, 'Job', 'agentdyno-coordinator').spec.template.spec.containers[0].env;
    env.splice(env.findIndex((e) => e.name === 'AGENTDYNO_API_KEY'), 1, { name: 'AGENTDYNO_API_KEY', value: 'sk-test' });
    expect(tags(checkExample(a, { readme }))).toEqual(['secret']);
    expect(tags(checkExample(docsOf(REDIS_SWEEP), { readme: '' }))).toEqual(['secret']);
  });

  it('a Service whose selector misses the Redis pods, and an unresolved $(VAR)', () => {
    const a = clone(docsOf(REDIS_SWEEP));
    find(a, 'Service', 'redis').spec.selector['app.kubernetes.io/component'] = 'cache';
    find(a, 'Job', 'agentdyno-coordinator').spec.template.spec.containers[0].args.push('--seed', '$(SEED)');
    expect(tags(checkExample(a, { readme }))).toEqual(['env-ref', 'selector']);
  });

  it('a shard count that is not the Job size, and a merge that misses a shard', () => {
    const a = clone(docsOf(SHARDED));
    find(a, 'Job', 'agentdyno-shard').spec.parallelism = 2;
    expect(tags(checkShards(a))).toEqual(['shards']);
    const b = clone(docsOf(SHARDED));
    const script: string[] = find(b, 'Job', 'agentdyno-merge').spec.template.spec.containers[0].args;
    script[0] = script[0].replace('--from /tmp/shard-3.db ', '');
    expect(tags(checkShards(b))).toEqual(['shards']);
  });

  it('an unknown flag, a flag missing its value, and a value outside its options', async () => {
    const a = clone(docsOf(SHARDED));
    const c = find(a, 'Job', 'agentdyno-shard').spec.template.spec.containers[0];
    c.args[0] = String(c.args[0]).replace('--window 300', '--windw 300 --api chatt --quick 1');
    const p = await flagProblems(a);
    expect(p.length).toBe(3);
    expect(tags(p)).toEqual(['flag']);
  });
});
