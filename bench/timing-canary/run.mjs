// Timing-canary bench: does `agentdyno replay` report its own read lag truthfully at high stream
// counts? For each level: the paced server (own process, logs its write times), `replay --target`
// at N lanes (built CLI), then the canary's lag (what replay prints per level) against the true lag
// of the load's first and last tokens from the server log (clock offset measured, compare.mjs).
//   npx tsc -p tsconfig.build.json && node bench/timing-canary/run.mjs [--levels 100,500] [--window 10]
import os from 'node:os';
import { timingCheck } from './check.mjs';
import { withinFactor2 } from './compare.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const levels = arg('--levels', '100,500').split(',').map(Number);
const windowS = Number(arg('--window', '10'));
const tickMs = Number(arg('--tick-ms', '20'));
const outCap = Number(arg('--out-cap', '32'));

const f = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : '-');
console.log(`timing-canary bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`paced server: one token per stream every ${tickMs} ms in one burst per step, outputs capped at ${outCap} tokens; replay window ${windowS} s, tool-time scale 0.1\n`);
console.log('| streams | canary lag p50 / p99 / max (ms) | server-log truth p50 / p99 / max (ms) | truth tokens | p99 within 2x | clock offset (ms) | coalesced window calls | event loop busy | level valid |');
console.log('|---|---|---|---|---|---|---|---|---|');
let ok = true;
for (const n of levels) {
  const r = await timingCheck({ streams: n, windowS, warmupS: 2, tickMs, outCap, toolTimeScale: 0.1 });
  const agree = withinFactor2(r.canary.p99Ms, r.truth.p99Ms, 1 + r.clock.uncertaintyMs);
  ok &&= agree;
  console.log(
    `| ${n} | ${f(r.canary.p50Ms)} / ${f(r.canary.p99Ms)} / ${f(r.canary.maxMs)} | ${f(r.truth.p50Ms)} / ${f(r.truth.p99Ms)} / ${f(r.truth.maxMs)} | ${r.truth.samples} | ${agree ? 'yes' : 'NO'} (${(r.canary.p99Ms / r.truth.p99Ms).toFixed(2)}x) | ` +
      `${r.clock.thetaMs.toFixed(3)} +/- ${r.clock.uncertaintyMs.toFixed(3)} | ${r.coalescedCalls}/${r.callsInWindow} | ${((r.saturation?.eventLoopUtilization ?? NaN) * 100).toFixed(0)}% | ${r.valid ? 'yes' : 'no'} |`,
  );
}
console.log(`\nload average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
process.exitCode = ok ? 0 : 1;
