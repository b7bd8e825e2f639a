import { AgentdynoCommand } from '../../core/index.js';
import { listProfiles, loadProfile, predictDecodeTokPerS } from '../../sim/index.js';

interface ProfileRow {
  name: string;
  file: string;
  illustrative: boolean;
  servedModelName: string;
  maxModelLen: number;
  kvTokens: number;
  singleStreamDecodeTokPerS: number;
  idleW: number;
  maxW: number;
  source: string;
}

export default class SimProfiles extends AgentdynoCommand {
  static override description = 'List the simulator profiles (all illustrative) with their capacity figures from the step-time model.';
  static override examples = ['<%= config.bin %> sim profiles', '<%= config.bin %> sim profiles --json'];

  async run(): Promise<{ profiles: ProfileRow[] }> {
    const profiles = listProfiles().map(({ file }) => {
      const p = loadProfile(file);
      return {
        name: p.name,
        file,
        illustrative: p.illustrative,
        servedModelName: p.servedModelName,
        maxModelLen: p.maxModelLen,
        kvTokens: p.kvCache.numBlocks * p.kvCache.blockSize,
        singleStreamDecodeTokPerS: Math.round(predictDecodeTokPerS(p, { batch: 1, kvTokensPerSeq: 4096 }) * 10) / 10,
        idleW: p.power.idleW,
        maxW: p.power.maxW,
        source: p.source,
      };
    });
    if (!this.jsonEnabled()) {
      for (const p of profiles) {
        this.log(`${p.name}  [illustrative]  model=${p.servedModelName}  max_model_len=${p.maxModelLen}  KV=${p.kvTokens} tokens  single-stream decode ~${p.singleStreamDecodeTokPerS} tok/s (4k context)  power ${p.idleW}-${p.maxW} W (simulated)`);
        this.log(`    source: ${p.source}`);
      }
    }
    return { profiles };
  }
}
