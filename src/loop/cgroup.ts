/**
 * A memory and process cap for a step's whole process tree (DESIGN 6), where the machine allows it.
 * cgroup v2 (a child of our own cgroup with memory.max / pids.max) or, failing that, cgroup v1
 * (memory.limit_in_bytes + memsw, pids.max, cpu quota in their own hierarchies; what this dev container has).
 * A task's declared `cpus` becomes a CPU quota (cpus x 100 ms per 100 ms) where a cpu controller exists.
 * Without a writable cgroup we fall back to prlimit per process, and say so (`capKind`): then a
 * proposal that forks many processes can use memoryMb in each.
 */
import fs from 'node:fs';
import path from 'node:path';

export type CapKind = 'cgroup-v2' | 'cgroup-v1' | 'prlimit-per-process';

export interface StepCgroup {
  kind: CapKind;
  /** cgroup.procs files the wrapper writes its pid into before exec'ing the sandbox. */
  procs: string[];
  /** True when pids.max caps this step's tree (then RLIMIT_NPROC, which counts the sandbox user machine-wide, can be loose). */
  pidsCapped: boolean;
  /** True when the memory cap was hit (an OOM kill inside the cgroup). */
  oomHit(): boolean;
  /** Kills whatever is left and removes the cgroup. */
  remove(): void;
}

const V2 = '/sys/fs/cgroup';
const V1_MEM = '/sys/fs/cgroup/memory';
const V1_PIDS = '/sys/fs/cgroup/pids';
const V1_CPU = '/sys/fs/cgroup/cpu';
let counter = 0;
let probed: CapKind | undefined;

function write(file: string, v: string): boolean {
  try {
    fs.writeFileSync(file, v);
    return true;
  } catch {
    return false;
  }
}
const read = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Our own cgroup v2 path (`0::/x/y` in /proc/self/cgroup). */
function ownV2(): string | null {
  const line = read('/proc/self/cgroup').split('\n').find((l) => l.startsWith('0::'));
  return line ? path.join(V2, line.slice(3)) : null;
}

/** Test hook: AGENTDYNO_TEST_NO_CGROUP=1 simulates a machine without writable cgroups. */
function disabled(): boolean {
  return process.env.AGENTDYNO_TEST_NO_CGROUP === '1';
}

function makeV2(memoryBytes: number, pids: number, cpus: number | undefined): StepCgroup | null {
  if (!fs.existsSync(path.join(V2, 'cgroup.controllers'))) return null;
  const own = ownV2();
  if (!own || !read(path.join(own, 'cgroup.subtree_control')).includes('memory')) return null;
  const dir = path.join(own, `agentdyno-${process.pid}-${++counter}`);
  try {
    fs.mkdirSync(dir);
  } catch {
    return null;
  }
  if (!write(path.join(dir, 'memory.max'), String(memoryBytes))) return cleanup([dir]);
  write(path.join(dir, 'memory.swap.max'), '0');
  const pidsCapped = write(path.join(dir, 'pids.max'), String(pids));
  if (cpus) write(path.join(dir, 'cpu.max'), `${Math.round(cpus * 100_000)} 100000`);
  return {
    kind: 'cgroup-v2',
    procs: [path.join(dir, 'cgroup.procs')],
    pidsCapped,
    oomHit: () => /oom_kill [1-9]/.test(read(path.join(dir, 'memory.events'))),
    remove: () => removeDirs([dir]),
  };
}

function makeV1(memoryBytes: number, pids: number, cpus: number | undefined): StepCgroup | null {
  if (!fs.existsSync(path.join(V1_MEM, 'memory.limit_in_bytes'))) return null;
  const name = `agentdyno-${process.pid}-${++counter}`;
  const mem = path.join(V1_MEM, name);
  try {
    fs.mkdirSync(mem);
  } catch {
    return null;
  }
  if (!write(path.join(mem, 'memory.limit_in_bytes'), String(memoryBytes))) return cleanup([mem]);
  write(path.join(mem, 'memory.memsw.limit_in_bytes'), String(memoryBytes)); // no swap beyond the cap (absent without swap accounting)
  const dirs = [mem];
  let pidsCapped = false;
  const procs = [path.join(mem, 'cgroup.procs')];
  const pidDir = path.join(V1_PIDS, name);
  if (fs.existsSync(V1_PIDS)) {
    try {
      fs.mkdirSync(pidDir);
      if (write(path.join(pidDir, 'pids.max'), String(pids))) {
        dirs.push(pidDir);
        procs.push(path.join(pidDir, 'cgroup.procs'));
        pidsCapped = true;
      } else fs.rmdirSync(pidDir);
    } catch {
      /* no pids controller: RLIMIT_NPROC still applies */
    }
  }
  const cpuDir = path.join(V1_CPU, name);
  if (cpus && fs.existsSync(path.join(V1_CPU, 'cpu.cfs_quota_us'))) {
    try {
      fs.mkdirSync(cpuDir);
      if (write(path.join(cpuDir, 'cpu.cfs_period_us'), '100000') && write(path.join(cpuDir, 'cpu.cfs_quota_us'), String(Math.round(cpus * 100_000)))) {
        dirs.push(cpuDir);
        procs.push(path.join(cpuDir, 'cgroup.procs'));
      } else fs.rmdirSync(cpuDir);
    } catch {
      /* no cpu controller: the CPU count is not enforced */
    }
  }
  return {
    kind: 'cgroup-v1',
    procs,
    pidsCapped,
    oomHit: () => Number(read(path.join(mem, 'memory.failcnt')).trim() || 0) > 0 || /oom_kill [1-9]/.test(read(path.join(mem, 'memory.oom_control'))),
    remove: () => removeDirs(dirs),
  };
}

function cleanup(dirs: string[]): null {
  removeDirs(dirs);
  return null;
}

function removeDirs(dirs: string[]): void {
  for (const d of dirs) {
    for (let i = 0; i < 20; i++) {
      const pids = read(path.join(d, 'cgroup.procs')).split('\n').filter(Boolean);
      for (const p of pids) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        fs.rmdirSync(d);
        break;
      } catch {
        /* still has members for a moment */
        const until = Date.now() + 25;
        while (Date.now() < until) {
          /* brief spin: rmdir succeeds once the killed tasks are reaped */
        }
      }
    }
  }
}

/** A cgroup for one step, or a `prlimit-per-process` stand-in when none can be made here. */
export function stepCgroup(memoryMb: number, pids: number, cpus?: number): StepCgroup {
  const bytes = Math.round(memoryMb * 1024 * 1024);
  const cg = disabled() ? null : makeV2(bytes, pids, cpus) ?? makeV1(bytes, pids, cpus);
  probed = cg?.kind ?? 'prlimit-per-process';
  return cg ?? { kind: 'prlimit-per-process', procs: [], pidsCapped: false, oomHit: () => false, remove: () => {} };
}

/** What the last step's memory cap was (for `tasks validate` / doctor output). */
export function memoryCapKind(): CapKind {
  if (probed) return probed;
  const cg = stepCgroup(64, 64);
  cg.remove();
  return cg.kind;
}
