import { writeFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../core/index.js';
import { DEFAULT_TOOL_MS, formatImportProblem, IMPORT_FORMATS, importFiles, trajectoriesToJsonl, type ImportProblem } from '../trajectory/index.js';

export default class Import extends AgentdynoCommand {
  static override description =
    `Convert agent logs and traces (${IMPORT_FORMATS.join(', ')}) into agentdyno.trajectory.v1 JSON Lines. ` +
    'A file converts whole or the command fails listing every problem (file:line: field: message) and writes nothing; ' +
    'with --skip-bad the bad entries are left out and listed. Messages-only formats are tokenized with gpt-tokenizer ' +
    `(source.estimated: ["tokens"]); tool steps with no recorded time get ${DEFAULT_TOOL_MS} ms (source.estimated: ["timings"]). ` +
    'Block hashes (hash_ids + block_size) and cached-token counts are kept.';
  static override examples = [
    '<%= config.bin %> import claude-code ~/.claude/projects/my-proj/02f3098e-….jsonl --out cc.jsonl',
    '<%= config.bin %> import mooncake conversation_trace.jsonl --out mooncake.jsonl --skip-bad',
    '<%= config.bin %> import weka sample_trace_with_subagent.json --out weka.jsonl --json',
  ];
  static override strict = false;
  static override args = {
    format: Args.string({ description: 'input format', required: true, options: [...IMPORT_FORMATS] }),
    files: Args.string({ description: 'input files', required: true }),
  };
  static override flags = {
    out: Flags.string({ description: 'output trajectory file (.jsonl)', required: true }),
    'skip-bad': Flags.boolean({ description: 'import what converts and list the skipped entries instead of failing', default: false }),
  };

  async run(): Promise<{ format: string; files: number; trajectories: number; agents: number; llmCalls: number; out: string; skipped: ImportProblem[] }> {
    const { argv, flags } = await this.parse(Import);
    const [format, ...files] = argv as string[];
    const r = importFiles(format, files, { skipBad: flags['skip-bad'] });
    writeFileSync(flags.out, trajectoriesToJsonl(r.trajectories));
    const agents = r.trajectories.reduce((n, t) => n + t.agents.length, 0);
    const llmCalls = r.trajectories.reduce((n, t) => n + t.agents.reduce((m, a) => m + a.steps.filter((s) => s.type === 'llm').length, 0), 0);
    if (!this.jsonEnabled()) {
      const est = [...new Set(r.trajectories.flatMap((t) => t.source.estimated ?? []))];
      this.log(`${format}: ${r.trajectories.length} trajector${r.trajectories.length === 1 ? 'y' : 'ies'} (${agents} agents, ${llmCalls} llm calls) from ${r.files} file${r.files === 1 ? '' : 's'} -> ${flags.out}`);
      if (est.length) this.log(`estimated, not recorded: ${est.join(', ')}`);
      if (r.skipped.length) this.log(`skipped ${r.skipped.length} bad entr${r.skipped.length === 1 ? 'y' : 'ies'}:\n${r.skipped.map(formatImportProblem).join('\n')}`);
    }
    return { format, files: r.files, trajectories: r.trajectories.length, agents, llmCalls, out: flags.out, skipped: r.skipped };
  }
}
