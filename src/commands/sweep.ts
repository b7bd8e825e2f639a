import { Flags } from '@oclif/core';
import { availableParallelism } from 'node:os';
import { AgentdynoCommand, exitCodeFor } from '../core/index.js';
import { describePromptError, formatOpenLoopSweep, formatSweep, openLoopSettings, parseIdleWindow, parseSearchOptions, parseWorkers, parseRedisFlags, prepareSession, RATE_STEPS, replayFlags, runRealOpenLoopSweep, runRealSweep, withPlannedBounds, type RealSweepResult } from '../replay/index.js';
import type { SearchOptions } from '../slo/index.js';
import { loadProfile, startSimServerInWorker } from '../sim/index.js';
import { attachRedis, attachWorkers, describeThreads, startLocalWorkers, type RedisHub } from '../workers/index.js';
import { planSweep, verificationPlan, type VerifyPlan } from '../plan/index.js';

export default class Sweep extends AgentdynoCommand {
  static override description =
    'Find how many concurrent agents an endpoint sustains above each SLO tier: replay agent trajectories in N lanes, grow N geometrically until a tier fails, bisect, and report per tier the bracket [max passing, min failing], the binding constraint, a cliff flag and agents per MW (labelled SIMULATED on the built-in simulator).';
  static override examples = [
    '<%= config.bin %> sweep',
    '<%= config.bin %> sweep --quick --json',
    '<%= config.bin %> sweep --target http://127.0.0.1:8000 --model my-model --power nvidia-smi --window 300 --warmup 60',
    '<%= config.bin %> sweep --slo 20:10000,60:5000 --trajectories trajectories/synthetic-v1.jsonl --seed 7',
    '<%= config.bin %> sweep --quick --content recorded --trajectories imported/ --target http://127.0.0.1:8000',
    '<%= config.bin %> sweep --api completions --target http://127.0.0.1:8000',
    '<%= config.bin %> sweep --arrivals poisson --rate 1 --trajectories imported/ --quick',
  ];
  static override flags = {
    ...replayFlags,
    start: Flags.integer({ description: 'First concurrency level.', default: 6 }),
    growth: Flags.string({ description: 'Geometric growth factor between levels until every tier fails.', default: '2' }),
    'max-concurrency': Flags.integer({ description: 'Highest level the search may try (default 96 on the embedded simulator, to keep the demo near 2 minutes; 4096 on a --target).' }),
    resolution: Flags.string({ description: 'Stop bisecting when min failing - max passing <= max(1, resolution x max passing).', default: '0.5' }),
    replicates: Flags.integer({ description: 'Extra runs of each tier\'s max passing level (the boundary).', default: 0 }),
    'max-levels': Flags.integer({ description: 'Hard cap on levels run.', default: 10 }),
    plan: Flags.boolean({
      description:
        'On the built-in simulator (no --target): first find each tier\'s bracket in virtual time (sim plan, same profile, trajectories, seed and window rules), then run over real HTTP only the levels around it (every tier\'s N_max, then its min failing while --verify-budget lasts). --no-plan searches over HTTP level by level.',
      default: true,
      allowNo: true,
    }),
    'verify-budget': Flags.integer({ description: 'Seconds of HTTP levels the plan-then-verify mode may spend (estimated from the plan; the cheapest N_max level always runs; when a planned N_max misses over HTTP, one level below it may take the run up to 1.5x this, said when it starts; default 150, --quick 60).' }),
    'idle-window': Flags.integer({ description: 'Seconds of idle power measured before the first level, reported beside agents/MW (never subtracted); 0 skips it.', default: 3 }),
  };

