import { Flags } from '@oclif/core';
import { AgentdynoCommand, AgentdynoError, clockAnchor, newRunId } from '../../core/index.js';
import { openStore, type PlanResultV1 } from '../../store/index.js';
import { bundledTrajectories, num, replayFlags } from '../../replay/index.js';
import { parseSloTiers, type SearchOptions, type SloTier } from '../../slo/index.js';
import { loadProfile } from '../../sim/index.js';
import { autoKvBlockTokens, formatPlan, formatPlanLevel, planSweep, type PlanSweepResult } from '../../plan/index.js';
import { loadTrajectories } from '../../trajectory/index.js';

/** Virtual time is cheap, so the defaults are longer than a real sweep's: trajectories span minutes. */
const PLAN_DEFAULTS = { warmupS: 30, windowS: 120, drainCapS: 30 } as const;

export default class SimPlan extends AgentdynoCommand {
  static override description =
    'Capacity planning in virtual time (SIMULATED): the simulator engine driven by a discrete-event clock with simulated agent lanes, searched like a real sweep (geometric growth, then bisection) to find per SLO tier the bracket [max passing, min failing] of concurrent agents, with simulated agents/MW. Reaches 10^4+ agents across engine replicas without sockets or timers. Every figure is a model of an illustrative profile, not a measurement.';
  static override examples = [
    '<%= config.bin %> sim plan',
    '<%= config.bin %> sim plan --profile h100-illustrative --replicas 64 --start 1024 --json',
    '<%= config.bin %> sim plan --profile h100-illustrative --replicas 512 --sample-replicas 16 --start 8192 --slo 20',
    '<%= config.bin %> sim plan --profile results/fitted-sweep-20261123.yaml --slo 20:10000,60:5000 --window 300',
    '<%= config.bin %> sim plan --trajectories imported/ --tool-time-scale 0.5 --seed 7',
  ];
  static override flags = {
    profile: Flags.string({ description: 'Simulator profile name (see `agentdyno sim profiles`) or a YAML path (e.g. one written by `agentdyno sim fit`).', default: 'small' }),
    trajectories: replayFlags.trajectories,
    slo: replayFlags.slo,
    'ttft-ceiling-ms': replayFlags['ttft-ceiling-ms'],
    'call-pass-fraction': replayFlags['call-pass-fraction'],
    'agent-pass-fraction': replayFlags['agent-pass-fraction'],
    'tool-time-scale': replayFlags['tool-time-scale'],
    'max-idle-gap-ms': replayFlags['max-idle-gap-ms'],
    'start-turn': replayFlags['start-turn'],
    seed: replayFlags.seed,
    replicas: Flags.integer({ description: 'Engine replicas behind the agents (lane i is pinned to replica i mod N, like session affinity); power is summed over them.', default: 1 }),
    warmup: Flags.string({ description: `Virtual seconds the lanes' starts are staggered over, and of settling after half the lanes finished a full call (then the window opens; the same rule as replay).`, default: String(PLAN_DEFAULTS.warmupS) }),
    window: Flags.string({ description: 'Virtual steady-window seconds per level.', default: String(PLAN_DEFAULTS.windowS) }),
    'drain-cap': Flags.string({ description: 'Virtual seconds the load stays on after the window for window calls to finish.', default: String(PLAN_DEFAULTS.drainCapS) }),
    start: Flags.integer({ description: 'First concurrency level (default 4 x replicas).' }),
    max: Flags.integer({ description: 'Highest level the search may try (default 512 x replicas).' }),
    growth: Flags.string({ description: 'Geometric growth factor between levels until every tier fails.', default: '2' }),
    resolution: Flags.string({ description: 'Stop bisecting when min failing - max passing <= max(1, resolution x max passing).', default: '0.1' }),
    replicates: Flags.integer({ description: "Extra runs (other seeds) of each tier's max passing level.", default: 0 }),
    'max-levels': Flags.integer({ description: 'Hard cap on levels run.', default: 16 }),
    'sample-replicas': Flags.integer({
      description:
        'Simulate only this many of the --replicas (evenly spaced), each exactly with the agents pinned to it, and judge the level on those agents; power and throughput are scaled up (labelled ESTIMATE). Replicas share nothing, so this trades sampling error for speed at 10^4+ agents. Default: all.',
    }),
    'kv-block-tokens': Flags.string({
      description:
        "KV block size the simulation accounts in: 'auto' keeps the profile's unless the mean prompt spans over 512 blocks, then coarsens to a multiple of it (same capacity; prefix hits rounded to it) for speed at 10^4 agents; 'exact' always uses the profile's; or a number of tokens.",
      default: 'auto',
    }),
    db: Flags.string({ description: 'Results database the plan is stored in as a `plan` run (default: $AGENTDYNO_DB or results/agentdyno.db).' }),
    'no-store': Flags.boolean({ description: 'Do not store the plan.' }),
  };

