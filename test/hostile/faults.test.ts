/**
 * Fault servers, each in its own process (test/hostile/fault-server.mjs): replay against each must
 * end within a stated deadline with the fault counted. Set-up faults end the run with a coded error
 * (and a progress line while it waited); lane faults are counted per class in the level's error
 * table and make the level invalid, never a silent "errors: none".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, Group, judge, pool, requireBuild, startFaultServer, type CliResult, type FaultServer } from './helpers.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'agentdyno-faults-'));
const TRAJ = path.join(DIR, 'tiny.jsonl');
const step = (i: number) => [{ type: 'llm', input_tokens: 120 + 70 * i, output_tokens: 40 }, { type: 'tool', name: 'bash', duration_ms: 50, result_tokens: 20 }];
writeFileSync(TRAJ, `${JSON.stringify({ format: 'agentdyno.trajectory.v1', id: 'h1', source: { kind: 'synthetic', license: 'hand-written' }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 50, steps: [0, 1, 2, 3].flatMap(step) }] })}\n`);

/**
 * --setup-timeout 2 s per step: each set-up fault ends the run a few seconds after start. The kill
 * deadline is far above that because the whole hostile suite shares 2 loaded cores (a CLI start
 * alone can take 10 s there); a real hang never ends, so it still fails.
 */
const SETUP_DEADLINE_MS = 60_000;
/** One level: 3 s window + warm-up + drain + per-call deadline 1.5 s, on a loaded 2-core box. */
const LANE_DEADLINE_MS = 90_000;

interface SetupCase { mode: string; codes: string[]; progress?: boolean }
const SETUP: SetupCase[] = [
  { mode: 'never', codes: ['E_ENDPOINT_TIMEOUT'], progress: true },
  { mode: 'headers-hang', codes: ['E_ENDPOINT_TIMEOUT'], progress: true },
  { mode: 'keepalive', codes: ['E_ENDPOINT_TIMEOUT'], progress: true },
  { mode: 'empty-events', codes: ['E_ENDPOINT_TIMEOUT'], progress: true },
  { mode: 'html', codes: ['E_ENDPOINT_PROTOCOL'] },
  { mode: 'close-mid', codes: ['E_ENDPOINT_UNREACHABLE', 'E_ENDPOINT_PROTOCOL'] },
  { mode: '401', codes: ['E_ENDPOINT_AUTH'] },
  { mode: '429', codes: ['E_ENDPOINT_UNSUPPORTED', 'E_ENDPOINT_UNREACHABLE'] },
  // Set-up passes; the streaming probe itself only gets pings.
  { mode: 'chat:keepalive', codes: [] },
  { mode: 'chat:headers-hang', codes: [] },
];

interface LaneCase { mode: string; classes: string[]; args?: string[] }
const LANES: LaneCase[] = [
  { mode: 'lane:never', classes: ['no_answer'] },
  { mode: 'lane:headers-hang', classes: ['headers_only'] },
  { mode: 'lane:keepalive', classes: ['keepalive_only'] },
  { mode: 'lane:empty-events', classes: ['keepalive_only'] },
  { mode: 'lane:html', classes: ['malformed_sse'] },
  { mode: 'lane:close-mid', classes: ['reset', 'early_close', 'malformed_sse'] },
  { mode: 'lane:401', classes: ['http_4xx'] },
  { mode: 'lane:429-half', classes: ['http_429'], args: ['--retries', '3'] },
];

const setupGroup = new Group('fault servers (set-up)');
const laneGroup = new Group('fault servers (lanes)');
const servers: FaultServer[] = [];
const setupResults = new Map<string, CliResult>();
const laneResults = new Map<string, CliResult>();

