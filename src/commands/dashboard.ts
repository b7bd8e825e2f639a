import { Args, Flags } from '@oclif/core';
import { AgentdynoCommand } from '../core/index.js';
import { openStore } from '../store/index.js';
import { runDashboard, type FeedEvent } from '../ui/index.js';

export default class Dashboard extends AgentdynoCommand {
  static override description =
    'Watch a sweep, replay, suite or budget bench live in the terminal, from this or another process (it follows the results database): load level and phase, live pass rate per tier, tok/s, TTFT/TPOT p50/p99 sparklines, power and energy, errors by class, the client\'s timing lag, and the pass-rate-vs-N curve filling in; for a suite its tasks (status, score, iterations, elapsed), for a budget bench its policies (trials, violations). Keys: q quit, n/p next/previous run, space pause. Plain lines when not a terminal.';
  static override examples = ['<%= config.bin %> dashboard --follow', '<%= config.bin %> dashboard sweep-20261201-222101-35e4', '<%= config.bin %> dashboard --follow --db /data/agentdyno.db'];
  static override enableJsonFlag = false;
  static override args = { run: Args.string({ description: 'run id to watch (default: the newest running sweep, replay, suite or budget bench)' }) };
  static override flags = {
    follow: Flags.boolean({ description: 'keep following: when the run ends, move to the next one that starts' }),
    interval: Flags.integer({ description: 'milliseconds between reads of the database', default: 500, min: 50 }),
    plain: Flags.boolean({ description: 'plain lines even on a terminal' }),
    db: Flags.string({ description: 'results database (default: $AGENTDYNO_DB or results/agentdyno.db)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Dashboard);
    const store = openStore(flags.db);
    try {
      if (args.run) store.requireRun(args.run);
      await runDashboard(
        {
          runs: () => store.listRuns({ limit: 20 }).filter((r) => ['sweep', 'replay', 'suite', 'budget-bench'].includes(r.kind) || r.id === args.run).map((r) => ({ id: r.id, kind: r.kind, status: r.status })),
          events: (id, after) => store.getLiveEvents(id, after).map((e) => e.event as FeedEvent),
        },
        { runId: args.run, follow: flags.follow, intervalMs: flags.interval, plain: flags.plain },
      );
    } finally {
      store.close();
    }
  }
}
