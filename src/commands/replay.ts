import { Flags } from '@oclif/core';
import { availableParallelism } from 'node:os';
import { AgentdynoCommand, AgentdynoError, exitCodeFor } from '../core/index.js';
import { checkConcurrency, parseWorkers, parseRedisFlags, formatLevel, formatOpenLoopLevel, openLoopSettings, prepareSession, replayFlags, requestRows, runRealLevel, runRealOpenLoopLevel, scheduleFor, storePowerTrace, waitForStart, type ContentMode, type LevelReport, type PromptTokenError } from '../replay/index.js';
import { itlHistogramOfRun, parseShard, parseStartAt, type ShardConfig } from '../scale/index.js';
import { startSimServerInWorker } from '../sim/index.js';
import { attachRedis, attachWorkers, describeThreads, startLocalWorkers, type RedisHub } from '../workers/index.js';
import type { WindowPower } from '../power/index.js';

export default class Replay extends AgentdynoCommand {
  static override description =
    'Replay agent trajectories at one concurrency level (N agent lanes) and print TTFT/TPOT/ITL/E2EL percentiles and goodput in vLLM\'s terms beside the per-agent SLO verdicts, error counts and the client\'s own saturation check.\n\n' +
    'Scale-out: past what one client machine can drive, run K copies with --shard I/K (each runs the global lanes i % K == I, with the seeds a single N-lane run would use) and the same --start-at, each writing its own --db, then combine them with `agentdyno results merge`. Only one level can be sharded this way. Every core of this machine: --workers K (threads, one merged verdict); several machines under one coordinator (also for `sweep`): --redis URL --expect-workers N with `agentdyno worker --redis URL` on each (docs/scale-out.md).';
  static override examples = [
    '<%= config.bin %> replay --concurrency 8',
    '<%= config.bin %> replay --concurrency 16 --target http://127.0.0.1:8000 --window 120 --json',
    '<%= config.bin %> replay --concurrency 4 --history generated --tool-time-scale 0.5',
    '<%= config.bin %> replay --concurrency 8 --content recorded --trajectories imported/ --json',
    '<%= config.bin %> replay --concurrency 8 --api completions --target http://127.0.0.1:8000',
    '<%= config.bin %> replay --concurrency 512 --shard auto/8 --start-at 2026-05-01T12:00:00Z --target http://vllm:8000 --db /out/shard.db',
    '<%= config.bin %> replay --arrivals recorded --time-scale 0.5 --trajectories mooncake.jsonl',
    '<%= config.bin %> replay --arrivals poisson --rate 4 --trajectories imported/',
  ];
  static override flags = {
    ...replayFlags,
    concurrency: Flags.integer({ char: 'c', description: 'Number of agent lanes (with --shard: the total over all shards). Not used with --arrivals (open loop).' }),
    shard: Flags.string({ description: 'Run shard I of K of the level (I/K; auto/K reads JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job): the global lanes i with i % K == I. Merge the shards with `results merge`.' }),
    'start-at': Flags.string({ description: 'Wall-clock time (ISO 8601 with zone, e.g. 2026-05-01T12:00:00Z) to start the load at after set-up; give every shard the same one. Refused if more than 5 s past or 24 h ahead.' }),
  };

