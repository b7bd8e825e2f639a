import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentdynoError, monotonicClock } from '../core/index.js';
import { stepCgroup, type CapKind } from './cgroup.js';
import { BRIDGE_AT, openLoopbackBridge } from './loopback.js';
import { treeUsage } from './safe-read.js';

/** Why a step failed. `null` in results means it succeeded. */
export type FailureClass =
  | 'timeout'
  | 'oom'
  | 'crash'
  | 'build_error'
  | 'wrong_answer'
  | 'sandbox_violation'
  | 'process_limit'
  | 'output_limit'
  | 'measure_error'
  | 'harness_modified'
  | 'not_editable'
  | 'invalid_proposal';

export type Phase = 'build' | 'check' | 'measure' | 'verify' | 'solution';

export interface Limits {
  wallSec: number;
  /** Whole process tree under a cgroup (see cgroup.ts); per process (RLIMIT_AS) where no cgroup can be made. */
  memoryMb: number;
  /** Processes (threads count too): pids.max of the step's cgroup, and RLIMIT_NPROC of the sandbox user. */
  nproc: number;
  /** Per stream; beyond it the step is killed and classed `output_limit`. */
  outputBytes: number;
  /** Largest file the step may write (RLIMIT_FSIZE). */
  fileMb: number;
  /** Size of the sandbox's /tmp and /dev/shm (tmpfs; counted in the memory cap where a cgroup exists). */
  tmpMb: number;
  /** CPU quota (task.toml [environment].cpus) where a cgroup cpu controller exists. */
  cpus?: number;
  /**
   * The workspace is host disk: its total size (and entry count) is watched during the step and the
   * step killed beyond this (`output_limit`); RLIMIT_FSIZE (`fileMb`) bounds each file in between polls.
   */
  workspaceMb: number;
}

export const DEFAULT_LIMITS: Limits = { wallSec: 60, memoryMb: 1024, nproc: 256, outputBytes: 1 << 20, fileMb: 512, tmpMb: 256, workspaceMb: 1024 };

export type SandboxMode = 'bwrap' | 'none (unsafe)';

export interface ExecResult {
  command: string;
  phase: Phase;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  outputTruncated: boolean;
  stdout: string;
  stderr: string;
  /** Host-timed: spawn to exit of the sandbox, on the monotonic clock (the candidate cannot alter it). */
  wallMs: number;
  sandbox: SandboxMode;
  failure: FailureClass | null;
  /** How memory was capped for this step (cgroup for the whole tree, or prlimit per process). */
  memoryCap?: CapKind;
}

/** The uid untrusted code runs as when agentdyno itself runs as root (root ignores RLIMIT_NPROC). */
export const SANDBOX_UID = 65534;

let bwrapCache: string | null | undefined;

/**
 * Path of a working bubblewrap, or null (probed once: it must be able to start a sandbox here).
 * Test hook: AGENTDYNO_TEST_NO_BWRAP=1 makes it report none (simulates a machine without bubblewrap).
 */
export function findBwrap(): string | null {
  if (process.env.AGENTDYNO_TEST_NO_BWRAP === '1') return null;
  if (bwrapCache !== undefined) return bwrapCache;
  bwrapCache = null;
  for (const p of ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']) {
    if (!fs.existsSync(p)) continue;
    const r = spawnSync(p, [...unshareFlags('none'), '--die-with-parent', ...systemBinds(), '--dev', '/dev', '--proc', '/proc', 'true'], { timeout: 10_000, stdio: 'ignore' });
    if (r.status === 0) {
      bwrapCache = p;
      break;
    } // else present but unusable (no user namespaces): treated as absent
  }
  return bwrapCache;
}

