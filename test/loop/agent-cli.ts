/**
 * Shared body of the real-agent-CLI tests (codex-agent, opencode-agent): the agent edits collatz-c's
 * solve.c through one tool call that a scripted simulator plays back, inside bubblewrap, through the
 * proxy; the loop scores it, the budget tree and the recorded trajectory are checked. Skipped unless
 * the agent's binary is given (env var) or on PATH: these are large installs, not dependencies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap, loadTask, resolveTaskDir, runTask } from '../../src/loop/index.js';
import { startSimServer, type SimServerHandle } from '../../src/sim/index.js';
import { loadTrajectories, validateTrajectory, type Trajectory } from '../../src/trajectory/index.js';

const ROOT = path.resolve(__dirname, '../..');
const reference = fs.readFileSync(path.join(ROOT, 'tasks/puzzle/collatz-c/solution/solve.sh'), 'utf8').split("<<'C'\n")[1].split('\nC\n')[0];

export interface AgentCliCase {
  preset: 'codex' | 'opencode' | 'claude-code';
  /** Env var naming the binary (also passed to the preset), and the command looked up on PATH. */
  binEnv: string;
  binName: string;
  /** The agent's tool call that writes solve.c from the shell command `cmd`. */
  toolCall(cmd: string): { name: string; arguments: string };
  /** Text the recorded trajectory must contain (the tool's name as the agent's API spells it). */
  recordedMark: string;
  title: string;
}

function binOf(c: AgentCliCase): string | null {
  if (process.env[c.binEnv]) return process.env[c.binEnv]!;
  try {
    return execaSync('sh', ['-c', `command -v ${c.binName}`]).stdout.trim() || null;
  } catch {
    return null;
  }
}

/** The agent's session: one tool call that writes solve.c, then a closing message. */
function session(c: AgentCliCase): Trajectory {
  const call = c.toolCall(`cat > solve.c <<'EOF'\n${reference}\nEOF`);
  return {
    format: 'agentdyno.trajectory.v1', id: `${c.preset}-collatz`, source: { kind: 'synthetic', license: 'CC0-1.0 (hand-written for tests)' },
    agents: [{
      id: 'main', parent: null, system_prompt_tokens: 100,
      steps: [
        { type: 'llm', input_tokens: 9000, output_tokens: 150, cached_tokens: 0, ttft_ms: 20, duration_ms: 60, content: { response: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: call }] } } },
        { type: 'tool', name: call.name, duration_ms: 10, status: 'ok' },
        { type: 'llm', input_tokens: 9300, output_tokens: 6, cached_tokens: 9000, ttft_ms: 20, duration_ms: 40, content: { response: { role: 'assistant', content: 'Rewrote solve.c with memoized chain lengths.' } } },
      ],
    }],
  } as Trajectory;
}

export function describeAgentCli(c: AgentCliCase): void {
  const bin = binOf(c);
  let sim: SimServerHandle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `agentdyno-${c.preset}-`));
  beforeAll(async () => {
    sim = await startSimServer({ port: 0, script: session(c), scriptTimeScale: 0.1 });
  });
  afterAll(async () => {
    await sim?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  if (!bin) console.log(`SKIPPED: the real ${c.preset} agent test (${c.binName} not found): set ${c.binEnv} or put ${c.binName} on PATH; .ci/run installs it (npm install --prefix /opt/agentdyno-agents ...)`);
  describe.skipIf(!bin || !findBwrap())(`loop run --agent command --agent-preset ${c.preset} (real CLI, offline)`, () => {
    it(c.title, async () => {
      const task = loadTask(resolveTaskDir('puzzle/collatz-c', path.join(ROOT, 'tasks')));
      const r = await runTask(task, {
        agent: { kind: 'command', llm: { target: sim.url, model: 'sim-script' }, command: { preset: c.preset, env: { [c.binEnv]: bin! } } },
        budgets: { tokens: 400_000, iterations: 2, wallSec: 300 },
        db: path.join(dir, 'r.db'),
        resultsDir: dir,
      });
      expect(r.sandbox).toBe('bwrap');
      expect(r.bestIteration).toBe(1);
      expect(r.success).toBe(true);
      const main = r.budgetTree!.nodes.find((n) => n.agent === 'main')!;
      expect(main.calls).toBeGreaterThanOrEqual(2);
      expect(main.committed).toBeGreaterThanOrEqual(9000 + 150 + 9300 + 6);
      expect(r.budgetTree!.spentTokens).toBeLessThanOrEqual(400_000);
      const ts = loadTrajectories([r.trajectory!]).map((l) => l.trajectory);
      expect(ts.length).toBeGreaterThanOrEqual(1);
      for (const t of ts) expect(validateTrajectory(t)).toEqual([]);
      expect(JSON.stringify(ts)).toContain(c.recordedMark);
    }, 300_000);
  });
}
