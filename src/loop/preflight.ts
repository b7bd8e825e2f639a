/**
 * Before a run: what this machine lacks for a task (tools, a GPU seen from inside the sandbox, CPUs),
 * and the sandbox's limits in words (what is capped for the whole tree, what only per process).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryCapKind, type CapKind } from './cgroup.js';
import { DEFAULT_LIMITS, findBwrap, sandboxArgv, type Limits, type SandboxMode, type SandboxSpec } from './sandbox.js';

/**
 * Whether this machine has what a task `requires`: "gpu" = `nvidia-smi -L` succeeds inside the
 * sandbox the task will run in (device nodes bound), else a command on the sandbox's PATH.
 */
export function missingRequirements(requires: readonly string[], sandbox: SandboxMode | null = findBwrap() ? 'bwrap' : 'none (unsafe)'): string[] {
  const missing: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-req-'));
  try {
    for (const req of requires) {
      const cmd = req === 'gpu' ? 'nvidia-smi -L' : `command -v ${shellQuote(req)}`;
      const argv = sandbox === 'bwrap' ? sandboxArgv(cmd, dir, { ...DEFAULT_LIMITS, wallSec: 15 }, 'bwrap', { gpu: req === 'gpu' }, false) : ['sh', '-c', cmd];
      const r = spawnSync(argv[0], argv.slice(1), { timeout: 15_000, stdio: 'ignore', env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' } });
      if (r.status !== 0) missing.push(req === 'gpu' ? `gpu (nvidia-smi -L failed${sandbox === 'bwrap' ? ' inside the sandbox, with /dev/nvidia* bound' : ''}: no NVIDIA GPU visible)` : `${req} (not on the sandbox's PATH)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return missing;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * What the task declares that the sandbox cannot give: more CPUs than the machine has. (Declared
 * CPUs are otherwise a fact recorded with the run; the sandbox does not pin them.)
 */
export function environmentProblems(env: { cpus: number; allowInternet: boolean }): string[] {
  const out: string[] = [];
  const have = os.availableParallelism?.() ?? os.cpus().length;
  if (env.cpus > have) out.push(`[environment].cpus = ${env.cpus} but this machine has ${have} CPU(s)`);
  return out;
}

/** What the sandbox limits and what it does not, in words (printed by `loop run` and `tasks validate`). */
export function describeSandbox(limits: Partial<Limits>, sandbox: SandboxMode, spec: SandboxSpec = {}, cap: CapKind = memoryCapKind()): string {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const mem = cap === 'prlimit-per-process'
    ? `memory ${l.memoryMb} MB per process only (RLIMIT_AS: no writable cgroup here, so N processes can use N x ${l.memoryMb} MB)`
    : `memory ${l.memoryMb} MB for the whole process tree, /tmp included (${cap})`;
  const cpu = l.cpus ? (cap === 'prlimit-per-process' ? `, ${l.cpus} CPUs declared but not enforced` : `, CPU quota ${l.cpus}`) : '';
  if (sandbox === 'none (unsafe)') return `NO SANDBOX (--unsafe-no-sandbox): proposals see the whole host and its network; ${mem}${cpu}, files <= ${l.fileMb} MB, wall ${l.wallSec} s`;
  return `bubblewrap: /usr /bin /lib* and a minimal /etc read-only, nothing else of the host; ${spec.network === 'host' ? 'HOST NETWORK (allow_internet = true)' : 'no network'}; ${mem}${cpu}; <= ${l.nproc} processes; /tmp and /dev/shm ${l.tmpMb} MB each; workspace <= ${l.workspaceMb} MB, files <= ${l.fileMb} MB; wall ${l.wallSec} s per step${spec.gpu ? '; /dev/nvidia* bound' : ''}`;
}

