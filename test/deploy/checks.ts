/**
 * Structural checks of one Kubernetes example folder (deploy/kubernetes/...). Each problem starts
 * with a [tag] so the mutation tests can tell which check caught it.
 */
import { containersOf, cpuCores, flagValues, invocations, podOf, selects, shellCommands, strings, where, type Doc, type Obj } from './k8s.js';

/** The kinds these examples may use (a Secret never: the key is created by hand, see deploy/README.md). */
export const KINDS = new Set(['v1/Namespace', 'v1/ConfigMap', 'v1/Service', 'v1/PersistentVolumeClaim', 'v1/Pod', 'apps/v1/Deployment', 'batch/v1/Job', 'networking.k8s.io/v1/NetworkPolicy']);
const CLUSTER_SCOPED = new Set(['Namespace']);
const SECRETISH = /key|token|password|secret|credential/i;
/** Variables the Job controller sets in every pod of an Indexed Job. */
const JOB_ENV = new Set(['JOB_COMPLETION_INDEX']);

interface Workload {
  d: Doc;
  labels: Obj;
  spec: Obj;
}

const workloads = (docs: Doc[]): Workload[] => docs.flatMap((d) => {
  const p = podOf(d.doc);
  return p ? [{ d, ...p }] : [];
});

/** Containers with their `agentdyno` invocations, across all workloads. */
export function agentdynoContainers(docs: Doc[]) {
  return workloads(docs).flatMap((w) => containersOf(w.spec).map((c) => ({ w, c, inv: invocations(c) })));
}

