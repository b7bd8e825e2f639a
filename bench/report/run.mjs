// report bench: `agentdyno report` on a sweep of 10 levels with 100,000 stored calls (plus a 10 Hz
// power trace) must render in under 10 s on 2 cores. Prints the render time and its ratio to a
// baseline measured in the same run: reading the run's request rows back from the store.
//   npx tsc -p tsconfig.build.json && node bench/report/run.mjs [--calls N]
// The run is SYNTHETIC (seeded values written straight to a temp database): it measures the
// renderer, not any endpoint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { openStore, readRunDocument } = await import(path.join(root, 'dist/store/index.js'));
const { writeReport } = await import(path.join(root, 'dist/report/index.js'));
const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const CALLS = arg('--calls', 100_000);
const LEVELS = 10;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-bench-report-'));
const db = path.join(dir, 'bench.db');

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const store = openStore(db);
const id = 'sweep-bench-synthetic';
store.createRun({ id, kind: 'sweep', config: { synthetic: true, level: { warmupS: 10, windowS: 90, drainCapS: 5 }, validity: { maxEventLoopUtilization: 0.9, maxEventLoopDelayP99Ms: 100 } }, target: { url: 'synthetic', model: 'bench', simulated: true } });
const stat = (m) => ({ mean: m, median: m, std: m / 10, p99: m * 2 });
const ns = (s) => String(BigInt(Math.round(s * 1e9)));
const levels = [];
const perLevel = Math.floor(CALLS / LEVELS);
let t = 1000;
const rows = [];
for (let i = 0; i < LEVELS; i++) {
  const n = 8 * (i + 1);
  const start = t, ws = t + 10, we = ws + 90, cut = we + 5;
  t = cut + 1;
  const pass = Math.max(0, 1 - i * 0.12);
  const report = { concurrency: n, valid: true, reasons: [], interrupted: false, windowStartNs: ns(ws), windowEndNs: ns(we), windowS: 90, callsSentInWindow: perLevel, agentsActive: n, tiers: [20, 60].map((s) => ({ sloTokPerS: s, ttftCeilingMs: 10000, passRate: s === 20 ? pass : pass * 0.8, pass: pass > 0.95, agentsActive: n, agentsMeeting: Math.round(n * pass), bindingConstraint: 'decode' })), errors: {}, outputTokPerS: 100 * n / (1 + i * 0.1), vllm: { completed: perLevel, failed: 0, durationS: 90, outputThroughput: 100 * n, ttftMs: stat(30 + i * 5), tpotMs: stat(10 + i * 3), itlMs: stat(10 + i * 3), e2elMs: stat(900) }, saturation: { eventLoopUtilization: 0.1, eventLoopDelayP99Ms: 12, eventLoopDelayMaxMs: 20, processCpuCores: 0.3, cores: 2 } };
  const power = [{ source: 'sim', boundary: 'synthetic', comparabilityClass: 'simulated', simulated: true, startNs: ns(ws), endNs: ns(we), meanW: 200 + 10 * i, energyJ: 90 * (200 + 10 * i), samples: 900, coverage: 1, flags: [] }];
  levels.push({ index: i, concurrency: n, replicate: 0, valid: true, reasons: [], report, power });
  store.insertSweepPoints(id, report.tiers.map((tr) => ({ level: n, tierTokPerS: tr.sloTokPerS, passRate: tr.passRate, detail: { index: i, levelStartNs: ns(start), cutNs: ns(cut) } })));
  for (let k = 0; k < perLevel; k++) {
    const ttft = 20 + 40 * rnd() + i * 5;
    const dec = 100 / (1 + i * 0.3) * (0.8 + 0.4 * rnd());
    rows.push({ level: n, lane: k % n, agent: String(k % n), step: k, status: 'ok', inWindow: true, promptTokens: 5000, outputTokens: 200, tSchedNs: ns(ws + 90 * rnd()), ttftMs: ttft, decodeTokPerS: dec, itlP50Ms: 1000 / dec, itlP99Ms: 2000 / dec, e2eMs: ttft + 200000 / dec });
    if (rows.length >= 5000) store.insertRequests(id, rows.splice(0));
  }
  const samples = [];
  for (let s = start; s < cut; s += 0.1) samples.push({ channel: '0:sim', tNs: ns(s), value: 200 + 10 * i + 5 * rnd(), kind: 'power_w' });
  store.insertPowerSamples(id, samples);
}
store.insertRequests(id, rows.splice(0));
store.finishRun(id, 'completed', { status: 'completed', valid: true, reasons: [], thresholds: { callPassFraction: 0.9, agentPassFraction: 0.95 }, search: {}, tiers: [20, 60].map((s) => ({ sloTokPerS: s, ttftCeilingMs: 10000, nMax: 8, minFailing: 16, resolved: true, bindingConstraint: 'decode', cliff: false, nonMonotone: false, notes: [], agentsPerMW: 1000, agentsPerMWReason: null, power: { meanW: 200, idleW: null, boundary: 'synthetic', source: 'sim', comparabilityClass: 'simulated', simulated: true, windowStartNs: levels[0].report.windowStartNs, windowEndNs: levels[0].report.windowEndNs } })), levels });
readRunDocument(store, id); // the synthetic run is a valid agentdyno.run.v1 sweep

const time = async (f) => { const t0 = performance.now(); const r = await f(); return [(performance.now() - t0) / 1000, r]; };
const [readS, n] = await time(() => { let c = 0; for (const _ of store.iterateRequests(id)) c++; return c; });
const [renderS, w] = await time(() => writeReport(store, [id], { out: path.join(dir, 'report.html'), format: 'html' }));
store.close();
const html = fs.statSync(w.out).size;
console.log(`SYNTHETIC sweep: ${LEVELS} levels, ${n.toLocaleString('en-US')} stored calls, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'})`);
console.log(`baseline: read the request rows back   ${readS.toFixed(2)} s`);
console.log(`report (HTML, ${w.charts.length} charts, ${(html / 1e6).toFixed(1)} MB) ${renderS.toFixed(2)} s  = ${(renderS / readS).toFixed(1)} x the baseline`);
console.log(renderS < 10 ? 'PASS: under 10 s' : 'FAIL: 10 s or more');
fs.rmSync(dir, { recursive: true, force: true });
process.exitCode = renderS < 10 ? 0 : 1;