beforeAll(async () => {
  requireBuild();
  const db = (name: string) => ['--db', path.join(DIR, `${name.replace(/[^a-z0-9]/gi, '_')}.db`)];
  const setupTasks = SETUP.map((c) => async () => {
    const s = await startFaultServer(c.mode);
    servers.push(s);
    setupResults.set(c.mode, await cli(['replay', '-c', '2', '--target', s.url, '--trajectories', TRAJ, '--setup-timeout', '2', ...db(`s-${c.mode}`)], { deadlineMs: SETUP_DEADLINE_MS }));
  });
  const laneTasks = LANES.map((c) => async () => {
    const s = await startFaultServer(c.mode);
    servers.push(s);
    const args = ['replay', '-c', '3', '--target', s.url, '--trajectories', TRAJ, '--start-turn', 'first', '--request-timeout', '1.5', '--setup-timeout', '10', '--window', '3', '--warmup', '0.2', '--drain-cap', '0.5', '--min-window', '1', '--warmup-cap', '5', '--json', ...(c.args ?? []), ...db(`l-${c.mode}`)];
    laneResults.set(c.mode, await cli(args, { deadlineMs: LANE_DEADLINE_MS }));
  });
  await pool([...setupTasks, ...laneTasks], 3);
}, 900_000);

afterAll(() => {
  for (const s of servers) s.close();
  setupGroup.summary();
  laneGroup.summary();
  rmSync(DIR, { recursive: true, force: true });
});

describe('fault servers at set-up: a coded error within the deadline', () => {
  for (const c of SETUP) {
    it(`${c.mode}${c.codes.length ? ` -> ${c.codes.join('|')}` : ' -> E_ENDPOINT_TIMEOUT (probe gets only pings)'}`, () => {
      const r = setupResults.get(c.mode)!;
      const codes = c.codes.length ? c.codes : ['E_ENDPOINT_TIMEOUT'];
      const v = judge(r, { codes, where: /http:\/\/127\.0\.0\.1:\d+/ });
      if (c.progress && !/waiting for .+ \([\d.]+ s of [\d.]+ s\)/.test(r.stderr)) v.why.push('no progress line while it waited');
      if (c.mode === 'chat:keepalive' && !/keepalive_only/.test(r.stderr)) v.why.push('the error does not say the probe got only keep-alives');
      if (c.mode === 'chat:headers-hang' && !/headers_only/.test(r.stderr)) v.why.push('the error does not say the probe got headers only');
      v.held = v.why.length === 0;
      setupGroup.record(c.mode, v);
      expect(v.why, `stderr: ${r.stderr.slice(0, 800)}`).toEqual([]);
    });
  }
});

describe('fault servers during the load: every fault counted, level not valid', () => {
  for (const c of LANES) {
    it(`${c.mode} -> ${c.classes.join('|')}`, () => {
      const r = laneResults.get(c.mode)!;
      const why: string[] = [];
      if (r.timedOut) why.push(`hung: killed after ${r.ms} ms`);
      let level: { valid: boolean; reasons: string[]; errorsAllCalls: Record<string, number>; retriedFaults: Record<string, number>; tiers: { passRate: number | null }[] } | null = null;
      try {
        level = (JSON.parse(r.stdout) as { level: NonNullable<typeof level> }).level;
      } catch {
        why.push(`no JSON result (exit ${r.code}): ${r.stderr.slice(-300)}`);
      }
      if (level) {
        const counted = c.classes.reduce((n, k) => n + (level!.errorsAllCalls[k] ?? 0) + (level!.retriedFaults[k] ?? 0), 0);
        if (counted === 0) why.push(`fault not counted: errors ${JSON.stringify(level.errorsAllCalls)}, retried ${JSON.stringify(level.retriedFaults)}`);
        if (level.valid && level.tiers.some((t) => t.passRate === 1)) why.push('a VALID 100% PASS despite the faults');
        if (level.valid) why.push('level valid despite the faults');
        else if (!level.reasons.some((x) => /error rate/.test(x))) why.push(`not blamed on errors: ${level.reasons.join('; ')}`);
      }
      laneGroup.record(c.mode, { held: why.length === 0, why, code: null });
      expect(why).toEqual([]);
    });
  }
});
