import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../core/index.js';
import { formatLevel, prepareSession, replayFlags, requestRows, runRealLevel, type ContentMode, type LevelReport, type PromptTokenError } from '../replay/index.js';
import { startSimServerInWorker } from '../sim/index.js';
import type { WindowPower } from '../power/index.js';

export default class Replay extends AgentdynoCommand {
  static override description =
    'Replay agent trajectories at one concurrency level (N agent lanes) and print TTFT/TPOT/ITL/E2EL percentiles and goodput in vLLM\'s terms beside the per-agent SLO verdicts, error counts and the client\'s own saturation check.';
  static override examples = [
    '<%= config.bin %> replay --concurrency 8',
    '<%= config.bin %> replay --concurrency 16 --target http://127.0.0.1:8000 --window 120 --json',
    '<%= config.bin %> replay --concurrency 4 --history generated --tool-time-scale 0.5',
    '<%= config.bin %> replay --concurrency 8 --content recorded --trajectories imported/ --json',
    '<%= config.bin %> replay --concurrency 8 --api completions --target http://127.0.0.1:8000',
  ];
  static override flags = {
    ...replayFlags,
    concurrency: Flags.integer({ char: 'c', description: 'Number of agent lanes.', required: true }),
  };

  async run(): Promise<{ runId: string; settings: string; contentMode: ContentMode; promptTokenError: PromptTokenError; level: LevelReport; power: WindowPower[] }> {
    const { flags } = await this.parse(Replay);
    if (flags.concurrency < 1) this.error('--concurrency must be >= 1', { exit: 2 });
    const json = this.jsonEnabled();
    const s = await prepareSession('replay', flags as never, json, async (profile, port) => {
      const srv = await startSimServerInWorker({ profile, port, seed: flags.seed });
      return { url: srv.url, profileName: srv.profile.name, close: () => srv.close() };
    }, { concurrency: flags.concurrency });
    let report: LevelReport;
    let power: WindowPower[] = [];
    try {
      s.sink.emit({ type: 'level-start', concurrency: flags.concurrency, index: 0, phase: 'warmup' });
      const { run, report: r } = await runRealLevel(s.options, flags.concurrency);
      report = r;
      power = await Promise.all(s.target.power.map((ch) => ch.window(BigInt(r.windowStartNs), BigInt(r.windowEndNs))));
      s.store.insertRequests(s.runId, requestRows(run));
      s.sink.emit({ type: 'level-end', concurrency: flags.concurrency, valid: r.valid, reasons: r.reasons, tiers: r.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, passRate: t.passRate, maxPassing: null, minFailing: null })) });
    } catch (e) {
      await s.dispose('failed', { error: (e as Error).message });
      throw e;
    }
    const status = report.interrupted ? 'interrupted' : 'completed';
    await s.dispose(status, { level: report, power });
    if (!json) {
      this.log(`agentdyno replay ${s.runId}\n${s.settingsText}\n`);
      this.log(formatLevel(report, s.options.tiers));
      for (const w of power) this.log(`power: mean ${w.meanW === null ? '-' : w.meanW.toFixed(1)} W over the window; boundary ${w.boundary}; source ${w.source}; class ${w.comparabilityClass}${w.simulated ? '; SIMULATED' : ''}`);
    }
    if (status === 'interrupted') process.exitCode = 130;
    return { runId: s.runId, settings: s.settingsText, contentMode: report.contentMode, promptTokenError: report.promptTokenError, level: report, power };
  }
}
