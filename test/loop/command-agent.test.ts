/**
 * `loop run --agent command` end to end: a stand-in agent CLI on the official SDK runs inside
 * bubblewrap on the task workspace, reaching the model only through the agentdyno proxy (Unix
 * socket bound into the sandbox), against `sim --script` playing a hand-written session: it fans
 * out to 4 sub-agents, writes the reference solution with a tool call, and stops. The test checks
 * the loop's score, the stored budget tree and the recorded trajectory (which replay accepts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap, loadTask, resolveTaskDir, runTask } from '../../src/loop/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { openStore } from '../../src/store/index.js';
import { loadTrajectories, validateTrajectory, type Trajectory } from '../../src/trajectory/index.js';

const ROOT = path.resolve(__dirname, '../..');
const AGENT = path.join(ROOT, 'test/fixtures/loop/agents/sdk-agent.mjs');
const SYSTEM = 'You are a coding agent. Edit files with write_file; answer without a tool call when done.';
const reference = fs.readFileSync(path.join(ROOT, 'tasks/puzzle/collatz-c/solution/solve.sh'), 'utf8').split("<<'C'\n")[1].split('\nC\n')[0];
const hasBwrap = findBwrap() !== null;

/** The session the scripted simulator plays: main writes solve.c then stops; 4 sub-agents answer once. */
function session(): Trajectory {
  const call = { id: 'call_w1', type: 'function', function: { name: 'write_file', arguments: JSON.stringify({ path: 'solve.c', content: reference }) } };
  const llm = (messages: unknown[], response: unknown, input: number, output: number) => ({ type: 'llm' as const, input_tokens: input, output_tokens: output, cached_tokens: 0, ttft_ms: 5, duration_ms: 20, content: { messages, response } });
  const subs = [1, 2, 3, 4].map((i) => ({
    id: `sub-${i}`, parent: 'main', system_prompt_tokens: 6,
    steps: [llm([{ role: 'system', content: `You are sub-agent ${i}.` }, { role: 'user', content: `Review part ${i} of the task.` }], { role: 'assistant', content: `part ${i} looks fine` }, 20, 4)],
  }));
  return {
    format: 'agentdyno.trajectory.v1', id: 'collatz-session', source: { kind: 'synthetic', license: 'CC0-1.0 (hand-written for tests)' },
    agents: [
      {
        id: 'main', parent: null, system_prompt_tokens: 20,
        steps: [
          llm([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'the task prompt (varies by iteration)' }], { role: 'assistant', content: 'plan: ask four reviewers, then rewrite solve.c with memoization' }, 300, 12),
          { type: 'spawn', agents: subs.map((s) => s.id), join: 'all' },
          llm([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'x' }, { role: 'assistant', content: 'plan' }, { role: 'user', content: 'Now edit the files.' }], { role: 'assistant', content: null, tool_calls: [call] }, 320, 120),
          { type: 'tool', name: 'write_file', duration_ms: 1, status: 'ok' },
          llm([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'x' }, { role: 'assistant', content: 'plan' }, { role: 'user', content: 'Now edit the files.' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_w1', content: 'wrote solve.c' }], { role: 'assistant', content: 'done' }, 450, 2),
        ],
      },
      ...subs,
    ],
  } as Trajectory;
}

