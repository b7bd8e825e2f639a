import { Flags } from '@oclif/core';
import { AgentdynoCommand, newRunId } from '../../core/index.js';
import { runBudgetBench, type BudgetBenchResult } from '../../budget/index.js';
import { feedFlags, openFeeds } from '../../replay/index.js';
import { openStore } from '../../store/index.js';
import { teeSinks, type ProgressSink } from '../../ui/index.js';

export default class BudgetBench extends AgentdynoCommand {
  static override description =
    'Benchmark token-budget policies (naive check-then-spend, static, affine, adaptive) on fan-out workloads over HTTP, with injected faults: violations (each classified), overshoot, over-provisioning and completion per policy. Uses the simulator (illustrative) unless --target is given.\n\nBudget handles in code (src/budget): a consumed handle or settled reservation used again is always a run-time error (E_BUDGET_MISUSE). It is also a compile error (TS2339 on never) when the binding is annotated `: BudgetHandle` / `: Reservation`: use after split, splitEven or joinInto; settle or commit or release twice in any order; a child after parent.absorb(child); use after a helper declared `asserts h is never`. Run time only: aliases, a child after join([child]), helpers without that assertion, unannotated bindings, any, JavaScript. Unannotated correct code compiles. Details: docs/budget-types.md.';
  static override examples = [
    '<%= config.bin %> budget bench --policy naive,static,affine,adaptive --trials 200',
    '<%= config.bin %> budget bench --workload trajectory:session.jsonl --trials 200',
    '<%= config.bin %> budget bench --policy affine,adaptive --trials 1000 --json',
    '<%= config.bin %> budget bench --policy naive,affine --trials 50 --faults none,tool_loop --target http://127.0.0.1:8000 --model my-model',
  ];
  static override flags = {
    policy: Flags.string({ description: 'Comma-separated policies: naive, static, affine, adaptive.', default: 'naive,static,affine,adaptive' }),
    trials: Flags.integer({ description: 'Trials per policy (the same seeded workloads for every policy).', default: 100 }),
    seed: Flags.integer({ description: 'Seed for workloads and fault draws.', default: 1 }),
    faults: Flags.string({ description: 'Comma-separated faults, used in turn: none, retry_5xx, cancelled_stream, missing_usage, ignore_max_tokens, tokenizer_mismatch, tool_loop.' }),
    target: Flags.string({ description: 'OpenAI-compatible base URL instead of the simulator (server-side faults are then skipped).' }),
    model: Flags.string({ description: 'Model name sent to --target.', default: 'sim-small' }),
    'budget-share': Flags.string({ description: 'Budget as a share of each workload\'s token demand.', default: '0.6' }),
    concurrency: Flags.integer({ description: 'Trials run at once.', default: 32 }),
    workload: Flags.string({ description: 'generated (default: generated trees; every third trial a spawn tree from --trajectories) or trajectory:FILE[,FILE]: every trial replays the fan-out shape recorded in those trajectory files (e.g. an imported Claude Code or weka session with parallel sub-agents).', default: 'generated' }),
    trajectories: Flags.string({ description: 'Trajectory file or folder whose spawn steps become workloads (default: trajectories/).', multiple: true }),
    db: Flags.string({ description: 'Results database (default results/agentdyno.db or AGENTDYNO_DB).' }),
    'no-store': Flags.boolean({ description: 'Do not write the results database.' }),
    ...feedFlags,
  };

