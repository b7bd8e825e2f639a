import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where agentdyno itself is installed: src/store/ and dist/store/ both sit two levels below it. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HostInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string | null;
  memoryBytes: number;
  nodeVersion: string;
  /** Writer's process id: lets a later open tell a crashed run from one still going. */
  pid: number;
}

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryBytes: os.totalmem(),
    nodeVersion: process.version,
    pid: process.pid,
  };
}

let versionCache: string | null | undefined;
export function agentdynoVersion(): string | null {
  if (versionCache !== undefined) return versionCache;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
    versionCache = pkg.version ?? null;
  } catch {
    versionCache = null;
  }
  return versionCache;
}

let shaCache: string | null | undefined;
/** HEAD of the agentdyno checkout, or null (installed from npm, no git, not a repo): never throws. */
export function gitSha(): string | null {
  if (shaCache !== undefined) return shaCache;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: packageRoot,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
      encoding: 'utf8',
    }).trim();
    shaCache = /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    shaCache = null;
  }
  return shaCache;
}

/** True when `pid` on this host is certainly gone. Unknown (other host, no permission) counts as alive. */
export function processGone(pid: number, hostname: string): boolean {
  if (hostname !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
