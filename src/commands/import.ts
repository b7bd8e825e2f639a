import { writeFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand, checkOutputPath } from '../core/index.js';
import { DEFAULT_TOOL_MS, fidelityLines, formatImportProblem, IMPORT_FORMATS, importFiles, trajectoriesToJsonl, type ImportFidelity, type ImportProblem } from '../trajectory/index.js';

export default class Import extends AgentdynoCommand {
  static override description =
    `Convert agent logs and traces (${IMPORT_FORMATS.join(', ')}) into agentdyno.trajectory.v1 JSON Lines. ` +
    'A file converts whole or the command fails listing every problem (file:line: field: message) and writes nothing; ' +
    'with --skip-bad the bad entries are left out and listed with their reasons. Recorded numbers (input, cached and output tokens, model and tool durations, ' +
    'timestamps, sub-agent links and models) are kept as recorded; a number the source lacks is estimated (messages tokenized with gpt-tokenizer) ' +
    `or defaulted (tool waits: ${DEFAULT_TOOL_MS} ms) and labelled on its step ("estimated": ["input_tokens"]). ` +
    'Every import prints and stores (source.fidelity) a fidelity summary: calls, tokens recorded vs estimated, waits recorded vs defaulted, sub-agents, what was left out and why.';
  static override examples = [
    '<%= config.bin %> import claude-code ~/.claude/projects/my-proj/02f3098e-….jsonl --out cc.jsonl',
    '<%= config.bin %> import mooncake conversation_trace.jsonl --out mooncake.jsonl --skip-bad',
    '<%= config.bin %> import aa-replay workload/manifest.json --out agentperf.jsonl --keep-content',
  ];
  static override strict = false;
  static override args = {
    format: Args.string({ description: 'input format', required: true, options: [...IMPORT_FORMATS] }),
    files: Args.string({ description: 'input files', required: true }),
  };
  static override flags = {
    out: Flags.string({ description: 'output trajectory file (.jsonl)', required: true }),
    force: Flags.boolean({ description: 'replace --out when it exists (never when it is one of the input files)', default: false }),
    'skip-bad': Flags.boolean({ description: 'import what converts and list each skipped entry with its reason instead of failing', default: false }),
    'keep-content': Flags.boolean({ description: 'keep message content where the source has it (content.messages), so `replay --content recorded` sends the real text', default: false }),
  };

  async run(): Promise<{ format: string; files: number; trajectories: number; agents: number; llmCalls: number; out: string; skipped: ImportProblem[]; fidelity: ImportFidelity }> {
    const { argv, flags } = await this.parse(Import);
    const [format, ...files] = argv as string[];
    // Never over an input (realpath: another spelling of the same file included), nor over any file without --force.
    checkOutputPath(flags.out, { inputs: files, force: flags.force });
    const r = importFiles(format, files, { skipBad: flags['skip-bad'], keepContent: flags['keep-content'] });
    writeFileSync(flags.out, trajectoriesToJsonl(r.trajectories));
    const agents = r.trajectories.reduce((n, t) => n + t.agents.length, 0);
    const llmCalls = r.trajectories.reduce((n, t) => n + t.agents.reduce((m, a) => m + a.steps.filter((s) => s.type === 'llm').length, 0), 0);
    if (!this.jsonEnabled()) {
      const est = [...new Set(r.trajectories.flatMap((t) => t.source.estimated ?? []))];
      this.log(`${format}: ${r.trajectories.length} trajector${r.trajectories.length === 1 ? 'y' : 'ies'} (${agents} agents, ${llmCalls} llm calls) from ${r.files} file${r.files === 1 ? '' : 's'} -> ${flags.out}`);
      for (const l of fidelityLines(r.fidelity)) this.log(`  ${l}`);
      if (est.length) this.log(`  estimated, not recorded: ${est.join(', ')}`);
      if (r.skipped.length) this.log(`skipped ${r.skipped.length} bad entr${r.skipped.length === 1 ? 'y' : 'ies'}:\n${r.skipped.map(formatImportProblem).join('\n')}`);
    }
    return { format, files: r.files, trajectories: r.trajectories.length, agents, llmCalls, out: flags.out, skipped: r.skipped, fidelity: r.fidelity };
  }
}
