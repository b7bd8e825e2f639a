// Tree-check bench: validate + limits on spawn chains 2,000 / 20,000 / 100,000 deep and on one
// 200,000-step agent. Linear checks keep time per agent (or per step) flat: the printed ratio of
// per-agent time at the deepest vs the shallowest chain should stay near 1 (it was ~depth before:
// the cycle check was cubic; 4,000 deep took 24 s, 20,000 hung).
//   npx tsc -p tsconfig.build.json && node bench/validate-depth/run.mjs
import { limitProblems, validateTrajectory } from '../../dist/trajectory/index.js';

function chain(depth) {
  const agents = [];
  for (let i = 0; i <= depth; i++) {
    const steps = [{ type: 'llm', input_tokens: 100, output_tokens: 10 }];
    if (i < depth) steps.push({ type: 'spawn', agents: [`a${i + 1}`], join: 'all' });
    agents.push({ id: `a${i}`, parent: i === 0 ? null : `a${i - 1}`, system_prompt_tokens: 10, steps });
  }
  return { format: 'agentdyno.trajectory.v1', id: 'c', source: { kind: 'synthetic' }, agents };
}

function time(f) {
  const t0 = process.hrtime.bigint();
  const r = f();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, r };
}

validateTrajectory(chain(10)); // compile the schema outside the timings
const rows = [];
for (const depth of [2_000, 20_000, 100_000]) {
  const t = chain(depth);
  const { ms, r } = time(() => [...validateTrajectory(t), ...limitProblems(t)]);
  rows.push({ depth, ms, perAgentUs: (ms * 1000) / (depth + 1), problems: r.length });
}
const steps = [];
for (let i = 0; i < 100_000; i++) steps.push({ type: 'llm', input_tokens: 300, output_tokens: 4 }, { type: 'tool', name: 'b', duration_ms: 1 });
const big = { format: 'agentdyno.trajectory.v1', id: 'b', source: { kind: 'synthetic' }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 10, steps }] };
const b = time(() => [...validateTrajectory(big), ...limitProblems(big)]);

console.log('| spawn depth | validate + limits (ms) | per agent (us) | problems |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.depth.toLocaleString('en-US')} | ${r.ms.toFixed(1)} | ${r.perAgentUs.toFixed(2)} | ${r.problems} |`);
console.log(`\nper-agent time, deepest / shallowest: ${(rows[2].perAgentUs / rows[0].perAgentUs).toFixed(2)}x (linear: ~1x)`);
console.log(`one 200,000-step agent: ${b.ms.toFixed(0)} ms (${((b.ms * 1000) / 200_000).toFixed(2)} us per step), ${b.r.length} problems`);
