import type { Trajectory } from '../types.js';
import type { ImportProblem } from './common.js';

export interface ImportContext {
  file: string;
  text: string;
  /** Every file named in this import (resolved paths), e.g. to attach sub-agent side files. */
  allFiles: Set<string>;
  /** Problems with single entries (the importer skips them and goes on). */
  problems: ImportProblem[];
  /** Read a file next to the input (sub-agent transcripts); undefined when absent. */
  readFile(path: string): string | undefined;
  /** Keep message content where the source has it (`import --keep-content`). */
  keepContent: boolean;
  /** Things the importer left out of this file's trajectories and why (printed, stored in source.fidelity). */
  leftOut: { what: string; why: string }[];
  /** Record a trajectory's wall-clock start (epoch ms); the driver turns starts into `arrival_ms` from the earliest. */
  setStartMs?(t: Trajectory, epochMs: number): void;
}

export interface Importer {
  format: string;
  description: string;
  /** Entries that are the unit of `--skip-bad` (line, conversation, file). */
  entry: string;
  /** Why `--keep-content` keeps nothing for this format (printed once per import); absent: the importer keeps content where the file has it. */
  noContentReason?: string;
  import(ctx: ImportContext): Trajectory[];
}
