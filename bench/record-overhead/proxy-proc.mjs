// Child process: the built recording proxy (dist/), configured as `agentdyno record` runs it
// (periodic flush to an output file), plus hot-path stamps collected for the bench.
import { startRecordingProxy } from '../../dist/record/index.js';

const timings = [];
let cpu0 = process.cpuUsage();
let counted = 0;
let counting = false;
const proxy = await startRecordingProxy({
  upstream: process.env.UPSTREAM,
  out: process.env.OUT || undefined,
  flushMs: Number(process.env.FLUSH_MS ?? 10_000),
  onTiming: (t) => {
    if (counting) counted++;
    timings.push([t.requestId, Number(t.arrivedNs), Number(t.upstreamSentNs), Number(t.upstreamFirstNs ?? 0), Number(t.clientFirstNs ?? 0)]);
  },
});
process.send({ type: 'ready', url: proxy.url });
let cpuUs = 0;
process.on('message', async (m) => {
  if (m.type === 'mark') {
    cpu0 = process.cpuUsage();
    counting = true;
    process.send({ type: 'marked' });
  } else if (m.type === 'unmark') {
    const d = process.cpuUsage(cpu0);
    cpuUs += d.user + d.system;
    counting = false;
    process.send({ type: 'unmarked' });
  } else if (m.type === 'report') {
    process.send({ type: 'report', timings, cpuUs, counted, calls: proxy.recorder.calls.length });
  } else if (m.type === 'close') {
    await proxy.close();
    process.exit(0); // with --cpu-prof, the profile is written on exit
  }
});
