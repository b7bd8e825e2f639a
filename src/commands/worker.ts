import { availableParallelism } from 'node:os';
import { hostname } from 'node:os';
import { Flags } from '@oclif/core';
import { AgentdynoCommand } from '../core/index.js';
import { runRedisWorker } from '../workers/index.js';

export default class Worker extends AgentdynoCommand {
  static override description =
    'Serve as a load worker for a coordinator on another machine: register at --redis, wait for `agentdyno sweep --redis URL --expect-workers N` (or replay), and run the lanes it sends (lane i on worker thread i % all threads), each thread with its own event loop, connection pool and timing canary. After a coordinator is done, it registers again.';
  static override examples = ['<%= config.bin %> worker --redis redis://10.0.0.5:6379', '<%= config.bin %> worker --redis redis://redis:6379 --name load-0 --workers 7'];
  static override flags = {
    redis: Flags.string({ description: 'Redis URL shared with the coordinator (redis://HOST:PORT[/DB]).', required: true }),
    name: Flags.string({ description: 'This worker\'s name in the coordinator\'s reports (default HOST-PID); unique per Redis.' }),
    workers: Flags.integer({ description: 'Load threads in this process (default: the cores available minus one, at least 1).', min: 1, max: 1024 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const threads = flags.workers ?? Math.max(1, availableParallelism() - 1);
    await runRedisWorker({
      url: flags.redis,
      name: flags.name ?? `${hostname()}-${process.pid}`,
      threads,
      version: this.config.version,
      signal: ac.signal,
      say: (text) => process.stderr.write(`agentdyno worker: ${text}\n`),
    });
  }
}
