import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { safeReadUnder, safeSha256 } from './safe-read.js';

/** A proposal's changes: whole-file contents for editable files and/or parameter assignments. */
export interface Changes {
  files?: Record<string, string>;
  params?: Record<string, number | string>;
}

export interface ApplyResult {
  ok: boolean;
  /** Files refused because they match no `editable` glob (or escape the workspace). */
  refused: string[];
}

/** Relative paths of every regular file under `dir`, sorted, with `/` separators. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function isEditable(rel: string, editable: readonly string[]): boolean {
  if (editable.length === 0) return false;
  return picomatch(editable as string[], { dot: true })(rel);
}

/** Rejects absolute paths and `..` so a proposal cannot name a file outside the workspace. */
export function safeRel(rel: string): string | null {
  const norm = path.posix.normalize(rel.replaceAll('\\', '/'));
  if (norm.startsWith('/') || norm === '..' || norm.startsWith('../') || norm === '.' || norm === '') return null;
  return norm;
}

/**
 * sha256 of every environment file that is not editable: the harness (check/measure scripts, inputs).
 * `params.json` is excluded when the task takes parameters, since proposals write it.
 */
export function harnessHashes(envDir: string, editable: readonly string[], paramsFile: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(envDir)) {
    if (isEditable(rel, editable) || (paramsFile && rel === 'params.json')) continue;
    out[rel] = sha256File(path.join(envDir, rel));
  }
  return out;
}

/**
 * Names of harness files changed, deleted or replaced (symlink, FIFO, directory) in `dir` compared
 * with `expected`. The workspace is sandbox-writable: read with lstat + O_NOFOLLOW + O_NONBLOCK.
 */
export function modifiedHarness(dir: string, expected: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const [rel, h] of Object.entries(expected)) if (safeSha256(dir, rel) !== h) bad.push(rel);
  return bad;
}

/** A fresh temporary copy of a task's environment/ folder. */
export class Workspace {
  private constructor(readonly dir: string) {}

  static create(envDir: string, prefix = 'agentdyno-ws-'): Workspace {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.cpSync(envDir, dir, { recursive: true, preserveTimestamps: true });
    return new Workspace(dir);
  }

  /** Writes the proposal's files (only those matching `editable`) and params.json. */
  apply(changes: Changes, editable: readonly string[]): ApplyResult {
    const refused: string[] = [];
    for (const [rel0, content] of Object.entries(changes.files ?? {})) {
      const rel = safeRel(rel0);
      if (!rel || !isEditable(rel, editable)) {
        refused.push(rel0);
        continue;
      }
      const f = path.join(this.dir, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, content);
    }
    if (changes.params && refused.length === 0) {
      fs.writeFileSync(path.join(this.dir, 'params.json'), JSON.stringify(changes.params, null, 2) + '\n');
    }
    return { ok: refused.length === 0, refused };
  }

  /** A file the sandbox may have written: no links followed, regular files only, at most 4 MiB. */
  read(rel: string, capBytes = 4 << 20): string | null {
    const r = safeRel(rel);
    if (!r) return null;
    const got = safeReadUnder(this.dir, r, capBytes);
    return got.ok ? got.data.toString('utf8') : null;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