  async run(): Promise<RealSweepResult & { runId: string; settings: string }> {
    const { flags } = await this.parse(Sweep);
    const json = this.jsonEnabled();
    const openLoop = openLoopSettings(flags);
    if (openLoop) return (await this.runOpenLoop(flags, openLoop)) as never;
    const search: SearchOptions = parseSearchOptions(flags, flags.target ? 4096 : 96);
    const idleS = parseIdleWindow(flags['idle-window']);
    const redis = parseRedisFlags(flags);
    const workers = redis ? { k: 1, defaulted: true } : parseWorkers(flags.workers, search.maxConcurrency, availableParallelism());
    const s = await prepareSession('sweep', flags as never, json, async (profile, port) => {
      const srv = await startSimServerInWorker({ profile, port, seed: flags.seed });
      return { url: srv.url, profileName: srv.profile.name, close: () => srv.close() };
    }, { search, workers: workers.k });
    s.options.idleS = idleS;
    let hub: RedisHub | null = null;
    if (redis) hub = await attachRedis(s, { ...redis, version: this.config.version });
    else if (workers.k > 1) {
      const links = startLocalWorkers(workers.k, this.config.version);
      await attachWorkers(s, links, this.config.version, describeThreads(links));
    }
    let result: RealSweepResult | null = null;
    let partial: unknown = null;
    let verify: VerifyPlan | null = null;
    const planLines: string[] = [];
    try {
      if (!flags.target && flags.plan) {
        // Plan in virtual time with the exact settings of the HTTP levels, then verify around the bracket.
        const o = s.options;
        const lv = o.level;
        const plan = planSweep(loadProfile(flags['sim-profile']), s.trajectories, {
          warmupS: lv.warmupS, windowS: lv.windowS, drainCapS: lv.drainCapS, warmupCapS: lv.warmupCapS, toolTimeScale: lv.toolTimeScale, maxIdleGapMs: lv.maxIdleGapMs,
          seed: lv.seed, midStart: lv.midStart, tiers: o.tiers, thresholds: o.slo, validity: o.validity, errorPauseMs: 250,
          search: { ...search, maxConcurrency: Math.max(search.maxConcurrency, 512), resolution: 0.1, maxLevels: 24 },
        });
        verify = verificationPlan(plan, flags['verify-budget'] ?? (flags.quick ? 60 : 150));
        planLines.push(
          `plan-then-verify: the virtual-time planner (SIMULATED, profile ${plan.profile.name}, ${plan.levels.length} levels in ${(plan.sim.wallMs / 1000).toFixed(1)} s) proposed ${plan.tiers.map((t) => `${t.sloTokPerS} tok/s [${t.maxPassing ?? '?'}, ${t.minFailing ?? '?'}]`).join(', ')}; ` +
            `real HTTP runs levels ${verify.levels.join(', ')} (about ${verify.estimatedS.toFixed(0)} s)${verify.unverified.length ? `; ${verify.unverified.map((u) => `${u.sloTokPerS} tok/s level ${u.level}: ${u.reason}`).join('; ')}` : ''}. --no-plan searches over HTTP instead.`,
        );
        s.sink.emit({ type: 'message', level: 'info', text: planLines[0] });
        const v = verify;
        const bounds = plan.tiers.map((t) => ({ sloTokPerS: t.sloTokPerS, maxPassing: t.maxPassing, minFailing: t.minFailing, source: 'virtual-time plan (SIMULATED)' }));
        const nextLevel = (outcomes: Parameters<VerifyPlan['next']>[0]) => {
          const n = v.next(outcomes);
          const f = v.fallback;
          if (f && n === f.level) {
            s.sink.emit({ type: 'message', level: 'info', text: `plan-then-verify: ${f.sloTokPerS} tok/s missed at its planned N_max ${f.failedLevel} over HTTP; running level ${f.level} to resolve it (about ${f.estimatedTotalS.toFixed(0)} s in all${f.pastBudget ? `, past the ${v.budgetS} s budget: --verify-budget sets it` : ''})` });
          }
          return n;
        };
        result = await runRealSweep(s.options, search, (p) => (partial = p), nextLevel);
        result = { ...result, ...withPlannedBounds(result, bounds) };
      } else result = await runRealSweep(s.options, search, (p) => (partial = p));
    } catch (e) {
      // Keep the per-tier summary of the levels that finished; the error goes beside it.
      await s.dispose('failed', { ...(partial ?? {}), status: 'failed', error: (e as Error).message });
      throw e;
    }
    await s.dispose(result.status, result);
    // Redis went away mid-sweep: what finished is stored and the run is marked failed; say it with its code.
    if (hub?.lostError) {
      if (!json) this.log(formatSweep(result, [`agentdyno sweep ${s.runId} (ended: ${hub.lostError.message})`]));
      throw hub.lostError;
    }
    const out = { runId: s.runId, settings: s.settingsText, simulated: s.target.simulated, simProfile: s.target.simProfile, ...result, ...(verify ? { verification: { levels: verify.levels, estimatedS: verify.estimatedS, budgetS: verify.budgetS, plannedTiers: verify.tiers, unverified: verify.unverified, fallback: verify.fallback } } : {}) };
    if (!json) {
      const searchLine = verify ? planLines[0] : `search: start ${search.startConcurrency}, x${search.growth}, resolution ${search.resolution}, replicates ${search.replicates} (--replicates N re-runs each boundary level), cap ${search.maxConcurrency}, at most ${search.maxLevels} levels`;
      this.log(formatSweep(result, [`agentdyno sweep ${s.runId}`, s.settingsText, searchLine]));
      this.log(`all levels: ${describePromptError(result.promptTokenError, result.content)}`);
      this.log(`stored in the results database as run ${s.runId} (agentdyno results show ${s.runId})`);
    }
    if (result.status === 'interrupted') process.exitCode = 130;
    // The endpoint went away mid-sweep: what was measured is stored and printed, but the search is unfinished.
    if (result.status === 'failed') process.exitCode = result.levels.some((l) => l.report.fatal) ? exitCodeFor('E_WORKER_LOST') : 3;
    return out;
  }