let sim: SimServerHandle;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-cmd-agent-'));
beforeAll(async () => {
  sim = await startSimServer({ port: 0, script: session(), scriptTimeScale: 0 });
});
afterAll(async () => {
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasBwrap)('loop run --agent command (stand-in SDK agent in bwrap, scripted simulator)', () => {
  for (const api of ['chat', 'messages'] as const) {
    it(`${api}: scores the agent's edit, stores the budget tree across 4 sub-agents, records a replayable trajectory`, async () => {
      const task = loadTask(resolveTaskDir('puzzle/collatz-c', path.join(ROOT, 'tasks')));
      const budget = 20_000;
      const db = path.join(dir, `${api}.db`);
      const r = await runTask(task, {
        agent: { kind: 'command', llm: { target: sim.url }, command: { cmd: `node ${AGENT}`, env: { AGENTDYNO_FANOUT: '4', AGENTDYNO_AGENT_API: api } } },
        budgets: { tokens: budget, iterations: 3, wallSec: 240 },
        db,
        resultsDir: path.join(dir, api),
      });
      expect(r.sandbox).toBe('bwrap');
      // Iteration 1 applied the reference; iteration 2 the agent wrote the same file again and stopped.
      expect(r.bestIteration, JSON.stringify({ stopReason: r.stopReason, agentStopReason: r.agentStopReason, failureCounts: r.failureCounts, iterations: r.iterations, budgetUsed: r.budgetUsed })).toBe(1);
      expect(r.success).toBe(true);
      expect(r.stopReason).toBe('agent');
      expect(r.agentStopReason).toMatch(/changed no editable file/);
      // The budget tree: main plus the four sub-agents, told apart by their conversation openings.
      const tree = r.budgetTree!;
      expect(tree.nodes.map((n) => n.agent).sort()).toEqual(['main', 'sub-1', 'sub-2', 'sub-3', 'sub-4']);
      for (const n of tree.nodes.filter((x) => x.agent !== 'main')) {
        expect(n.parent).toBe('main');
        expect(n.committed).toBe(2 * 24); // 20 in + 4 out, in each of the two iterations
      }
      expect(tree.spentTokens).toBeLessThanOrEqual(budget);
      expect(tree.overrunTokens).toBe(0);
      expect(r.budgetUsed.tokens).toBe(tree.spentTokens);
      // Stored with the run, and printed by results show.
      const store = openStore(db, { mustExist: true });
      try {
        expect((store.getRun(r.runId)?.result as { budgetTree?: unknown })?.budgetTree).toEqual(JSON.parse(JSON.stringify(tree)));
      } finally {
        store.close();
      }
      // The recorded trajectory: one per iteration, each the main agent with its four sub-agents.
      const ts = loadTrajectories([r.trajectory!]).map((l) => l.trajectory);
      expect(ts).toHaveLength(2);
      for (const t of ts) {
        expect(validateTrajectory(t)).toEqual([]);
        expect(t.agents.map((a) => [a.id, a.parent])).toEqual([['main', null], ['sub-1', 'main'], ['sub-2', 'main'], ['sub-3', 'main'], ['sub-4', 'main']]);
        expect(t.agents[0].steps.filter((s) => s.type === 'llm')).toHaveLength(3);
      }
      expect(JSON.stringify(ts[0])).toContain('write_file');
    }, 240_000);
  }

  it('the recorded trajectory replays (built CLI)', async () => {
    const file = path.join(dir, 'chat', 'loops');
    const runDir = fs.readdirSync(file)[0];
    const traj = path.join(file, runDir, 'trajectory.jsonl');
    const r = await execa('node', [path.join(ROOT, 'bin/run.js'), 'replay', '-c', '2', '--json', '--trajectories', traj, '--sim-profile', path.join(ROOT, 'test/fixtures/replay/fast.yaml'), '--window', '3', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1', '--db', path.join(dir, 'replay.db'), '--tool-time-scale', '0.01'], { cwd: ROOT, reject: false, timeout: 120_000, env: { CI: '1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runId).toMatch(/^replay-/);
    expect(JSON.stringify(out)).toMatch(/trajectories 2 from/);
  }, 150_000);
});

describe.skipIf(!hasBwrap)('command agent sandbox network', () => {
  it('inside the sandbox the proxy answers at OPENAI_BASE_URL, and the model server itself is unreachable', async () => {
    const { CommandAgent } = await import('../../src/loop/index.js');
    const port = new URL(sim.url).port;
    // Direct TCP to the simulator's own port, then an HTTP call through the proxy's base URL.
    const probe = `const net=require('net');const s=net.connect(${port},'127.0.0.1');s.on('connect',()=>{console.log('DIRECT connected');s.destroy();go()});s.on('error',e=>{console.log('DIRECT '+e.code);go()});function go(){fetch(process.env.OPENAI_BASE_URL+'/models').then(r=>console.log('PROXY '+r.status)).catch(e=>console.log('PROXY failed '+e.message))}`;
    const agent = new CommandAgent({ cmd: `node -e ${JSON.stringify(probe)}`, upstream: sim.url, budgetTokens: 1000, sandbox: 'bwrap' });
    try {
      const turn = await agent.propose({
        iteration: 1, feedback: '', remaining: { tokens: 1000, wallSec: 60, iterations: 1 }, shown: [], readFile: () => null,
        task: { id: 't', instruction: 'probe', editable: [], params: {}, metric: 'm', direction: 'lower', files: [] },
      });
      const out = (turn.log as { stdoutTail: string }).stdoutTail;
      expect(out).toMatch(/DIRECT ECONNREFUSED/);
      expect(out).toMatch(/PROXY 200/);
      expect(turn.proposal.kind).toBe('stop'); // it changed no editable file
    } finally {
      await agent.close();
    }
  }, 60_000);
});