export function checkExample(docs: Doc[], opts: { readme: string }): string[] {
  const p: string[] = [];
  const by = (kind: string) => docs.filter((d) => d.doc.kind === kind);

  // Identity, kinds, namespaces.
  const seen = new Set<string>();
  const namespaces = by('Namespace').map((d) => d.doc.metadata?.name);
  if (namespaces.length !== 1) p.push(`[namespace] expected one Namespace in the folder, found ${namespaces.length}`);
  for (const d of docs) {
    const { apiVersion, kind, metadata } = d.doc;
    if (!apiVersion || !kind || !metadata?.name) { p.push(`[shape] ${d.file}: a document lacks apiVersion, kind or metadata.name`); continue; }
    if (!KINDS.has(`${apiVersion}/${kind}`)) p.push(`[kind] ${where(d)}: ${apiVersion} ${kind} is not one of the expected kinds`);
    const id = `${kind}/${metadata.name}`;
    if (seen.has(id)) p.push(`[duplicate] ${where(d)} is defined twice`);
    seen.add(id);
    if (!CLUSTER_SCOPED.has(kind) && metadata.namespace !== namespaces[0]) p.push(`[namespace] ${where(d)}: namespace ${metadata.namespace} is not the folder's Namespace ${namespaces[0]}`);
  }

  const configMaps = new Map(by('ConfigMap').map((d) => [d.doc.metadata.name, d.doc.data ?? {}]));
  for (const [name, data] of configMaps) for (const [k, v] of Object.entries(data as Obj)) {
    if (SECRETISH.test(k) || /^(sk-|Bearer )/.test(String(v))) p.push(`[secret] ConfigMap ${name}: ${k} looks like a secret; secrets come from a Secret through secretKeyRef`);
  }
  const pvcs = new Set(by('PersistentVolumeClaim').map((d) => d.doc.metadata.name));
  const secretRefs = new Set<string>();

  // Pods: resources, privileges, env, volumes.
  for (const w of workloads(docs)) {
    const at = where(w.d);
    if (w.spec.hostNetwork || w.spec.hostPID || w.spec.hostIPC) p.push(`[privileged] ${at}: host namespaces`);
    const volumes = new Map<string, Obj>((w.spec.volumes ?? []).map((v: Obj) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.hostPath) p.push(`[privileged] ${at}: hostPath volume ${v.name}`);
      if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName)) p.push(`[volumes] ${at}: claim ${v.persistentVolumeClaim.claimName} is not defined in the folder`);
    }
    if (w.d.doc.kind !== 'Pod' && !selects(w.d.doc.spec?.selector?.matchLabels ?? (w.d.doc.kind === 'Job' ? w.labels : undefined), w.labels)) p.push(`[selector] ${at}: selector.matchLabels do not select the pod template's labels`);
    for (const c of containersOf(w.spec)) {
      const cat = `${at} container ${c.name}`;
      for (const part of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (c.resources?.[part]?.[r] === undefined) p.push(`[resources] ${cat}: no resources.${part}.${r}`);
      if (cpuCores(c.resources?.limits?.cpu) < cpuCores(c.resources?.requests?.cpu)) p.push(`[resources] ${cat}: cpu limit below its request`);
      const sc = c.securityContext ?? {};
      if (sc.privileged === true || sc.allowPrivilegeEscalation !== false || (sc.capabilities?.add ?? []).length) p.push(`[privileged] ${cat}: privileged, privilege escalation not turned off, or added capabilities`);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) p.push(`[volumes] ${cat}: mount ${m.name} has no volume`);
      for (const e of c.envFrom ?? []) if (e.secretRef) p.push(`[secret] ${cat}: envFrom a Secret (name each secret with secretKeyRef)`);
      const env = new Map<string, Obj>((c.env ?? []).map((e: Obj) => [e.name, e]));
      for (const e of env.values()) {
        if (e.value !== undefined && SECRETISH.test(e.name)) p.push(`[secret] ${cat}: env ${e.name} is a literal value; take it from a Secret with secretKeyRef`);
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm && !cm.optional && !(cm.key in (configMaps.get(cm.name) ?? {}))) p.push(`[env-ref] ${cat}: env ${e.name} reads ConfigMap ${cm.name} key ${cm.key}, which the folder does not define`);
        const sk = e.valueFrom?.secretKeyRef;
        if (sk) secretRefs.add(`${sk.name}/${sk.key}`);
      }
      const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
      for (const s of argv) for (const m of s.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!env.has(m[1])) p.push(`[env-ref] ${cat}: $(${m[1]}) is not in the container's env (Kubernetes would pass it literally)`);
      if (argv[0] === 'sh' && argv[1] === '-c') {
        for (const words of shellCommands(argv.slice(2).join('\n'))) for (const word of words) for (const m of word.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)) {
          if (!env.has(m[1]) && !(JOB_ENV.has(m[1]) && w.d.doc.spec?.completionMode === 'Indexed')) p.push(`[env-ref] ${cat}: $${m[1]} is not in the container's env`);
        }
      }
      for (const inv of invocations(c)) for (const name of flagValues(inv.argv, 'api-key-env')) {
        if (!env.get(name)?.valueFrom?.secretKeyRef) p.push(`[secret] ${cat}: --api-key-env ${name} names a variable not taken from a Secret with secretKeyRef`);
      }
    }
  }
  for (const ref of secretRefs) {
    const [name, key] = ref.split('/');
    if (!new RegExp(`create secret generic ${name}\\b[^\\n]*--from-literal=${key}=`).test(opts.readme)) p.push(`[secret] secretKeyRef ${ref}: deploy/README.md does not say how to create it (kubectl create secret generic ${name} --from-literal=${key}=...)`);
  }

  // Services and network policies select real pods.
  const ws = workloads(docs);
  const services = by('Service');
  for (const s of services) {
    const targets = ws.filter((w) => w.d.doc.kind === 'Deployment' && selects(s.doc.spec?.selector, w.labels));
    if (!targets.length) { p.push(`[selector] ${where(s)}: its selector matches no Deployment's pod labels`); continue; }
    for (const port of s.doc.spec?.ports ?? []) {
      const tp = port.targetPort ?? port.port;
      const ok = targets.every((t) => containersOf(t.spec).some((c) => (c.ports ?? []).some((cp: Obj) => cp.name === tp || cp.containerPort === tp)));
      if (!ok) p.push(`[selector] ${where(s)}: targetPort ${tp} is no container port of the pods it selects`);
    }
  }
  const redisUsers = agentdynoContainers(docs).filter((x) => strings([x.c.command, x.c.args]).some((s) => s.includes('redis://'))).map((x) => x.w);
  for (const np of by('NetworkPolicy')) {
    if (!ws.some((w) => selects(np.doc.spec?.podSelector?.matchLabels, w.labels))) p.push(`[selector] ${where(np)}: podSelector matches no pod`);
    const froms = (np.doc.spec?.ingress ?? []).flatMap((r: Obj) => r.from ?? []);
    for (const u of redisUsers) if (!froms.some((f: Obj) => selects(f.podSelector?.matchLabels, u.labels))) p.push(`[selector] ${where(np)}: does not admit ${where(u.d)}, which connects to Redis`);
  }

  // Every redis:// URL names a Service of the folder on its port.
  for (const d of docs) {
    const texts = d.doc.kind === 'ConfigMap' ? strings(d.doc.data) : workloads([d]).flatMap((w) => containersOf(w.spec).flatMap((c) => strings([c.command, c.args, c.env])));
    for (const t of texts) for (const m of t.matchAll(/redis:\/\/[^\s"']+/g)) {
      let u: URL | null = null;
      try { u = new URL(m[0]); } catch { /* reported below */ }
      const host = u?.hostname.split('.') ?? [];
      const svc = services.find((s) => s.doc.metadata.name === host[0] && (host.length === 1 || host[1] === s.doc.metadata.namespace));
      if (!u || !svc || !(svc.doc.spec?.ports ?? []).some((sp: Obj) => String(sp.port) === (u!.port || '6379'))) p.push(`[redis] ${where(d)}: ${m[0]} is not a Service of this folder on its port`);
    }
  }

  // Load pods get whole cores and spread over nodes.
  for (const x of agentdynoContainers(docs)) {
    const load = x.inv.some((i) => i.command[0] === 'worker' || (i.command[0] === 'replay' && flagValues(i.argv, 'shard').length));
    if (!load) continue;
    const at = `${where(x.w.d)} container ${x.c.name}`;
    const req = x.c.resources?.requests ?? {};
    const lim = x.c.resources?.limits ?? {};
    const cores = cpuCores(req.cpu);
    if (!Number.isInteger(cores) || cores < 1 || cpuCores(lim.cpu) !== cores || String(lim.memory) !== String(req.memory)) p.push(`[load-cpu] ${at}: a load pod needs whole cores with requests == limits (Guaranteed QoS), got cpu ${req.cpu}/${lim.cpu}, memory ${req.memory}/${lim.memory}`);
    for (const i of x.inv) for (const k of flagValues(i.argv, 'workers')) if (!(Number(k) >= 1 && Number(k) <= cores)) p.push(`[load-cpu] ${at}: --workers ${k} is more threads than the ${req.cpu} cores requested`);
    const spread = (x.w.spec.topologySpreadConstraints ?? []).some((t: Obj) => t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector?.matchLabels, x.w.labels));
    const anti = [...(x.w.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(x.w.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => t.podAffinityTerm)]
      .some((t: Obj) => t?.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector?.matchLabels, x.w.labels));
    if (!spread && !anti) p.push(`[spread] ${at}: no topology spread or anti-affinity over kubernetes.io/hostname selecting its own pods`);
  }
  return p;
}