  /** Open-loop sweep: the same search, over arrival rate (poisson) or rate multiplier (recorded), in steps of 1/RATE_STEPS. */
  private async runOpenLoop(flags: Record<string, unknown>, ol: NonNullable<ReturnType<typeof openLoopSettings>>) {
    if (Number(flags.workers ?? 1) > 1 || flags.redis !== undefined) this.error('--workers and --redis run closed-loop lanes; open-loop arrivals (--arrivals) run in one process', { exit: 2 });
    const json = this.jsonEnabled();
    const start = ol.mode === 'poisson' ? ol.ratePerS! : 1 / (ol.timeScale ?? 1);
    const steps = (x: number) => Math.max(1, Math.round(x * RATE_STEPS));
    const search: SearchOptions = {
      startConcurrency: steps(start),
      growth: Math.max(1.1, Number(flags.growth) || 2),
      maxConcurrency: steps(start * 2 ** 10),
      resolution: Math.max(0, Number(flags.resolution) || 0),
      replicates: Math.max(0, Number(flags.replicates) || 0),
      maxLevels: Math.max(1, Number(flags['max-levels']) || 10),
    };
    const s = await prepareSession('sweep', flags as never, json, async (profile, port) => {
      const srv = await startSimServerInWorker({ profile, port, seed: Number(flags.seed) });
      return { url: srv.url, profileName: srv.profile.name, close: () => srv.close() };
    }, { search, openLoop: ol });
    try {
      const result = await runRealOpenLoopSweep(s.options, ol, search);
      await s.dispose(result.status, { ...result, mode: 'open-loop' });
      if (!json) this.log(formatOpenLoopSweep(result, [`agentdyno sweep ${s.runId}`, s.settingsText, `search (open loop ${ol.mode}): start ${start}, x${search.growth}, resolution ${search.resolution}, at most ${search.maxLevels} levels`]));
      if (result.status === 'interrupted') process.exitCode = 130;
      if (result.status === 'failed') process.exitCode = 3;
      return { runId: s.runId, settings: s.settingsText, ...result };
    } catch (e) {
      await s.dispose('failed', { error: (e as Error).message });
      throw e;
    }
  }
}
