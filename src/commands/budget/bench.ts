import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../../core/index.js';
import { runBudgetBench, type BudgetBenchResult } from '../../budget/index.js';

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
  };

  async run(): Promise<BudgetBenchResult> {
    const { flags } = await this.parse(BudgetBench);
    const tty = process.stderr.isTTY && !this.jsonEnabled();
    const r = await runBudgetBench({
      policies: flags.policy, trials: flags.trials, seed: flags.seed, faults: flags.faults, target: flags.target, model: flags.model,
      budgetShare: Number(flags['budget-share']), concurrency: flags.concurrency, trajectories: flags.trajectories, workload: flags.workload,
      db: flags['no-store'] ? null : flags.db,
      onProgress: tty ? (d, t) => { if (d % 50 === 0 || d === t) process.stderr.write(`\r${d}/${t} trials`); } : undefined,
    });
    if (tty) process.stderr.write('\n');
    if (!this.jsonEnabled()) {
      for (const s of r.workloads.shapes ?? []) this.log(`workload ${s.id} (${s.file}): ${s.agents} agents, root spawns ${s.width} in parallel after turn ${s.spawnAfterTurn}, depth ${s.depth}, turns per agent ${s.turnsPerAgent.join('/')}, demand ${s.demandTokens} tokens (scaled)`);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      this.log('policy    trials  violations  (server)  max over  p95 over  over-prov  completion  truncated  unused  ignored-max  categories');
      for (const p of r.policies) {
        this.log([
          p.policy.padEnd(9), String(p.trials).padStart(6), String(p.violations).padStart(11), String(p.serverFaultViolations).padStart(9),
          `${p.maxOvershootPct}%`.padStart(9), `${p.p95OvershootPct}%`.padStart(9), (p.overProvisioning === null ? '-' : `${p.overProvisioning}x`).padStart(10),
          pct(p.completion).padStart(11), pct(p.truncatedShare).padStart(10), pct(p.unusedShare).padStart(7), String(p.serverIgnoredMaxTokensCalls).padStart(12),
          ' ' + (Object.entries(p.byCategory).map(([k, v]) => `${k}=${v}`).join(' ') || '-'),
        ].join(' '));
      }
      this.log('ignored-max: calls where the server generated past the max_tokens sent (detected; the server\'s fault). over-prov: reserved / used tokens.');
      for (const n of r.notes) this.log(`note: ${n}`);
      if (r.workloads.trajectoryNote) this.log(`note: ${r.workloads.trajectoryNote}`);
      this.log(`${r.runId ? `stored as run ${r.runId}; ` : ''}${r.wallS}s`);
    }
    return r;
  }
}
