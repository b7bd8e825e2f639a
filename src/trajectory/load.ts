import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { AgentdynoError } from '../core/index.js';
import type { LoadedTrajectory, Trajectory } from './types.js';
import { validateTrajectory } from './validate.js';
import { LIMITS, limitProblems, nestingProblem, type LimitOptions } from './limits.js';

/** A problem located in a file: `FILE:LINE: $.path: message`. */
export interface FileProblem {
  file: string;
  line: number;
  path: string;
  message: string;
  /** Set for what replay cannot do (src/trajectory/limits.ts); absent = the format is broken. */
  code?: 'E_TRAJECTORY_LIMIT';
}

export function formatFileProblem(p: FileProblem): string {
  return `${p.file}:${p.line}: ${p.path}: ${p.message}`;
}

export interface ParsedFile {
  trajectories: LoadedTrajectory[];
  problems: FileProblem[];
}

const MAX_LISTED = 20;

/** Files named by the arguments: files as given, directories expanded to their *.jsonl / *.json, sorted. */
export function expandTrajectoryPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AgentdynoError('no such file or directory', { code: 'E_FILE_NOT_FOUND', where: p, hint: 'Pass trajectory files (.jsonl or .json) or directories that hold them.' });
    }
    if (st.isDirectory()) {
      const inside = readdirSync(p)
        .filter((n) => n.endsWith('.jsonl') || n.endsWith('.json'))
        .sort()
        .map((n) => join(p, n))
        .filter((f) => statSync(f).isFile());
      if (inside.length === 0) {
        throw new AgentdynoError('directory holds no *.jsonl or *.json files', { code: 'E_TRAJECTORY_INVALID', where: p, hint: 'Point at a directory of trajectory files, or at the files themselves.' });
      }
      files.push(...inside);
    } else {
      files.push(p);
    }
  }
  return files;
}

/** Line number (1-based) where each top-level element of a JSON array starts. */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (depth === 1 && expectValue && c !== ']') {
      lines.push(line);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectValue = true;
  }
  return lines;
}

function check(obj: unknown, file: string, line: number, into: ParsedFile): void {
  // Depth first: the schema check and everything after it may recurse into the value.
  const deep = nestingProblem(obj);
  if (deep) {
    into.problems.push({ file, line, ...deep });
    return;
  }
  const problems = validateTrajectory(obj);
  if (problems.length === 0) {
    const limits = limitProblems(obj as Trajectory);
    if (limits.length === 0) into.trajectories.push({ trajectory: obj as Trajectory, file, line });
    for (const p of limits) into.problems.push({ file, line, ...p });
    return;
  }
  for (const p of problems) into.problems.push({ file, line, path: p.path, message: p.message });
}

/**
 * Loaded trajectories checked against one target (its max_model_len): the located problems, empty
 * when every call fits.
 */
export function targetLimitProblems(loaded: readonly LoadedTrajectory[], opts: LimitOptions): FileProblem[] {
  const out: FileProblem[] = [];
  for (const l of loaded) for (const p of limitProblems(l.trajectory, opts)) out.push({ file: l.file, line: l.line, ...p });
  return out;
}

/** Parse and validate one file's text; `.json` is one object or an array of them, anything else JSON Lines. */
export function parseTrajectoryText(rawText: string, file: string): ParsedFile {
  // Editors on Windows may prepend a byte-order mark, which JSON.parse rejects.
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const out: ParsedFile = { trajectories: [], problems: [] };
  if (extname(file) === '.json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      out.problems.push({ file, line: 1, path: '$', message: `invalid JSON: ${(e as Error).message}` });
      return out;
    }
    if (Array.isArray(doc)) {
      // Each element is located at the line it starts on and checked as its own trajectory.
      const lines = arrayElementLines(text);
      doc.forEach((el, i) => check(el, file, lines[i] ?? 1, out));
    } else {
      check(doc, file, 1, out);
    }
    return out;
  }
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length > LIMITS.maxLineBytes) {
      out.problems.push({ file, line: i + 1, path: '$', message: `line of ${rows[i].length.toLocaleString('en-US')} characters: more than the ${LIMITS.maxLineBytes / 1048576} MiB one trajectory may take`, code: 'E_TRAJECTORY_LIMIT' });
      continue;
    }
    const row = rows[i].trim();
    if (row === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(row);
    } catch (e) {
      out.problems.push({ file, line: i + 1, path: '$', message: `invalid JSON: ${(e as Error).message}` });
      continue;
    }
    check(obj, file, i + 1, out);
  }
  return out;
}

