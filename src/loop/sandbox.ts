import fs from 'node:fs';
import { execa, execaSync } from 'execa';
import { AgentdynoError, monotonicClock } from '../core/index.js';

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
  memoryMb: number;
  /** Processes (threads count too) of the sandbox user: contains fork bombs. */
  nproc: number;
  /** Per stream; beyond it the step is killed and classed `output_limit`. */
  outputBytes: number;
  /** Largest file the step may write (RLIMIT_FSIZE). */
  fileMb: number;
}

export const DEFAULT_LIMITS: Limits = { wallSec: 60, memoryMb: 1024, nproc: 256, outputBytes: 1 << 20, fileMb: 512 };

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
  wallMs: number;
  sandbox: SandboxMode;
  failure: FailureClass | null;
}

/** The uid untrusted code runs as when agentdyno itself runs as root (root ignores RLIMIT_NPROC). */
export const SANDBOX_UID = 65534;

let bwrapCache: string | null | undefined;

/** Path of a working bubblewrap, or null (probed once: it must be able to start a sandbox here). */
export function findBwrap(): string | null {
  if (bwrapCache !== undefined) return bwrapCache;
  bwrapCache = null;
  for (const p of ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']) {
    if (!fs.existsSync(p)) continue;
    try {
      execaSync(p, [...unshareFlags(), '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'], { timeout: 10_000 });
      bwrapCache = p;
      break;
    } catch {
      /* present but unusable (no user namespaces): treated as absent */
    }
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

/** Running as root we stay in the host user namespace so we can drop to SANDBOX_UID; otherwise a new one. */
function unshareFlags(): string[] {
  return isRoot() ? ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try'] : ['--unshare-all'];
}

/** Makes a workspace writable by the sandbox user (only needed when running as root). */
export function prepareWorkspaceOwner(dir: string, sandbox: SandboxMode): void {
  if (sandbox !== 'bwrap' || !isRoot()) return;
  execaSync('chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, dir]);
}

export interface Bind {
  src: string;
  dest: string;
  /** Mounted read-only (Harbor's /tests, /solution). */
  readOnly?: boolean;
}

/**
 * Harbor layout (harbor.ts): the workspace is mounted at `at` (e.g. /app) and the step runs there.
 * `--ro-bind / /` cannot gain new top-level folders (/app, /tests, /logs do not exist on the host),
 * so this layout ro-binds each host top-level entry onto bwrap's own root instead, then makes / read-only.
 */
function rootEntries(skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/')) {
    const p = `/${name}`;
    if (skip.has(p)) continue;
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out.push('--symlink', fs.readlinkSync(p), p);
    else out.push('--ro-bind', p, p);
  }
  return out;
}

/** argv that runs `sh -c command` in the workspace with the limits applied. */
export function sandboxArgv(command: string, workspace: string, limits: Limits, sandbox: SandboxMode, binds: Bind[] = [], mountWorkspaceAt?: string): string[] {
  const prlimit = [
    'prlimit',
    `--as=${Math.round(limits.memoryMb * 1024 * 1024)}`,
    `--nproc=${limits.nproc}`,
    `--fsize=${Math.round(limits.fileMb * 1024 * 1024)}`,
    '--core=0',
    '--',
  ];
  const sh = ['sh', '-c', command];
  if (sandbox === 'none (unsafe)') return [...prlimit, ...sh];
  const drop = isRoot() ? ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups'] : [];
  const bindArgs = binds.flatMap((b) => [b.readOnly ? '--ro-bind' : '--bind', b.src, b.dest]);
  if (mountWorkspaceAt) {
    const skip = new Set(['/proc', '/dev', '/tmp', mountWorkspaceAt, ...binds.map((b) => b.dest)]);
    return [
      findBwrap() ?? 'bwrap',
      ...unshareFlags(),
      '--die-with-parent',
      '--new-session',
      ...rootEntries(skip),
      '--perms', '1777', '--tmpfs', '/tmp',
      '--bind', workspace, mountWorkspaceAt,
      ...bindArgs,
      '--dev', '/dev',
      '--proc', '/proc',
      '--remount-ro', '/',
      '--chdir', mountWorkspaceAt,
      ...prlimit,
      ...drop,
      ...sh,
    ];
  }
  return [
    findBwrap() ?? 'bwrap',
    ...unshareFlags(),
    '--die-with-parent',
    '--new-session',
    '--ro-bind', '/', '/',
    // tmpfs first: binds below may live under /tmp and must stay visible.
    '--perms', '1777', '--tmpfs', '/tmp',
    '--bind', workspace, workspace,
    ...bindArgs,
    '--dev', '/dev',
    '--proc', '/proc',
    '--chdir', workspace,
    ...prlimit,
    ...drop,
    ...sh,
  ];
}

export interface RunOptions {
  phase: Phase;
  limits?: Partial<Limits>;
  sandbox: SandboxMode;
  env?: Record<string, string>;
  binds?: Bind[];
  /** Harbor tasks: mount the workspace here (e.g. /app) and run there; binds must be top-level paths. */
  mountWorkspaceAt?: string;
}

/** Runs one build/check/measure command. Never throws for the command's own failure: see `failure`. */
export async function runStep(command: string, workspace: string, opts: RunOptions): Promise<ExecResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const [file, ...args] = sandboxArgv(command, workspace, limits, opts.sandbox, opts.binds, opts.mountWorkspaceAt);
  const t0 = monotonicClock.nowMs();
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: workspace,
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    ...opts.env,
  };
  // detached: own process group, so a timeout kills everything the step started (unsafe mode
  // relies on it; under bwrap the pid namespace dies with its first process anyway).
  const child = execa(file, args, { cwd: workspace, env, extendEnv: false, detached: true, reject: false, stdin: 'ignore', maxBuffer: limits.outputBytes, stripFinalNewline: false });
  let timedOut = false;
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
  const r = await child;
  clearTimeout(timer);
  killGroup(); // stragglers left in the background
  const res: ExecResult = {
    command,
    phase: opts.phase,
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
    signal: r.signal ?? null,
    timedOut,
    outputTruncated: Boolean(r.isMaxBuffer),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    wallMs: monotonicClock.nowMs() - t0,
    sandbox: opts.sandbox,
    failure: null,
  };
  res.failure = classify(res);
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

/** Whether the host has what a task `requires` (e.g. "gpu" = `nvidia-smi -L` succeeds, else a command on PATH). */
export function missingRequirements(requires: readonly string[]): string[] {
  const missing: string[] = [];
  for (const req of requires) {
    try {
      if (req === 'gpu') execaSync('nvidia-smi', ['-L'], { timeout: 10_000 });
      else execaSync('sh', ['-c', `command -v ${JSON.stringify(req)}`], { timeout: 5_000 });
    } catch {
      missing.push(req === 'gpu' ? 'gpu (nvidia-smi -L failed: no NVIDIA GPU visible)' : `${req} (not on PATH)`);
    }
  }
  return missing;
}

/** The last `n` characters, for feedback and logs. */
export function tail(s: string, n = 2000): string {
  return s.length <= n ? s : `…[${s.length - n} chars cut]\n` + s.slice(-n);
}
