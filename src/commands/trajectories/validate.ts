import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError, exitCodeFor } from '../../core/index.js';
import { checkTrajectoryFiles, formatFileProblem, type FileProblem } from '../../trajectory/index.js';

export default class TrajectoriesValidate extends AgentdynoCommand {
  static override description =
    'Check trajectory files (agentdyno.trajectory.v1, JSON Lines or JSON) against schemas/trajectory.v1.json and the tree/token rules; report every problem as FILE:LINE: JSON path: message.';
  static override examples = [
    '<%= config.bin %> trajectories validate trajectories/synthetic-v1.jsonl',
    '<%= config.bin %> trajectories validate my-traces/ --json',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'trajectory files (.jsonl / .json) or directories of them', required: true }) };
  static override flags = {
    'max-problems': Flags.integer({ description: 'list at most this many problems (the count is always given)', default: 200, min: 1 }),
  };

  async run(): Promise<{ ok: boolean; code?: string; trajectories: number; files: number; problems: FileProblem[] }> {
    const { argv, flags } = await this.parse(TrajectoriesValidate);
    const r = checkTrajectoryFiles(argv as string[]);
    // Only limits (limits.ts): well-formed, but more than replay can do.
    const code = r.problems.length && r.problems.every((p) => p.code === 'E_TRAJECTORY_LIMIT') ? 'E_TRAJECTORY_LIMIT' : 'E_TRAJECTORY_INVALID';
    const result = { ok: r.problems.length === 0, ...(r.problems.length ? { code } : {}), trajectories: r.trajectories.length, files: r.files.length, problems: r.problems };
    if (result.ok) {
      if (!this.jsonEnabled()) this.log(`ok: ${result.trajectories} trajectories in ${result.files} file${result.files === 1 ? '' : 's'}`);
      return result;
    }
    if (this.jsonEnabled()) {
      process.exitCode = exitCodeFor(code);
      return result;
    }
    const max = flags['max-problems'];
    const listed = r.problems.slice(0, max).map(formatFileProblem).join('\n');
    const more = r.problems.length > max ? `\n… and ${r.problems.length - max} more` : '';
    const badFiles = new Set(r.problems.map((p) => p.file)).size;
    throw new AgentdynoError(
      `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${badFiles} of ${r.files.length} file${r.files.length === 1 ? '' : 's'}:\n${listed}${more}\n` +
        'A file with any problem is rejected as a whole by replay; fix the fields named above (schema: schemas/trajectory.v1.json).',
      { code },
    );
  }
}
