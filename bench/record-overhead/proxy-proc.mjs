// Child process: the built recording proxy (dist/), configured as `agentdyno record` runs it
// (periodic flush to an output file), plus hot-path stamps collected for the bench.
import { startRecordingProxy } from '../../dist/record/index.js';
import { cpuReplies } from './proc-common.mjs';

const timings = [];
const n = (x) => Number(x ?? 0);
const proxy = await startRecordingProxy({
  upstream: process.env.UPSTREAM,
  out: process.env.OUT || undefined,
  flushMs: Number(process.env.FLUSH_MS ?? 10_000),
  onTiming: (t) => timings.push([t.requestId, n(t.arrivedNs), n(t.bodyReadNs), n(t.upstreamSentNs), n(t.upstreamFirstNs), n(t.clientFirstNs)]),
});
process.send({ type: 'ready', url: proxy.url });
cpuReplies({ report: () => ({ timings, calls: proxy.recorder.calls.length }), close: () => proxy.close() });
