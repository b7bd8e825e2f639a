/**
 * The feeds a sweep or replay writes beside its live view: the store's live_events (always: what
 * `agentdyno dashboard` follows from any process), `--events FILE|-` (NDJSON) and `--metrics-port P`
 * (Prometheus). All take the same progress events; none can stop the run.
 */
import { Flags } from '@oclif/core';
import { AgentdynoError } from '../core/index.js';
import type { Store } from '../store/index.js';
import { FeedSink, ndjsonSink, PrometheusFeed, type ProgressSink } from '../ui/index.js';

export const feedFlags = {
  events: Flags.string({ description: 'Write agentdyno.events.v1 NDJSON (schemas/events.v1.json) to FILE, or - for stdout: one line per phase change, level start and result, message, and the live figures once per --events-interval.' }),
  'events-interval': Flags.string({ description: 'Seconds between live-figure lines in --events.', default: '1' }),
  'metrics-port': Flags.integer({ description: 'Serve the live figures in Prometheus text format at http://127.0.0.1:PORT/metrics while the run lasts (0 = a free port, printed).' }),
};

/** The feeds of one run (`store` null: a run that is not stored, so no live events; also used by suite run and budget bench). */
export async function openFeeds(f: Record<string, unknown>, store: Store | null, runId: string, json: boolean, warn: (text: string) => void): Promise<{ sinks: ProgressSink[]; metricsUrl: string | null }> {
  const sinks: ProgressSink[] = store ? [new FeedSink((e) => store.isOpen && store.appendLiveEvent(runId, e), { intervalMs: 1000, onError: (e) => warn(`live events stopped (dashboard follow): ${e.message}`) })] : [];
  const events = f.events as string | undefined;
  if (events !== undefined) {
    if (events === '-' && json) throw new AgentdynoError('--events - and --json both want stdout.', { code: 'E_USAGE', where: '--events', hint: 'Write the events to a file (--events run.ndjson), or drop --json.' });
    const interval = Number(f['events-interval'] ?? 1);
    if (!Number.isFinite(interval) || interval < 0) throw new AgentdynoError(`--events-interval must be a number of seconds >= 0 (got "${String(f['events-interval'])}")`, { code: 'E_USAGE', where: '--events-interval' });
    try {
      sinks.push(ndjsonSink(events, { intervalMs: interval * 1000, onError: (e) => warn(`--events stopped: ${e.message}`) }));
    } catch (e) {
      throw new AgentdynoError(`cannot write --events ${events} (${(e as Error).message}).`, { code: 'E_USAGE', where: '--events', hint: 'Give a writable file path or - for stdout.' });
    }
  }
  let metricsUrl: string | null = null;
  const port = f['metrics-port'] as number | undefined;
  if (port !== undefined) {
    const prom = new PrometheusFeed();
    try {
      metricsUrl = `http://127.0.0.1:${await prom.listen(port)}/metrics`;
    } catch (e) {
      throw new AgentdynoError(`cannot serve --metrics-port ${port} (${(e as Error).message}).`, { code: 'E_PORT_IN_USE', where: `127.0.0.1:${port}`, hint: 'Pick another port, or 0 for a free one.' });
    }
    sinks.push(prom);
  }
  return { sinks, metricsUrl };
}
