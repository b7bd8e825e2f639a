/**
 * Output paths that cannot lose data: an output never overwrites one of the command's inputs (even
 * with --force; compared by realpath, so ./a, a symlink to it and its absolute path are one file),
 * and never overwrites any existing file without --force. Checked before any work or write starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AgentdynoError } from './errors.js';

/** Realpath of a file, or of its folder joined with its name when the file does not exist yet. */
function resolvedPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

export interface OutputCheck {
  /** Files the command reads (input logs, a database): the output may never be one of them. */
  inputs?: readonly string[];
  /** Overwrite an existing file that is not an input. */
  force?: boolean;
  /** The flag that named the output, for the message (default --out). */
  flag?: string;
}

export function checkOutputPath(out: string, o: OutputCheck = {}): void {
  const flag = o.flag ?? '--out';
  const target = resolvedPath(out);
  for (const input of o.inputs ?? []) {
    if (resolvedPath(input) === target) {
      throw new AgentdynoError(`${flag} ${out} is the input file ${input}: writing it would destroy what is being read`, { code: 'E_OUTPUT_EXISTS', where: out,
        hint: `Give ${flag} another path (--force does not override this).`,
      });
    }
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(target);
  } catch {
    return; // does not exist yet
  }
  if (st.isDirectory()) {
    throw new AgentdynoError(`${flag} ${out} is a directory`, { code: 'E_OUTPUT_EXISTS', where: out, hint: `Give ${flag} a file path.` });
  }
  if (!o.force) {
    throw new AgentdynoError(`${flag} ${out} exists and would be overwritten`, { code: 'E_OUTPUT_EXISTS', where: out, hint: `Pass --force to replace it, or give ${flag} another path.` });
  }
}