/** Resolves the sandbox to use, refusing to run untrusted code without one unless told to. */
export function chooseSandbox(unsafeNoSandbox: boolean): SandboxMode {
  if (findBwrap()) return 'bwrap';
  if (unsafeNoSandbox) return 'none (unsafe)';
  throw new AgentdynoError('bubblewrap (bwrap) is not available, so proposals cannot be run in a sandbox.', { code: 'E_SANDBOX_UNAVAILABLE', where: '/usr/bin/bwrap',
    hint: 'Install bubblewrap (apt-get install bubblewrap) or, only on a throwaway machine, pass --unsafe-no-sandbox.',
  });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `none`: a new network namespace (loopback only, nothing of the host's). `host`: the task declares
 * allow_internet = true, so the host's network is kept.
 * Running as root we stay in the host user namespace so we can drop to SANDBOX_UID; otherwise a new one.
 */
export type Network = 'none' | 'host';
function unshareFlags(net: Network): string[] {
  if (isRoot()) return ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', ...(net === 'none' ? ['--unshare-net'] : [])];
  return ['--unshare-all', ...(net === 'host' ? ['--share-net'] : [])];
}

/** Makes a workspace writable by the sandbox user (only needed when running as root). Never follows links (-h). */
export function prepareWorkspaceOwner(dir: string, sandbox: SandboxMode): void {
  if (sandbox !== 'bwrap' || !isRoot()) return;
  spawnSync('chown', ['-R', '-h', `${SANDBOX_UID}:${SANDBOX_UID}`, dir], { stdio: 'ignore' });
}

export interface Bind {
  src: string;
  dest: string;
  /** Mounted read-only (Harbor's /tests, /solution). */
  readOnly?: boolean;
}

/** Top-level system folders a build needs (read-only): the toolchain lives under /usr (and /usr/local). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** The minimal /etc: dynamic loader, alternatives (cc, python3 links), users, name service, time zone. */
const ETC_ENTRIES = ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'passwd', 'group', 'nsswitch.conf', 'hosts', 'localtime', 'timezone', 'os-release', 'debian_version', 'mime.types', 'protocols', 'services'];

/** bwrap arguments that build the sandbox's root from the system folders only (never / or a home). */
export function systemBinds(): string[] {
  const out: string[] = [];
  for (const p of SYSTEM_DIRS) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push('--symlink', fs.readlinkSync(p), p); // merged /usr: /bin -> usr/bin
    else if (st.isDirectory()) out.push('--ro-bind', p, p);
  }
  out.push('--dir', '/etc');
  for (const e of ETC_ENTRIES) out.push('--ro-bind-try', `/etc/${e}`, `/etc/${e}`);
  return out;
}

/**
 * Read-only binds an agent CLI needs beyond the system folders: the project's node_modules (SDKs,
 * npm-installed CLIs), NODE_PATH entries, and regular files the command names by absolute path (its
 * script). Never a folder the command names: that could be the repo with the tasks' private solutions.
 */
export function agentToolBinds(cmd: string, cwd = process.cwd(), env: Record<string, string> = {}): Bind[] {
  const out = new Map<string, Bind>();
  const add = (p: string, dirOk: boolean) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (SYSTEM_DIRS.some((d) => p === d || p.startsWith(`${d}/`))) return; // already there
    if (st.isFile() || (dirOk && st.isDirectory())) out.set(p, { src: p, dest: p, readOnly: true });
  };
  add(path.join(cwd, 'node_modules'), true);
  for (const p of (process.env.NODE_PATH ?? '').split(':').filter((x) => path.isAbsolute(x))) add(p, true);
  for (const tok of cmd.match(/\/[^\s'"]+/g) ?? []) add(tok, false);
  // A binary the user named through the agent env (a preset's AGENTDYNO_*_BIN; never prompt text): a node_modules/.bin link
  // needs its whole node_modules (the link's target and the native package beside it).
  for (const v of Object.values(env)) {
    if (!path.isAbsolute(v)) continue;
    const nm = v.lastIndexOf('/node_modules/');
    if (nm >= 0) add(v.slice(0, nm + '/node_modules'.length), true);
    else add(v, false);
  }
  return [...out.values()];
}

/** NVIDIA device nodes, bound for tasks that need a GPU (and only for them). */
export function gpuDeviceBinds(): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync('/dev').filter((n) => /^nvidia(\d+|ctl|-uvm|-uvm-tools|-modeset)$/.test(n));
  } catch {
    /* no /dev listing */
  }
  const out = names.flatMap((n) => ['--dev-bind', `/dev/${n}`, `/dev/${n}`]);
  if (fs.existsSync('/dev/dri')) out.push('--dev-bind', '/dev/dri', '/dev/dri');
  return out;
}

export interface SandboxSpec {
  binds?: Bind[];
  /** Harbor tasks: mount the workspace here (e.g. /app) and run there; binds must be top-level paths. */
  mountWorkspaceAt?: string;
  network?: Network;
  gpu?: boolean;
  /**
   * With network 'none': the step may reach these host loopback ports and nothing else (for agent
   * CLIs talking to an agentdyno proxy; loopback.ts). Ignored without bwrap (unsafe mode has the host network).
   */
  loopbackPorts?: number[];
}

