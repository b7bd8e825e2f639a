// sim-plan bench: wall time and memory of one virtual-time level of `agentdyno sim plan` as agents
// grow, exact (every replica simulated) vs sampled replicas, and the cost of exact KV blocks.
//   npx tsc -p tsconfig.build.json && node bench/sim-plan/run.mjs [--quick]
// Prints per row: agents, replicas simulated, KV block tokens, engine steps, wall s, steps/s,
// agent-seconds simulated per wall second, 20 tok/s pass rate, and the ratio to the exact row.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { loadProfile } = await import(join(root, 'dist/sim/index.js'));
const { planLevel, autoKvBlockTokens } = await import(join(root, 'dist/sim/plan/index.js'));
const { loadTrajectories } = await import(join(root, 'dist/trajectory/index.js'));
const quick = process.argv.includes('--quick');
const trajectories = loadTrajectories([join(root, 'trajectories/synthetic-v1.jsonl')]).map((l) => l.trajectory);
const profile = loadProfile('h100-illustrative');
const auto = autoKvBlockTokens(profile, trajectories);
const virtual = { warmupS: 20, windowS: 60, drainCapS: 20 };
const perReplica = 32; // near the 20 tok/s boundary of this profile
const rows = quick
  ? [[8, 8, 16], [8, 8, auto], [64, 64, auto], [64, 8, auto]]
  : [[8, 8, 16], [8, 8, auto], [64, 64, auto], [64, 8, auto], [320, 32, auto]];
console.log(`profile ${profile.name} (illustrative), ${perReplica} agents per replica, virtual ${virtual.warmupS}+${virtual.windowS}+${virtual.drainCapS} s per level; SIMULATED`);
console.log('agents  replicas  simulated  kv tok   steps      wall s  steps/s   agent-s/wall-s  pass20  peak RSS MB');
let base = null;
for (const [replicas, sample, kv] of rows) {
  const n = replicas * perReplica;
  const r = planLevel(profile, trajectories, { concurrency: n, replicas, sampleReplicas: sample, kvBlockTokens: kv, ...virtual, toolTimeScale: 1, maxIdleGapMs: 10_000, seed: 1, tiers: [{ sloTokPerS: 20, ttftCeilingMs: 10_000 }] });
  const wallS = r.sim.wallMs / 1000;
  const agentSPerS = (n * (virtual.warmupS + virtual.windowS + virtual.drainCapS)) / wallS;
  base ??= agentSPerS;
  console.log(
    `${String(n).padStart(6)}  ${String(replicas).padStart(8)}  ${String(sample).padStart(9)}  ${String(r.kvBlockTokens).padStart(6)}  ${String(r.sim.engineSteps).padStart(9)}  ${wallS.toFixed(1).padStart(6)}  ${Math.round(r.sim.engineSteps / wallS).toString().padStart(7)}  ${Math.round(agentSPerS).toString().padStart(14)} (x${(agentSPerS / base).toFixed(1)})  ${(r.tiers[0].passRate * 100).toFixed(1).padStart(5)}%  ${Math.round(process.memoryUsage().rss / 1e6)}`,
  );
}
