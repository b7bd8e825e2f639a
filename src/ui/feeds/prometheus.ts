/**
 * `--metrics-port P`: the live figures in Prometheus text format (prom-client), at
 * http://127.0.0.1:P/metrics while the run lasts. Series (all gauges; documented in docs/feeds.md):
 * agentdyno_run_info{run_id,target,simulated} 1, agentdyno_level_concurrency, agentdyno_level_phase{phase},
 * agentdyno_active_agents, agentdyno_level_requests, agentdyno_level_errors, agentdyno_output_tokens_per_second,
 * agentdyno_power_watts, agentdyno_level_energy_joules, agentdyno_ttft_ms{quantile}, agentdyno_tpot_ms{quantile},
 * agentdyno_client_lag_p99_ms, agentdyno_tier_pass_rate{tier}, agentdyno_tier_max_passing{tier},
 * agentdyno_tier_min_failing{tier}, agentdyno_errors{class}, agentdyno_levels_done, agentdyno_run_running.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import type { ProgressEvent, ProgressSink, TierStatus } from '../types.js';

const PHASES = ['idle-power', 'warmup', 'window', 'drain'];

export class PrometheusFeed implements ProgressSink {
  readonly registry = new Registry();
  private server: http.Server | null = null;
  private levelsDone = 0;

  private readonly defs: Record<string, { name: string; help: string; labels?: string[] }> = {
    info: { name: 'agentdyno_run_info', help: 'The run being measured (value 1).', labels: ['run_id', 'target', 'simulated'] },
    running: { name: 'agentdyno_run_running', help: '1 while the run is running, 0 once it ended.' },
    concurrency: { name: 'agentdyno_level_concurrency', help: 'Concurrent agents (N) of the current level.' },
    phase: { name: 'agentdyno_level_phase', help: '1 for the current phase of the level.', labels: ['phase'] },
    active: { name: 'agentdyno_active_agents', help: 'Agent lanes running in the current level.' },
    requests: { name: 'agentdyno_level_requests', help: 'Requests finished in the current level.' },
    errors: { name: 'agentdyno_level_errors', help: 'Failed requests in the current level.' },
    tokps: { name: 'agentdyno_output_tokens_per_second', help: 'Output tokens per second in the current level.' },
    power: { name: 'agentdyno_power_watts', help: 'Mean power of the first power channel over the last 2 s (SIMULATED on the simulator: see agentdyno_run_info).' },
    energy: { name: 'agentdyno_level_energy_joules', help: 'Energy of the first power channel since the level started.' },
    ttft: { name: 'agentdyno_ttft_ms', help: 'TTFT of the window calls finished so far in the level.', labels: ['quantile'] },
    tpot: { name: 'agentdyno_tpot_ms', help: 'TPOT of the window calls finished so far in the level.', labels: ['quantile'] },
    lag: { name: 'agentdyno_client_lag_p99_ms', help: "The client's own event-loop delay p99 over the last tick." },
    canary: { name: 'agentdyno_canary_lag_p99_ms', help: "The timing canary's read lag p99, when one runs." },
    pass: { name: 'agentdyno_tier_pass_rate', help: 'Share of agents meeting the tier (live in the window: provisional; at level end: the verdict).', labels: ['tier'] },
    maxPassing: { name: 'agentdyno_tier_max_passing', help: 'Highest passing N so far for the tier (-1: none yet).', labels: ['tier'] },
    minFailing: { name: 'agentdyno_tier_min_failing', help: 'Lowest failing N so far for the tier (-1: none yet).', labels: ['tier'] },
    errorsByClass: { name: 'agentdyno_errors', help: 'Window calls failed so far in the level, per error class.', labels: ['class'] },
    levels: { name: 'agentdyno_levels_done', help: 'Levels finished so far.' },
    units: { name: 'agentdyno_units_total', help: 'Tasks (suite) or policies (budget bench) the run will go through.' },
    tasksDone: { name: 'agentdyno_tasks_done', help: 'Suite tasks finished so far.', labels: ['outcome'] },
    taskScore: { name: 'agentdyno_task_normalized_score', help: "A suite task's best accepted normalized score so far (baseline 0, reference 1); its result at task end.", labels: ['task'] },
    taskIterations: { name: 'agentdyno_task_iterations', help: "A suite task's iterations so far.", labels: ['task'] },
    policyTrials: { name: 'agentdyno_policy_trials_done', help: 'Budget bench trials finished so far, per policy.', labels: ['policy'] },
    policyViolations: { name: 'agentdyno_policy_violations', help: 'Budget bench trials whose true spend exceeded the budget, per policy (so far while running).', labels: ['policy'] },
  };
  private readonly tasksByOutcome: Record<string, number> = {};
  private readonly bestScore = new Map<string, number>();
  private readonly made = new Map<string, Gauge<string>>();

  /** Gauges are registered on their first value: a figure never measured is absent, never a 0. */
  private gauge(key: string): Gauge<string> {
    let g = this.made.get(key);
    if (!g) {
      const d = this.defs[key];
      g = new Gauge({ name: d.name, help: d.help, labelNames: d.labels ?? [], registers: [this.registry] });
      this.made.set(key, g);
    }
    return g;
  }

  private set(key: string, value: number, labels?: Record<string, string>): void {
    if (labels) this.gauge(key).set(labels, value);
    else this.gauge(key).set(value);
  }

  /** Listens on 127.0.0.1:port (0 = a free one); resolves to the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = http.createServer((req, res) => {
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private tiers(ts: TierStatus[]): void {
    for (const t of ts) {
      const tier = String(t.sloTokPerS);
      if (t.passRate !== null) this.set('pass', t.passRate, { tier });
      this.set('maxPassing', t.maxPassing ?? -1, { tier });
      this.set('minFailing', t.minFailing ?? -1, { tier });
    }
  }

  private setPhase(p: string): void {
    for (const x of new Set([...PHASES, p])) this.set('phase', x === p ? 1 : 0, { phase: x });
  }

  emit(e: ProgressEvent): void {
    switch (e.type) {
      case 'run-start':
        this.set('info', 1, { run_id: e.runId, target: e.target, simulated: String(e.simulated) });
        this.set('running', 1);
        if (e.total !== undefined) this.set('units', e.total);
        break;
      case 'phase':
        this.setPhase(e.phase);
        break;
      case 'level-start':
        this.set('concurrency', e.concurrency);
        this.setPhase(e.phase);
        this.made.get('errorsByClass')?.reset();
        break;
      case 'level-tick': {
        this.set('concurrency', e.concurrency);
        this.setPhase(e.phase);
        this.set('active', e.activeAgents);
        this.set('requests', e.requestsDone);
        this.set('errors', e.errors);
        this.set('tokps', e.outputTokPerS);
        if (e.powerW !== null) this.set('power', e.powerW);
        this.tiers(e.tiers);
        const l = e.live;
        if (l) {
          if (l.energyJ !== null) this.set('energy', l.energyJ);
          if (l.ttftMs) (this.set('ttft', l.ttftMs.p50, { quantile: '0.5' }), this.set('ttft', l.ttftMs.p99, { quantile: '0.99' }));
          if (l.tpotMs) (this.set('tpot', l.tpotMs.p50, { quantile: '0.5' }), this.set('tpot', l.tpotMs.p99, { quantile: '0.99' }));
          if (l.clientLagP99Ms !== null) this.set('lag', l.clientLagP99Ms);
          if (l.canaryLagP99Ms !== null) this.set('canary', l.canaryLagP99Ms);
          for (const [k, n] of Object.entries(l.errorsByClass)) this.set('errorsByClass', n, { class: k });
        }
        break;
      }
      case 'level-end':
        this.levelsDone++;
        this.set('levels', this.levelsDone);
        this.tiers(e.tiers);
        break;
      case 'run-end':
        this.set('running', 0);
        break;
      case 'task-iteration':
        this.set('taskIterations', e.iteration, { task: e.taskId });
        if (e.improved && e.normalizedScore !== null) {
          const best = Math.max(this.bestScore.get(e.taskId) ?? Number.NEGATIVE_INFINITY, e.normalizedScore);
          this.bestScore.set(e.taskId, best);
          this.set('taskScore', best, { task: e.taskId });
        }
        break;
      case 'task-end': {
        const outcome = !e.ok ? 'failed' : e.success ? 'success' : 'miss';
        this.tasksByOutcome[outcome] = (this.tasksByOutcome[outcome] ?? 0) + 1;
        this.set('tasksDone', this.tasksByOutcome[outcome], { outcome });
        if (e.normalizedScore !== null) this.set('taskScore', e.normalizedScore, { task: e.taskId });
        break;
      }
      case 'policy-start':
        this.set('policyTrials', 0, { policy: e.policy });
        this.set('policyViolations', 0, { policy: e.policy });
        break;
      case 'policy-tick':
      case 'policy-end': {
        this.set('policyTrials', e.type === 'policy-tick' ? e.trialsDone : e.trials, { policy: e.policy });
        this.set('policyViolations', e.violations, { policy: e.policy });
        break;
      }
      default:
        break;
    }
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections?.();
    this.server = null;
  }
}
