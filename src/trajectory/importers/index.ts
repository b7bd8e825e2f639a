/**
 * Importers: foreign agent logs and traces -> `agentdyno.trajectory.v1` (DESIGN 3.1). A file either
 * converts whole or fails with every problem listed (file, line, field); with `skipBad` the bad
 * entries are skipped and listed in the result, never dropped silently. Every output trajectory is
 * checked with `validateTrajectory`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentdynoError } from '../../core/index.js';
import type { ImportFidelity, Trajectory } from '../types.js';
import { validateTrajectory } from '../validate.js';
import { aaReplayImporter } from './aa-replay.js';
import { openaiChatLogImporter, dynamoImporter } from './chat-log.js';
import { claudeCodeImporter } from './claude-code.js';
import { codexImporter } from './codex.js';
import { EntryError, formatImportProblem, type ImportProblem } from './common.js';
import { addFidelity, fidelityOf } from './fidelity.js';
import { formatHint } from './sniff.js';
import { mooncakeImporter } from './mooncake.js';
import { openhandsImporter } from './openhands.js';
import { sweAgentImporter } from './swe.js';
import { miniSweAgentImporter } from './mini-swe-agent.js';
import type { Importer } from './types.js';
import { wekaImporter } from './weka.js';
import { harborImporter } from './harbor.js';

export { DEFAULT_TOOL_MS, estimateChatTokens, estimateTokens, formatImportProblem, buildAgent } from './common.js';
export type { ImportProblem, CallRecord, ToolUse } from './common.js';
export { reconstructConversations, messageHash } from './conversations.js';
export type { ConversationCall, ConversationOptions, AgentIdentity } from './conversations.js';
export type { Importer, ImportContext } from './types.js';
export { MOONCAKE_BLOCK_SIZE } from './mooncake.js';
export { fidelityOf, addFidelity, fidelityLines } from './fidelity.js';
export { sniffFormat, formatHint } from './sniff.js';

export const IMPORTERS: readonly Importer[] = [
  sweAgentImporter, miniSweAgentImporter, openhandsImporter, claudeCodeImporter, openaiChatLogImporter,
  mooncakeImporter, dynamoImporter, aaReplayImporter, wekaImporter, codexImporter, harborImporter,
];
export const IMPORT_FORMATS = IMPORTERS.map((i) => i.format);

export function getImporter(format: string): Importer {
  const imp = IMPORTERS.find((i) => i.format === format);
  if (!imp) throw new AgentdynoError(`unknown import format ${JSON.stringify(format)}`, { code: 'E_IMPORT_FORMAT', hint: `Use one of: ${IMPORT_FORMATS.join(', ')}.` });
  return imp;
}

export interface ImportResult {
  format: string;
  files: number;
  trajectories: Trajectory[];
  /** Entries left out under skipBad (empty otherwise: problems throw). */
  skipped: ImportProblem[];
  /** The whole import's fidelity summary (each trajectory also carries its own in source.fidelity). */
  fidelity: ImportFidelity;
}

const MAX_LISTED = 20;

/** Import files of one format. Without `skipBad`, any problem throws an AgentdynoError listing them all. */
export function importFiles(format: string, files: string[], opts: { skipBad?: boolean; keepContent?: boolean } = {}): ImportResult {
  const imp = getImporter(format);
  if (!files.length) throw new AgentdynoError('no input files', { code: 'E_IMPORT_FORMAT', hint: 'Name one or more files to import.' });
  const all = new Set(files.map((f) => resolve(f)));
  const problems: ImportProblem[] = [];
  const trajectories: Trajectory[] = [];
  const hints = new Set<string>();
  const starts = new Map<Trajectory, number>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push({ file, line: 0, field: '$', message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    const local: ImportProblem[] = [];
    const leftOut: { what: string; why: string }[] = [];
    try {
      const out = imp.import({
        file, text, allFiles: all, problems: local, keepContent: opts.keepContent === true, leftOut,
        setStartMs: (t, ms) => void starts.set(t, ms),
        readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
      });
      for (const t of out) {
        const own = t.source.fidelity;
        t.source.fidelity = fidelityOf(t, { leftOut: [...(own?.leftOut ?? []), ...leftOut], calibration: own?.calibration });
        if (opts.keepContent && t.source.fidelity.contentCalls === 0 && !t.source.fidelity.leftOut.some((l) => l.what === 'message content')) {
          t.source.fidelity.leftOut.push({ what: 'message content', why: imp.noContentReason ?? `the ${format} importer found none to keep in this file` });
        }
        const bad = validateTrajectory(t);
        if (bad.length) {
          local.push(...bad.map((b) => ({ file, line: 0, field: `trajectory ${t.id}: ${b.path}`, message: `${b.message} (importer output failed validation; please report)` })));
          continue;
        }
        trajectories.push(t);
      }
    } catch (e) {
      if (!(e instanceof EntryError)) throw e;
      local.push({ file, line: e.line, field: e.field, message: opts.skipBad ? `${e.message} (whole file skipped)` : e.message });
    }
    // In file order, whichever pass found them (JSON parsing or the importer).
    local.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
    problems.push(...local);
    if (local.length) {
      const h = formatHint(format, text, file);
      if (h) hints.add(h);
    }
  }
  const hint = [...hints].join(' ');
  if (problems.length && !opts.skipBad) {
    const listed = problems.slice(0, MAX_LISTED).map(formatImportProblem).join('\n');
    const more = problems.length > MAX_LISTED ? `\n… and ${problems.length - MAX_LISTED} more` : '';
    throw new AgentdynoError(`${problems.length} problem${problems.length === 1 ? '' : 's'} importing ${format}; nothing written:\n${listed}${more}\n`, {
      code: 'E_IMPORT_FORMAT',
      where: problems[0].line ? `${problems[0].file}:${problems[0].line}` : problems[0].file,
      hint: hint || `Fix the input, check it really is ${format} (${imp.description}), or pass --skip-bad to import the rest and list what was skipped (unit: one ${imp.entry}).`,
    });
  }
  if (!trajectories.length) {
    // Under --skip-bad everything may have been skipped: say why, entry by entry.
    const why = problems.length ? `; every entry was skipped:\n${problems.slice(0, MAX_LISTED).map(formatImportProblem).join('\n')}` : '';
    throw new AgentdynoError(`no trajectories in ${files.join(', ')}${why}`, { code: 'E_IMPORT_FORMAT', where: files[0], hint: hint || `Is this ${imp.description}?` });
  }
  // Arrivals on one clock: the earliest recorded start of this import is 0.
  const kept = trajectories.filter((t) => starts.has(t));
  if (kept.length) {
    const origin = Math.min(...kept.map((t) => starts.get(t)!));
    for (const t of kept) t.arrival_ms = starts.get(t)! - origin;
  }
  return { format, files: files.length, trajectories, skipped: problems, fidelity: addFidelity(trajectories.map((t) => t.source.fidelity!)) };
}

/** JSON Lines text, one trajectory a line. */
export function trajectoriesToJsonl(ts: Trajectory[]): string {
  return ts.map((t) => JSON.stringify(t)).join('\n') + (ts.length ? '\n' : '');
}