  async run(): Promise<BudgetBenchResult> {
    const { flags } = await this.parse(BudgetBench);
    const tty = process.stderr.isTTY && !this.jsonEnabled();
    // With --events - the NDJSON owns stdout: the table goes to stderr.
    const say = (line: string) => (flags.events === '-' ? this.logToStderr(line) : this.log(line));
    // Feeds are opened on the run id before the bench starts; the live events reach the store once the run exists.
    // (With --no-store the id only names the run in --events / --metrics-port; nothing is stored under it.)
    const runId = newRunId('budget');
    const feedStore = flags['no-store'] ? null : openStore(flags.db);
    let sink: ProgressSink = teeSinks();
    let started = false;
    const violations = new Map<string, number>();
    let r: BudgetBenchResult;
    try {
      const feeds = await openFeeds(flags as unknown as Record<string, unknown>, feedStore, runId, this.jsonEnabled(), (text) => process.stderr.write(`warning: ${text}\n`));
      sink = teeSinks(...feeds.sinks);
      r = await runBudgetBench({
      runId,
      on: {
        start: (id, run) => {
          started = true;
          sink.emit({ type: 'run-start', runId: id ?? runId, title: 'agentdyno budget bench', target: run.target, simulated: run.simulated, kind: 'budget-bench', total: run.policies.length });
          if (feeds.metricsUrl) sink.emit({ type: 'message', level: 'info', text: `Prometheus metrics at ${feeds.metricsUrl}` });
        },
        policyStart: (policy, index) => sink.emit({ type: 'policy-start', policy, index, trials: flags.trials }),
        trial: (rec, done) => {
          const p = rec.outcome.policy;
          if (rec.violation) violations.set(p, (violations.get(p) ?? 0) + 1);
          const trialsDone = ((done - 1) % flags.trials) + 1;
          sink.emit({ type: 'policy-tick', policy: p, trialsDone, trials: flags.trials, violations: violations.get(p) ?? 0 });
        },
        policyEnd: (p) => sink.emit({ type: 'policy-end', policy: p.policy, trials: p.trials, violations: p.violations, serverFaultViolations: p.serverFaultViolations, maxOvershootPct: p.maxOvershootPct, p95OvershootPct: p.p95OvershootPct, overProvisioning: p.overProvisioning, completion: p.completion }),
      },
      policies: flags.policy, trials: flags.trials, seed: flags.seed, faults: flags.faults, target: flags.target, model: flags.model,
      budgetShare: Number(flags['budget-share']), concurrency: flags.concurrency, trajectories: flags.trajectories, workload: flags.workload,
      db: flags['no-store'] ? null : flags.db,
      onProgress: tty ? (d, t) => { if (d % 50 === 0 || d === t) process.stderr.write(`\r${d}/${t} trials`); } : undefined,
      });
      if (started) sink.emit({ type: 'run-end', runId, status: 'completed' });
    } catch (e) {
      if (started) sink.emit({ type: 'run-end', runId: runId, status: 'failed' });
      throw e;
    } finally {
      sink.close();
      feedStore?.close();
    }
    if (tty) process.stderr.write('\n');
    if (!this.jsonEnabled()) {
      for (const s of r.workloads.shapes ?? []) say(`workload ${s.id} (${s.file}): ${s.agents} agents, root spawns ${s.width} in parallel after turn ${s.spawnAfterTurn}, depth ${s.depth}, turns per agent ${s.turnsPerAgent.join('/')}, demand ${s.demandTokens} tokens (scaled)`);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      say('policy    trials  violations  (server)  max over  p95 over  over-prov  completion  truncated  unused  ignored-max  categories');
      for (const p of r.policies) {
        say([
          p.policy.padEnd(9), String(p.trials).padStart(6), String(p.violations).padStart(11), String(p.serverFaultViolations).padStart(9),
          `${p.maxOvershootPct}%`.padStart(9), `${p.p95OvershootPct}%`.padStart(9), (p.overProvisioning === null ? '-' : `${p.overProvisioning}x`).padStart(10),
          pct(p.completion).padStart(11), pct(p.truncatedShare).padStart(10), pct(p.unusedShare).padStart(7), String(p.serverIgnoredMaxTokensCalls).padStart(12),
          ' ' + (Object.entries(p.byCategory).map(([k, v]) => `${k}=${v}`).join(' ') || '-'),
        ].join(' '));
      }
      say('ignored-max: calls where the server generated past the max_tokens sent (detected; the server\'s fault). over-prov: reserved / used tokens.');
      for (const n of r.notes) say(`note: ${n}`);
      if (r.workloads.trajectoryNote) say(`note: ${r.workloads.trajectoryNote}`);
      say(`${r.runId ? `stored as run ${r.runId}; ` : ''}${r.wallS}s`);
    }
    return r;
  }
}
