/** EFC on sessions kept with content: every tool result the agent received is scored on the four axes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { scoreSession, sessionFitPoints } from '../../src/efc/index.js';
import { trajectoriesToJsonl, validateTrajectory, type Trajectory } from '../../src/trajectory/index.js';

const ROOT = path.resolve(__dirname, '../..');
const call = (id: string, cmd: string) => ({ id, type: 'function', function: { name: 'bash', arguments: JSON.stringify({ cmd }) } });

/** A hand-written session: build fails, the same build is retried and fails again, fixed, tests pass, timed. */
function session(id: string, success: boolean | undefined, dropTimed = false): Trajectory {
  const sys = { role: 'system', content: 'You fix code.' };
  const user = { role: 'user', content: 'Make parser.c build and pass its tests, then time it.' };
  const buildErr = 'parser.c:12:5: error: expected ";" before "}" token\nmake: *** [Makefile:3: parser] Error 1';
  const h: unknown[] = [sys, user];
  const steps: Trajectory['agents'][number]['steps'] = [];
  const turn = (reply: unknown, tool?: { id: string; out: string }) => {
    steps.push({ type: 'llm', input_tokens: 100 + 40 * steps.length, output_tokens: 20, content: { messages: [...h], response: reply } });
    h.push(reply);
    if (tool) {
      steps.push({ type: 'tool', name: 'bash', duration_ms: 500, status: 'ok' });
      h.push({ role: 'tool', tool_call_id: tool.id, content: tool.out });
    }
  };
  turn({ role: 'assistant', content: null, tool_calls: [call('c1', 'make')] }, { id: 'c1', out: buildErr });
  turn({ role: 'assistant', content: null, tool_calls: [call('c2', 'make')] }, { id: 'c2', out: buildErr });
  turn({ role: 'assistant', content: null, tool_calls: [call('c3', 'make test')] }, { id: 'c3', out: 'test_parse ... ok\ntest_empty ... ok\n4 passed, 0 failed' });
  turn({ role: 'assistant', content: null, tool_calls: [call('c4', './bench')] }, { id: 'c4', out: 'parse: 12.3 ms ± 0.4 (10 runs)' });
  turn({ role: 'assistant', content: 'Done: it builds, passes and parses in 12.3 ms.' });
  if (dropTimed) {
    // The agent compacted its context: the timing result is gone from the request after.
    h.splice(h.findIndex((m) => (m as { tool_call_id?: string }).tool_call_id === 'c4'), 1);
    turn({ role: 'assistant', content: 'Summary written.' });
  }
  return { format: 'agentdyno.trajectory.v1', id, source: { kind: 'proxy' }, labels: success === undefined ? {} : { success, task: 'parser-fix' }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 5, steps }] };
}

describe('efc on sessions', () => {
  it('scores each tool result on the four axes, with retries, redundancy and retention', () => {
    const t = session('s1', true);
    expect(validateTrajectory(t)).toEqual([]);
    const s = scoreSession(t);
    expect(s.events.map((e) => e.kind)).toEqual(['build_output', 'build_output', 'check_result', 'measurement']);
    const [b1, b2, tests, timed] = s.events;
    expect(b1.informativeness).toBe(0.7); // failure with diagnostic output
    expect(timed.informativeness).toBe(1); // value with its noise
    expect(b2.nonRedundancy).toBeLessThan(0.05); // the same error again says nothing new
    expect(b2.retryIndex).toBe(1); // same call (make), failed before
    expect(b1.retention).toBe(1); // still in the next request
    expect(tests.efc).toBeGreaterThan(0);
    expect(s.success).toBe(true);
    expect(s.rawCompute.toolCalls).toBe(4);
    expect(s.efc).toBeCloseTo(s.events.reduce((a, e) => a + e.efc, 0));
    expect(b2.efc).toBeLessThan(b1.efc);
  });

  it('a result dropped from the next request has retention 0; unlabelled sessions are left out of fits', () => {
    const s = scoreSession(session('s2', false, true));
    expect(s.events.at(-1)!.retention).toBe(0);
    const fp = sessionFitPoints([s, scoreSession(session('s3', undefined))]);
    expect(fp.points.map((p) => p.runId)).toEqual(['s2']);
    expect(fp.skipped[0].why).toMatch(/no labels\.success/);
  });

  it('efc score --trajectories and efc fit --trajectories (built CLI) accept sessions', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-efc-sessions-'));
    try {
      const file = path.join(dir, 'sessions.jsonl');
      const ts = [session('a', true), session('b', false, true), session('c', true), session('d', false, true), session('e', true), session('f', false, true)];
      fs.writeFileSync(file, trajectoriesToJsonl(ts));
      const cli = (args: string[]) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: dir, reject: false, timeout: 60_000, env: { CI: '1' } });
      const sc = await cli(['efc', 'score', '--trajectories', file, '--json']);
      expect(sc.exitCode, sc.stderr).toBe(0);
      const score = JSON.parse(sc.stdout);
      expect(score.events).toHaveLength(4);
      expect(score.feedbackMode).toBe('session');
      const fit = await cli(['efc', 'fit', '--trajectories', file, '--json', '--reps', '50', '--out', path.join(dir, 'fit.svg')]);
      expect(fit.exitCode, fit.stderr).toBe(0);
      const f = JSON.parse(fit.stdout);
      expect(f.n).toBe(6);
      expect(f.sessions).toBe(6);
      // The plot now exists: a second fit to the same --out is refused (E_OUTPUT_EXISTS) and leaves it, --force replaces it.
      const before = fs.readFileSync(path.join(dir, 'fit.svg'), 'utf8');
      fs.writeFileSync(path.join(dir, 'fit.svg'), 'mine');
      const again = await cli(['efc', 'fit', '--trajectories', file, '--json', '--reps', '50', '--out', path.join(dir, 'fit.svg')]);
      expect(again.exitCode).toBe(2);
      expect(JSON.parse(again.stdout).error.code).toBe('E_OUTPUT_EXISTS');
      expect(fs.readFileSync(path.join(dir, 'fit.svg'), 'utf8')).toBe('mine');
      const forced = await cli(['efc', 'fit', '--trajectories', file, '--json', '--reps', '50', '--out', path.join(dir, 'fit.svg'), '--force']);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'fit.svg'), 'utf8')).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