/** argv that runs `sh -c command` in the workspace with the limits applied. */
export function sandboxArgv(command: string, workspace: string, limits: Limits, sandbox: SandboxMode, spec: SandboxSpec = {}, perProcessMemory = true, nprocRlimit = limits.nproc): string[] {
  const prlimit = [
    'prlimit',
    // Per-process address space only where no cgroup caps the tree (it breaks CUDA's large mappings).
    ...(perProcessMemory ? [`--as=${Math.round(limits.memoryMb * 1024 * 1024)}`] : []),
    `--nproc=${nprocRlimit}`,
    `--fsize=${Math.round(limits.fileMb * 1024 * 1024)}`,
    '--core=0',
    '--',
  ];
  const sh = ['sh', '-c', command];
  if (sandbox === 'none (unsafe)') return [...prlimit, ...sh];
  const drop = isRoot() ? ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups'] : [];
  const at = spec.mountWorkspaceAt ?? workspace;
  // bwrap makes missing parents of a mount point 0700 root: the sandbox user could not get through.
  const made = new Set(['/', '/tmp', ...SYSTEM_DIRS]);
  const parents = (dest: string): string[] => {
    const out: string[] = [];
    for (let d = path.posix.dirname(dest); !made.has(d) && d !== '/'; d = path.posix.dirname(d)) out.unshift(d);
    for (const d of out) made.add(d);
    return out.flatMap((d) => ['--perms', '0755', '--dir', d]);
  };
  const wsParents = parents(at);
  const bindArgs = (spec.binds ?? []).flatMap((b) => [...parents(b.dest), b.readOnly ? '--ro-bind' : '--bind', b.src, b.dest]);
  const tmpBytes = String(Math.round(limits.tmpMb * 1024 * 1024));
  return [
    findBwrap() ?? 'bwrap',
    ...unshareFlags(spec.network ?? 'none'),
    '--die-with-parent',
    '--new-session',
    ...systemBinds(),
    // tmpfs first: binds below may live under /tmp and must stay visible.
    '--perms', '1777', '--size', tmpBytes, '--tmpfs', '/tmp',
    ...wsParents,
    '--bind', workspace, at,
    ...bindArgs,
    '--dev', '/dev',
    '--perms', '1777', '--size', tmpBytes, '--tmpfs', '/dev/shm',
    ...(spec.gpu ? gpuDeviceBinds() : []),
    '--proc', '/proc',
    '--remount-ro', '/',
    '--chdir', at,
    ...prlimit,
    ...drop,
    ...sh,
  ];
}

export interface RunOptions extends SandboxSpec {
  phase: Phase;
  limits?: Partial<Limits>;
  sandbox: SandboxMode;
  env?: Record<string, string>;
}

/**
 * Runs one build/check/measure command. Never throws for the command's own failure: see `failure`.
 * stdout/stderr go to files agentdyno opened (in a folder the sandbox cannot see), owned by the
 * sandbox user, so `tee /dev/stderr` works inside (a socket pair would not reopen) and nothing the
 * step does can swap them. Output beyond `outputBytes` kills the step (`output_limit`).
 *
 * Network: `network: 'none'` is a fresh namespace; `loopbackPorts` lets it reach only those host
 * loopback ports (loopback.ts), e.g. an agentdyno proxy for an agent CLI.
 */
export async function runStep(command: string, workspace: string, opts: RunOptions): Promise<ExecResult> {
  const bridged = opts.sandbox === 'bwrap' && (opts.network ?? 'none') === 'none' && opts.loopbackPorts?.length;
  if (!bridged) return runStepOnce(command, workspace, opts);
  const bridge = await openLoopbackBridge(opts.loopbackPorts!, isRoot() ? SANDBOX_UID : null);
  try {
    const r = await runStepOnce(bridge.wrap(command), workspace, { ...opts, binds: [...(opts.binds ?? []), { src: bridge.dir, dest: BRIDGE_AT, readOnly: true }] });
    return { ...r, command };
  } finally {
    await bridge.close();
  }
}

