import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError, checkOutputPath } from '../../core/index.js';
import { synthesizeJsonl } from '../../trajectory/index.js';

export default class TrajectoriesSynth extends AgentdynoCommand {
  static override description =
    'Generate seeded synthetic coding-agent trajectories (AgentPerf-shaped; distributions in trajectories/README.md). Same seed and count give identical bytes. Output is labelled source.kind "synthetic" with estimated tokens and timings.';
  static override examples = [
    '<%= config.bin %> trajectories synth --seed 1 --count 32 --out trajectories/synthetic-v1.jsonl',
    '<%= config.bin %> trajectories synth --seed 7 --count 5 > five.jsonl',
  ];
  static override flags = {
    seed: Flags.integer({ description: 'random seed (non-negative integer)', default: 1, min: 0 }),
    count: Flags.integer({ description: 'number of trajectories', default: 32, min: 1 }),
    out: Flags.string({ description: 'write JSON Lines here (default: stdout)' }),
    force: Flags.boolean({ description: 'replace --out when it exists', default: false }),
  };

  async run(): Promise<{ out: string | null; seed: number; count: number; bytes: number }> {
    const { flags } = await this.parse(TrajectoriesSynth);
    if (flags.out) checkOutputPath(flags.out, { force: flags.force });
    const text = synthesizeJsonl({ seed: flags.seed, count: flags.count });
    if (flags.out) {
      try {
        writeFileSync(flags.out, text);
      } catch (e) {
        throw new AgentdynoError(`cannot write: ${(e as Error).message}`, { code: 'E_USAGE', where: flags.out, hint: 'Check that the directory exists and is writable.' });
      }
      if (!this.jsonEnabled()) this.log(`wrote ${flags.count} synthetic trajectories (seed ${flags.seed}, ${text.length} bytes) to ${flags.out}`);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text);
    }
    return { out: flags.out ?? null, seed: flags.seed, count: flags.count, bytes: Buffer.byteLength(text) };
  }
}
