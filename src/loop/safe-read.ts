/**
 * Host-side reads of paths the sandbox could write (DESIGN 6). A proposal can leave a symlink to a
 * root-only file, a FIFO that blocks forever, or a huge file where the harness expects a result.
 * So: every component below a trusted root is lstat'ed (no symlinks anywhere on the way), the leaf
 * must be a regular file, it is opened O_NOFOLLOW | O_NONBLOCK (a FIFO swapped in after the lstat
 * cannot block) and re-checked by fstat (same inode), and at most `capBytes` are read.
 * Callers read only after the step's processes are gone (pid namespace / cgroup killed), so nothing
 * swaps the path between check and open under bwrap.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SafeRead {
  ok: true;
  data: Buffer;
  /** True when the file was larger than the cap (data holds the first capBytes). */
  truncated: boolean;
  size: number;
}
export interface SafeReadRefused {
  ok: false;
  /** Why it was not read: missing, symlink, not a regular file, escapes the root. */
  why: string;
}

/** Reads `rel` under `root` (root itself is trusted: created by agentdyno) without following links. */
export function safeReadUnder(root: string, rel: string, capBytes: number): SafeRead | SafeReadRefused {
  const norm = path.posix.normalize(rel.replaceAll('\\', '/'));
  if (norm.startsWith('/') || norm === '..' || norm.startsWith('../')) return { ok: false, why: `${rel}: escapes ${root}` };
  const parts = norm.split('/').filter((p) => p && p !== '.');
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = path.join(cur, parts[i]);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return { ok: false, why: `${norm}: missing` };
    }
    if (st.isSymbolicLink()) return { ok: false, why: `${parts.slice(0, i + 1).join('/')}: is a symbolic link (not followed)` };
    if (i < parts.length - 1 && !st.isDirectory()) return { ok: false, why: `${parts.slice(0, i + 1).join('/')}: not a directory` };
    if (i === parts.length - 1 && !st.isFile()) return { ok: false, why: `${norm}: not a regular file (${kind(st)})` };
  }
  return readOpened(cur, norm, capBytes);
}

/** Same checks for an absolute path whose every component is sandbox-writable below `root`. */
export function safeReadFile(file: string, root: string, capBytes: number): SafeRead | SafeReadRefused {
  return safeReadUnder(root, path.relative(root, file), capBytes);
}

function readOpened(file: string, shown: string, capBytes: number): SafeRead | SafeReadRefused {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | (fs.constants.O_NOCTTY ?? 0));
  } catch (e) {
    return { ok: false, why: `${shown}: cannot open (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, why: `${shown}: not a regular file (${kind(st)})` };
    const want = Math.min(st.size, capBytes);
    const data = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(fd, data, got, want - got, got);
      if (n <= 0) break;
      got += n;
    }
    return { ok: true, data: data.subarray(0, got), truncated: st.size > capBytes, size: st.size };
  } finally {
    fs.closeSync(fd);
  }
}

function kind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

/** sha256 of a sandbox-writable file, or null when it is not a plain readable file (counts as modified). */
export function safeSha256(root: string, rel: string, capBytes = 256 << 20): string | null {
  const r = safeReadUnder(root, rel, capBytes);
  if (!r.ok || r.truncated) return null;
  return crypto.createHash('sha256').update(r.data).digest('hex');
}

/**
 * Bytes and entries under `dir`, never following links; stops counting past `maxEntries` (a tree of
 * millions of empty files is itself a disk-fill attack: inodes).
 */
export function treeUsage(dir: string, maxEntries = 200_000): { bytes: number; entries: number } {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length && entries <= maxEntries) {
    const d = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of names) {
      entries++;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        try {
          bytes += fs.lstatSync(p).blocks * 512;
        } catch {
          /* removed meanwhile */
        }
      }
    }
  }
  return { bytes, entries };
}