  async run(): Promise<PlanSweepResult & { runId: string | null }> {
    const { flags } = await this.parse(SimPlan);
    const f = flags as unknown as Record<string, unknown>;
      // parseSloTiers throws AgentdynoError (E_USAGE, or E_USAGE_RANGE for a floor the client cannot resolve).
    const tiers: SloTier[] = parseSloTiers(flags.slo, flags['ttft-ceiling-ms']);
    const replicas = Math.max(1, flags.replicas);
    if (flags.replicas < 1) throw new AgentdynoError(`--replicas must be >= 1 (got ${flags.replicas})`, { code: 'E_USAGE', where: '--replicas' });
    const search: SearchOptions = {
      startConcurrency: Math.max(1, flags.start ?? 4 * replicas),
      growth: num(f, 'growth', 2, { min: 1.1 }),
      maxConcurrency: Math.max(1, flags.max ?? 512 * replicas),
      resolution: num(f, 'resolution', 0.1, { min: 0 }),
      replicates: Math.max(0, flags.replicates),
      maxLevels: Math.max(1, flags['max-levels']),
    };
    if (search.startConcurrency > search.maxConcurrency) throw new AgentdynoError(`--start ${search.startConcurrency} is above --max ${search.maxConcurrency}`, { code: 'E_USAGE', where: '--start / --max', hint: 'Lower --start or raise --max.' });
    const profile = loadProfile(flags.profile);
    const kvFlag = flags['kv-block-tokens'];
    const files = flags.trajectories?.length ? flags.trajectories : [bundledTrajectories()];
    const trajectories = loadTrajectories(files).map((l) => l.trajectory);
    if (!trajectories.length) throw new AgentdynoError('no trajectories found', { code: 'E_USAGE', where: files.join(', '), hint: 'Give a .jsonl/.json file or a folder holding some.' });
    const kvBlockTokens = kvFlag === 'auto' ? autoKvBlockTokens(profile, trajectories) : kvFlag === 'exact' ? profile.kvCache.blockSize : num(f, 'kv-block-tokens', 0, { min: 1 });
    if (flags['sample-replicas'] !== undefined && flags['sample-replicas'] < 1) throw new AgentdynoError(`--sample-replicas must be >= 1 (got ${flags['sample-replicas']})`, { code: 'E_USAGE', where: '--sample-replicas' });
    const json = this.jsonEnabled();
    // Progress goes to stderr in both modes: stdout stays the report (or one JSON object).
    const progress = (line: string) => process.stderr.write(line + '\n');
    progress(`sim plan (VIRTUAL TIME, SIMULATED): profile ${profile.name} x ${replicas} replica(s), ${trajectories.length} trajectories, levels from ${search.startConcurrency} (x${search.growth}) up to ${search.maxConcurrency}`);
    const opts = {
      warmupS: num(f, 'warmup', PLAN_DEFAULTS.warmupS, { min: 0 }),
      windowS: num(f, 'window', PLAN_DEFAULTS.windowS, { min: 1 }),
      drainCapS: num(f, 'drain-cap', PLAN_DEFAULTS.drainCapS, { min: 0 }),
      toolTimeScale: num(f, 'tool-time-scale', 1, { min: 0 }),
      maxIdleGapMs: num(f, 'max-idle-gap-ms', 10_000, { min: 0 }),
      seed: flags.seed,
      midStart: flags['start-turn'] !== 'first',
      replicas,
      sampleReplicas: flags['sample-replicas'],
      tiers,
      thresholds: { callPassFraction: num(f, 'call-pass-fraction', 0.9, { min: 0, max: 1 }), agentPassFraction: num(f, 'agent-pass-fraction', 0.95, { min: 0, max: 1 }) },
      search,
      trajectoryFiles: files,
      kvBlockTokens,
      onLevel: (l: PlanSweepResult['levels'][number], i: number) => progress(formatPlanLevel(l, i)),
    };
    // Stored as a `plan` run (agentdyno.run.v1): results list/show and `agentdyno report` read it.
    const store = flags['no-store'] ? null : openStore(flags.db);
    const runId = store ? newRunId('plan') : null;
    const { onLevel: _l, ...config } = opts;
    store?.createRun({ id: runId!, kind: 'plan', config: { ...config, profile: profile.name, profileFile: flags.profile }, target: { url: null, simulated: true, virtualTime: true, profile: profile.name }, clockAnchor: clockAnchor() });
    let result: PlanSweepResult;
    try {
      result = planSweep(profile, trajectories, opts);
      // The per-call rows stay out of the result (they are the requests table's, and planSweep keeps none by default).
      const stored: PlanResultV1 = { ...result, levels: result.levels.map(({ requests: _r, ...l }) => l) };
      store?.finishRun(runId!, 'completed', stored);
    } catch (e) {
      store?.finishRun(runId!, 'failed', { error: (e as Error).message });
      throw e;
    } finally {
      store?.close();
    }
    if (!json) {
      this.log(formatPlan(result));
      if (runId) this.log(`stored as run ${runId} (agentdyno report ${runId})`);
    }
    return { ...result, runId };
  }
}