/** The Redis sweep: N workers in an Indexed Job and a coordinator expecting exactly N. */
export function checkRedisSweep(docs: Doc[]): string[] {
  const p: string[] = [];
  const all = agentdynoContainers(docs);
  const workers = all.filter((x) => x.inv.some((i) => i.command[0] === 'worker'));
  const coords = all.filter((x) => x.inv.some((i) => i.command[0] === 'sweep' && flagValues(i.argv, 'redis').length));
  if (new Set(workers.map((x) => x.w)).size !== 1 || coords.length !== 1) return [`[workers] expected one worker Job and one coordinator, found ${workers.length} and ${coords.length}`];
  const job = workers[0].w.d.doc;
  const spec = job.spec ?? {};
  if (job.kind !== 'Job' || spec.completionMode !== 'Indexed') p.push(`[workers] ${where(workers[0].w.d)}: the workers must be an Indexed Job`);
  if (!Number.isInteger(spec.completions) || spec.completions !== spec.parallelism) p.push(`[workers] ${where(workers[0].w.d)}: completions (${spec.completions}) must equal parallelism (${spec.parallelism}): every worker runs at once`);
  const coord = coords[0].inv.find((i) => i.command[0] === 'sweep')!;
  const expect = flagValues(coord.argv, 'expect-workers');
  if (expect.length !== 1 || Number(expect[0]) !== spec.completions) p.push(`[workers] coordinator --expect-workers ${expect.join(',')} is not the worker Job's ${spec.completions} pods`);
  const urls = new Set([...workers.flatMap((x) => x.inv.flatMap((i) => flagValues(i.argv, 'redis'))), ...flagValues(coord.argv, 'redis')]);
  if (urls.size !== 1) p.push(`[redis] the workers and the coordinator use different Redis URLs: ${[...urls].join(', ')}`);
  return p;
}

/** The sharded replay: K Indexed shards of one level, merged from K databases. */
export function checkShards(docs: Doc[]): string[] {
  const p: string[] = [];
  const all = agentdynoContainers(docs);
  for (const x of all) for (const i of x.inv) {
    for (const s of i.command[0] === 'replay' ? flagValues(i.argv, 'shard') : []) {
      const m = /^auto\/(\d+)$/.exec(s);
      const spec = x.w.d.doc.spec ?? {};
      if (!m) { p.push(`[shards] ${where(x.w.d)}: --shard ${s}: in a Job use auto/K (the index comes from JOB_COMPLETION_INDEX)`); continue; }
      const k = Number(m[1]);
      if (x.w.d.doc.kind !== 'Job' || spec.completionMode !== 'Indexed' || spec.completions !== k || spec.parallelism !== k) p.push(`[shards] ${where(x.w.d)}: --shard auto/${k} needs an Indexed Job with completions == parallelism == ${k} (got ${spec.completionMode} ${spec.completions}/${spec.parallelism})`);
      if (!(Number(flagValues(i.argv, 'concurrency')[0]) >= k)) p.push(`[shards] ${where(x.w.d)}: --concurrency must be at least the ${k} shards`);
      if (!flagValues(i.argv, 'start-at').length) p.push(`[shards] ${where(x.w.d)}: shards need a common --start-at`);
      for (const y of all) for (const j of y.inv) if (j.command.join(' ') === 'results merge') {
        const from = flagValues(j.argv, 'from').map((f) => /shard-(\d+)\.db$/.exec(f)?.[1]).map(Number).sort((a, b) => a - b);
        if (from.join() !== Array.from({ length: k }, (_, n) => n).join()) p.push(`[shards] ${where(y.w.d)}: results merge reads shards ${from.join(',')}, not 0..${k - 1}`);
      }
    }
  }
  return p;
}
