/**
 * Live feeds against a short real `sweep --quick` (built CLI, embedded simulator): the dashboard in
 * tmux in another process follows it through the store (capture-pane), a Prometheus scrape of
 * --metrics-port during the run returns the documented series, and every --events line validates
 * against schemas/events.v1.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-live-'));
const db = path.join(dir, 'live.db');
const eventsFile = path.join(dir, 'events.ndjson');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const session = `agentdyno-live-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A private tmux server: a server already running on the default socket would hand the session its own environment.
const tmuxSocket = `agentdyno-live-${process.pid}`;
const tmux = (args: string[]) => execFileSync('tmux', ['-L', tmuxSocket, ...args], { encoding: 'utf8' });
const pane = () => tmux(['capture-pane', '-p', '-t', session]);

afterAll(() => {
  if (hasTmux) {
    try {
      tmux(['kill-server']);
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

if (!hasTmux) console.log('SKIPPED: dashboard-under-tmux part of test/ui/live.test.ts: tmux is not installed (apt-get install tmux)');

describe('live feeds during a real sweep --quick', () => {
  it('dashboard in tmux fills in, Prometheus scrape returns the documented series, events validate', async () => {
    // The database exists before the dashboard starts, as when a user opens it beside a run.
    execFileSync('node', [path.join(ROOT, 'bin/run.js'), 'results', 'list', '--db', db], { cwd: ROOT, stdio: 'ignore' });
    // A person watching from a terminal: CI unset (under CI the dashboard prints plain lines, tested below).
    if (hasTmux) tmux(['new-session', '-d', '-s', session, '-x', '80', '-y', '24', `cd ${ROOT} && env -u CI -u CONTINUOUS_INTEGRATION node bin/run.js dashboard --follow --interval 300 --db ${db}; sleep 60`]);
    const sweep = execa('node', [path.join(ROOT, 'bin/run.js'), 'sweep', '--quick', '--trajectories', 'test/fixtures/replay/tiny.jsonl', '--sim-profile', 'test/fixtures/replay/fast.yaml', '--window', '4', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1', '--max-levels', '3', '--idle-window', '1', '--db', db, '--events', eventsFile, '--metrics-port', '0', '--json'], { cwd: ROOT, reject: false, timeout: 180_000, env: { CI: '1' } });

    // The metrics URL is announced in the events; scrape until a window tick has filled the live series.
    let url: string | null = null;
    let scrape = '';
    const panes: string[] = [];
    for (let i = 0; i < 240 && sweep.exitCode === null; i++) {
      await sleep(500);
      if (!url && fs.existsSync(eventsFile)) url = /http:\/\/127\.0\.0\.1:\d+\/metrics/.exec(fs.readFileSync(eventsFile, 'utf8'))?.[0] ?? null;
      if (url && !/agentdyno_ttft_ms\{quantile="0.99"\}/.test(scrape)) scrape = await fetch(url).then((r) => r.text()).catch(() => scrape);
      if (hasTmux && i % 4 === 0) panes.push(pane());
    }
    const r = await sweep;
    expect(r.exitCode, r.stderr).toBe(0);

    for (const series of ['agentdyno_run_info{', 'agentdyno_level_concurrency', 'agentdyno_level_phase{phase="window"} 1', 'agentdyno_active_agents', 'agentdyno_output_tokens_per_second', 'agentdyno_power_watts', 'agentdyno_ttft_ms{quantile="0.5"}', 'agentdyno_tpot_ms{quantile="0.99"}', 'agentdyno_client_lag_p99_ms', 'agentdyno_tier_pass_rate{tier="20"}', 'agentdyno_tier_max_passing{tier="60"}']) expect(scrape, series).toContain(series);
    expect(scrape).toMatch(/simulated="true"/);
    // Never a made-up 0 for what this run does not measure.
    expect(scrape).not.toContain('agentdyno_canary_lag_p99_ms');

    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/events.v1.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, discriminator: true, strict: true, strictRequired: false }).compile(schema);
    const lines = fs.readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; seq: number; live?: unknown; tiers?: { passRate: number | null }[]; phase?: string });
    for (const e of lines) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
    const types = new Set(lines.map((e) => e.type));
    for (const t of ['run-start', 'phase', 'level-start', 'level-tick', 'level-end', 'run-end']) expect(types).toContain(t);
    // The live pass rate is shown while the window runs, not only when the level ends.
    expect(lines.some((e) => e.type === 'level-tick' && e.phase === 'window' && e.tiers?.some((t) => t.passRate !== null))).toBe(true);

    // Off a terminal the dashboard prints the run's events as plain lines and ends with the run.
    const out = JSON.parse(r.stdout) as { runId: string; levels: unknown[] };
    const runId = out.runId;
    // On the built-in simulator the sweep verifies a plan: it runs as many levels as its budget allows.
    expect(out.levels.length).toBeGreaterThan(0);
    const plain = await execa('node', [path.join(ROOT, 'bin/run.js'), 'dashboard', runId, '--db', db], { cwd: ROOT, reject: false, timeout: 60_000 });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('measuring idle power');
    expect(plain.stdout.match(/^level done: /gm)?.length).toBe(out.levels.length);
    expect(plain.stdout).toContain(`run ${runId} completed`);

    if (hasTmux) {
      await sleep(1500);
      panes.push(pane());
      const during = panes.filter((p) => p.includes('SIMULATED') && p.includes('N='));
      expect(during.length, panes.join('\n=====\n')).toBeGreaterThan(1);
      const final = panes[panes.length - 1];
      expect(final).toContain('pass rate vs N');
      expect(final).toMatch(/[▁▂▃▄▅▆▇█]{3,}/);
      expect(final).toMatch(/\* 20 tok\/s/); // the curve's legend: at least one level's points are drawn
      expect(final).toMatch(/completed/);
      for (const p of panes) expect(p.split('\n').every((l) => [...l].length <= 80)).toBe(true);
    }
  }, 240_000);
});