  async run(): Promise<{ runId: string; settings: string; simulated: boolean; simProfile: string | null; contentMode: ContentMode; promptTokenError: PromptTokenError; level: LevelReport; power: WindowPower[]; shard?: ShardConfig }> {
    const { flags } = await this.parse(Replay);
    const openLoop = openLoopSettings(flags);
    if (openLoop) return (await this.runOpenLoop(flags, openLoop)) as never;
    if (flags.concurrency === undefined) throw new AgentdynoError('--concurrency N is required (or --arrivals recorded|poisson for open-loop replay)', { code: 'E_USAGE', where: '--concurrency', hint: 'e.g. replay -c 8' });
    checkConcurrency('concurrency', flags.concurrency);
    const json = this.jsonEnabled();
    const shard = flags.shard === undefined ? null : parseShard(flags.shard, flags.concurrency);
    const startAtMs = flags['start-at'] === undefined ? null : parseStartAt(flags['start-at'], Date.now());
    const redis = parseRedisFlags(flags);
    const workers = redis ? { k: 1, defaulted: true } : parseWorkers(flags.workers, shard ? shard.lanes.length : flags.concurrency, availableParallelism());
    const shardConfig: ShardConfig | null = shard && { index: shard.index, count: shard.count, startAt: startAtMs === null ? null : new Date(startAtMs).toISOString(), concurrencyTotal: flags.concurrency, lanes: shard.lanes };
    const s = await prepareSession('replay', flags as never, json, async (profile, port) => {
      const srv = await startSimServerInWorker({ profile, port, seed: flags.seed });
      return { url: srv.url, profileName: srv.profile.name, close: () => srv.close() };
    }, { concurrency: flags.concurrency, workers: workers.k, ...(shardConfig ? { shard: shardConfig } : {}), ...(startAtMs !== null ? { startAt: new Date(startAtMs).toISOString() } : {}) });
    let hub: RedisHub | null = null;
    if (redis) hub = await attachRedis(s, { ...redis, version: this.config.version });
    else if (workers.k > 1) {
      const links = startLocalWorkers(workers.k, this.config.version);
      await attachWorkers(s, links, this.config.version, describeThreads(links));
    }
    let report: LevelReport;
    let power: WindowPower[] = [];
    let itlHdr: string | null = null;
    try {
      if (startAtMs !== null) await waitForStart(startAtMs, { signal: s.controller.signal, sink: s.sink });
      s.sink.emit({ type: 'level-start', concurrency: flags.concurrency, index: 0, phase: 'warmup' });
      const { run, report: r } = await runRealLevel(s.options, flags.concurrency, undefined, shard?.lanes);
      report = r;
      power = await Promise.all(s.target.power.map((ch) => ch.window(BigInt(r.windowStartNs), BigInt(r.windowEndNs))));
      // A shard's rows carry the level's N (not its own lane count) and the global lane indices.
      s.store.insertRequests(s.runId, requestRows(run).map((row) => ({ ...row, level: flags.concurrency!, simulated: s.target.simulated })));
      storePowerTrace(s.options, run.startNs, run.cutNs);
      if (shard) itlHdr = itlHistogramOfRun(run);
      s.sink.emit({ type: 'level-end', concurrency: flags.concurrency, valid: r.valid, reasons: r.reasons, tiers: r.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, passRate: t.passRate, maxPassing: null, minFailing: null })) });
    } catch (e) {
      await s.dispose('failed', { error: (e as Error).message });
      throw e;
    }
    const status = report.fatal ? 'failed' : report.interrupted ? 'interrupted' : 'completed';
    await s.dispose(status, { level: report, power, ...(shardConfig ? { scaleOut: { shard: shardConfig, itlHdr } } : {}) });
    if (hub?.lostError) throw hub.lostError;
    if (report.fatal) process.exitCode = exitCodeFor('E_WORKER_LOST');
    if (!json) {
      this.log(`agentdyno replay ${s.runId}\n${s.settingsText}\n`);
      if (shardConfig) {
        this.log(
          `shard ${shardConfig.index}/${shardConfig.count} of a ${flags.concurrency}-lane level: ${shardConfig.lanes.length} lanes (global indices ${shardConfig.lanes.slice(0, 8).join(', ')}${shardConfig.lanes.length > 8 ? ', ...' : ''})` +
            `${shardConfig.startAt ? `, started at ${shardConfig.startAt}` : ''}; the figures below are this shard's alone: combine all ${shardConfig.count} with \`agentdyno results merge --from SHARD.db ...\`\n`,
        );
      }
      this.log(formatLevel(report, s.options.tiers));
      for (const w of power) this.log(`power: mean ${w.meanW === null ? '-' : w.meanW.toFixed(1)} W over the window; boundary ${w.boundary}; source ${w.source}; class ${w.comparabilityClass}${w.simulated ? '; SIMULATED' : ''}`);
    }
    if (status === 'interrupted') process.exitCode = 130;
    return { runId: s.runId, settings: s.settingsText, simulated: s.target.simulated, simProfile: s.target.simProfile, contentMode: report.contentMode, promptTokenError: report.promptTokenError, level: report, power, ...(shardConfig ? { shard: shardConfig } : {}) };
  }

  /** One open-loop level: arrivals on the recorded offsets or a Poisson rate (replay/open-loop*.ts). */
  private async runOpenLoop(flags: Record<string, unknown>, ol: NonNullable<ReturnType<typeof openLoopSettings>>) {
    if (flags.shard !== undefined || flags['start-at'] !== undefined) this.error('--shard and --start-at are closed-loop only', { exit: 2 });
    if (Number(flags.workers ?? 1) > 1 || flags.redis !== undefined) this.error('--workers and --redis run closed-loop lanes; open-loop arrivals (--arrivals) run in one process', { exit: 2 });
    const json = this.jsonEnabled();
    const s = await prepareSession('replay', flags as never, json, async (profile, port) => {
      const srv = await startSimServerInWorker({ profile, port, seed: Number(flags.seed) });
      return { url: srv.url, profileName: srv.profile.name, close: () => srv.close() };
    }, { openLoop: ol });
    try {
      const schedule = scheduleFor(s.options, ol);
      const { run, report } = await runRealOpenLoopLevel(s.options, ol, schedule);
      s.store.insertRequests(s.runId, requestRows(run).map((row) => ({ ...row, arrivalRatePerS: schedule.ratePerS, simulated: s.target.simulated })));
      const status = report.interrupted ? 'interrupted' : 'completed';
      await s.dispose(status, { level: report, mode: 'open-loop' });
      if (!json) this.log(`agentdyno replay ${s.runId}\n${s.settingsText}\n\n${formatOpenLoopLevel(report, s.options.tiers, ol.validity)}`);
      if (status === 'interrupted') process.exitCode = 130;
      return { runId: s.runId, settings: s.settingsText, mode: 'open-loop', level: report };
    } catch (e) {
      await s.dispose('failed', { error: (e as Error).message });
      throw e;
    }
  }
}
