// Shared by the bench's child processes: answer 'cpu' (process.cpuUsage, plus this process's
// event-loop delay since the last 'cpu' request, for per-phase figures), 'report' and 'close'.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function cpuReplies({ report = () => ({}), close = async () => {} } = {}) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('message', async (m) => {
    if (m.type === 'cpu') {
      process.send({ type: 'cpu', ...process.cpuUsage(), loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } });
      loop.reset();
    } else if (m.type === 'report') process.send({ type: 'report', ...(await report()) });
    else if (m.type === 'close') {
      loop.disable();
      await close();
      process.exit(0); // with --cpu-prof, the profile is written on exit
    }
  });
}