/**
 * Read and validate every trajectory in the given files and directories. All problems of all files are
 * collected first; if there is any, nothing is returned and one AgentdynoError lists them.
 */
export function loadTrajectories(paths: string[]): LoadedTrajectory[] {
  const { trajectories, problems, files } = checkTrajectoryFiles(paths);
  if (problems.length > 0) throw problemsError(problems, files.length);
  return trajectories;
}

/** Like `loadTrajectories` but returns the problems instead of throwing (for `trajectories validate`). */
export function checkTrajectoryFiles(paths: string[]): ParsedFile & { files: string[] } {
  const files = expandTrajectoryPaths(paths);
  const all: ParsedFile = { trajectories: [], problems: [] };
  for (const f of files) {
    let text: string;
    try {
      const bytes = statSync(f).size;
      if (bytes > LIMITS.maxFileBytes) {
        all.problems.push({ file: f, line: 1, path: '$', message: `${(bytes / 1048576).toFixed(0)} MiB: more than the ${LIMITS.maxFileBytes / 1048576} MiB one trajectory file may take; split it (JSON Lines: one trajectory per line, any number of files)`, code: 'E_TRAJECTORY_LIMIT' });
        continue;
      }
      text = readFileSync(f, 'utf8');
    } catch (e) {
      all.problems.push({ file: f, line: 1, path: '$', message: `cannot read file: ${(e as Error).message}` });
      continue;
    }
    const r = parseTrajectoryText(text, f);
    all.trajectories.push(...r.trajectories);
    all.problems.push(...r.problems);
    if (r.trajectories.length === 0 && r.problems.length === 0) {
      all.problems.push({ file: f, line: 1, path: '$', message: 'file holds no trajectories' });
    }
  }
  // Trajectory ids name results in the store, so they must be unique across the whole set.
  const firstSeen = new Map<string, LoadedTrajectory>();
  for (const lt of all.trajectories) {
    const prev = firstSeen.get(lt.trajectory.id);
    if (prev) {
      all.problems.push({ file: lt.file, line: lt.line, path: '$.id', message: `duplicate trajectory id ${JSON.stringify(lt.trajectory.id)} (first at ${prev.file}:${prev.line})` });
    } else firstSeen.set(lt.trajectory.id, lt);
  }
  return { ...all, files };
}

export function problemsError(problems: FileProblem[], fileCount: number): AgentdynoError {
  // Only limits: the files are well-formed but ask for what replay cannot do.
  const code = problems.every((p) => p.code === 'E_TRAJECTORY_LIMIT') ? 'E_TRAJECTORY_LIMIT' : 'E_TRAJECTORY_INVALID';
  const badFiles = new Set(problems.map((p) => p.file)).size;
  const listed = problems.slice(0, MAX_LISTED).map(formatFileProblem);
  const more = problems.length > MAX_LISTED ? `\n… and ${problems.length - MAX_LISTED} more problems` : '';
  // The hint goes in the message on its own line: the list already spans many lines.
  return new AgentdynoError(
    `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${badFiles} of ${fileCount} trajectory file${fileCount === 1 ? '' : 's'}; nothing was loaded:\n${listed.join('\n')}${more}\n` +
      'Fix the listed fields (the format is agentdyno.trajectory.v1, schema in schemas/trajectory.v1.json) and run `agentdyno trajectories validate` again.', { code });
}