async function runStepOnce(command: string, workspace: string, opts: RunOptions): Promise<ExecResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const cg = stepCgroup(limits.memoryMb, limits.nproc, limits.cpus);
  // With pids.max on the step's tree, RLIMIT_NPROC (per user, machine-wide: every sandbox shares uid
  // 65534) is only a backstop, so parallel steps do not starve each other of processes.
  const inner = sandboxArgv(command, workspace, limits, opts.sandbox, opts, cg.kind === 'prlimit-per-process', cg.pidsCapped ? Math.max(limits.nproc, 4096) : limits.nproc);
  // The wrapper joins the cgroup(s) and then becomes the sandbox, so every descendant is inside.
  const argv = cg.procs.length ? ['sh', '-c', 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"', 'sh', String(cg.procs.length), ...cg.procs, ...inner] : inner;
  const io = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-io-'));
  fs.chmodSync(io, 0o700);
  const outFile = path.join(io, 'stdout');
  const errFile = path.join(io, 'stderr');
  const outFd = fs.openSync(outFile, 'w+', 0o600);
  const errFd = fs.openSync(errFile, 'w+', 0o600);
  if (opts.sandbox === 'bwrap' && isRoot()) {
    fs.fchownSync(outFd, SANDBOX_UID, SANDBOX_UID);
    fs.fchownSync(errFd, SANDBOX_UID, SANDBOX_UID);
  }
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: opts.mountWorkspaceAt ?? workspace,
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    ...opts.env,
  };
  const t0 = monotonicClock.nowMs();
  let timedOut = false;
  let truncated = false;
  // detached: own process group, so a timeout kills everything the step started (unsafe mode
  // relies on it; under bwrap the pid namespace dies with its first process, the cgroup is emptied).
  const child = spawn(argv[0], argv.slice(1), { cwd: workspace, env, detached: true, stdio: ['ignore', outFd, errFd] });
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, limits.wallSec * 1000);
  let ticks = 0;
  let walkEvery = 1;
  let diskFull: string | null = null;
  const watch = setInterval(() => {
    try {
      if (fs.fstatSync(outFd).size > limits.outputBytes || fs.fstatSync(errFd).size > limits.outputBytes) {
        truncated = true;
        killGroup();
      }
    } catch {
      /* closed */
    }
    // The workspace cap is polled (no quota without root): every tick while a walk is cheap, so a fast
    // writer overshoots by at most ~100 ms of writes; every third tick once walks get expensive.
    if (++ticks % walkEvery === 0) {
      const w0 = Date.now();
      const u = treeUsage(workspace, 100_000);
      walkEvery = Date.now() - w0 > 10 ? 3 : 1;
      if (u.bytes > limits.workspaceMb * 1024 * 1024 || u.entries > 100_000) {
        diskFull = `workspace grew past its cap (${Math.round(u.bytes / 1048576)} MB, ${u.entries} entries; cap ${limits.workspaceMb} MB, 100000 entries)`;
        killGroup();
      }
    }
  }, 100);
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('error', () => resolve({ code: 127, signal: null }));
    child.on('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = monotonicClock.nowMs() - t0;
  clearTimeout(timer);
  clearInterval(watch);
  killGroup(); // stragglers left in the background
  const oom = cg.oomHit();
  cg.remove();
  const readCapped = (fd: number): { text: string; over: boolean } => {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, limits.outputBytes);
    const b = Buffer.alloc(n);
    if (n) fs.readSync(fd, b, 0, n, 0);
    return { text: b.toString('utf8'), over: size > limits.outputBytes };
  };
  const so = readCapped(outFd);
  const se = readCapped(errFd);
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  fs.rmSync(io, { recursive: true, force: true });
  const res: ExecResult = {
    command,
    phase: opts.phase,
    exitCode: code,
    signal,
    timedOut,
    outputTruncated: truncated || so.over || se.over,
    stdout: so.text,
    stderr: se.text,
    wallMs,
    sandbox: opts.sandbox,
    failure: null,
    memoryCap: cg.kind,
  };
  res.failure = oom && !timedOut ? 'oom' : classify(res);
  if (diskFull && !timedOut) {
    res.failure = 'output_limit';
    res.stderr = `${res.stderr}\nagentdyno: ${diskFull}`;
  }
  return res;
}

const VIOLATION = /Read-only file system|EROFS|Network is unreachable|ENETUNREACH|Could not resolve host|Temporary failure in name resolution|Operation not permitted/i;
const PROCESS = /Cannot fork|fork: (retry: )?Resource temporarily unavailable|fork failed|EAGAIN.*fork|can't fork/i;
const MEMORY = /Cannot allocate memory|out of memory|bad_alloc|MemoryError|ENOMEM|memory exhausted|virtual memory exhausted/i;
const CRASH = /Segmentation fault|core dumped|Aborted|Bus error|Floating point exception|Illegal instruction/;
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS']);

/** Failure class from how a step ended; the order says which explanation wins when several fit. */
export function classify(r: Pick<ExecResult, 'exitCode' | 'signal' | 'timedOut' | 'outputTruncated' | 'stdout' | 'stderr' | 'phase'>): FailureClass | null {
  if (r.timedOut) return 'timeout';
  if (r.outputTruncated) return 'output_limit';
  if (r.exitCode === 0 && !r.signal) return null;
  const out = `${r.stderr}\n${r.stdout}`;
  if (VIOLATION.test(out)) return 'sandbox_violation';
  if (PROCESS.test(out)) return 'process_limit';
  if (MEMORY.test(out) || (r.signal === 'SIGKILL' && !r.timedOut) || r.exitCode === 137) return 'oom';
  if ((r.signal && CRASH_SIGNALS.has(r.signal)) || CRASH.test(out) || (r.exitCode !== null && r.exitCode > 128 && r.exitCode < 160)) return 'crash';
  if (r.phase === 'build') return 'build_error';
  if (r.phase === 'check' || r.phase === 'verify') return 'wrong_answer';
  return 'crash';
}

/** The last `n` characters, for feedback and logs. */
export function tail(s: string, n = 2000): string {
  return s.length <= n ? s : `…[${s.length - n} chars cut]\n` + s.slice(-n);
}
