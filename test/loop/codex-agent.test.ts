/**
 * A real agent CLI end to end: Codex CLI (npm @openai/codex, a native binary that runs offline)
 * as the loop's proposer, inside bubblewrap, through the proxy, against `sim --script`. Skipped
 * unless a codex binary is given (AGENTDYNO_CODEX_BIN) or on PATH: it is a ~400 MB install, so it
 * is not a dependency of agentdyno. The binary must live outside /tmp (the sandbox's /tmp is its
 * own tmpfs). Run: npm install --prefix ~/agents @openai/codex; AGENTDYNO_CODEX_BIN=~/agents/node_modules/.bin/codex.
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
function codexBin(): string | null {
  if (process.env.AGENTDYNO_CODEX_BIN) return process.env.AGENTDYNO_CODEX_BIN;
  try {
    return execaSync('sh', ['-c', 'command -v codex']).stdout.trim() || null;
  } catch {
    return null;
  }
}
const codex = codexBin();

/** Codex's session: one exec_command that writes solve.c, then a closing message. */
function session(): Trajectory {
  const cmd = `cat > solve.c <<'EOF'\n${reference}\nEOF`;
  return {
    format: 'agentdyno.trajectory.v1', id: 'codex-collatz', source: { kind: 'synthetic', license: 'CC0-1.0 (hand-written for tests)' },
    agents: [{
      id: 'main', parent: null, system_prompt_tokens: 100,
      steps: [
        { type: 'llm', input_tokens: 9000, output_tokens: 150, cached_tokens: 0, ttft_ms: 20, duration_ms: 60, content: { response: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: JSON.stringify({ cmd }) } }] } } },
        { type: 'tool', name: 'exec_command', duration_ms: 10, status: 'ok' },
        { type: 'llm', input_tokens: 9300, output_tokens: 6, cached_tokens: 9000, ttft_ms: 20, duration_ms: 40, content: { response: { role: 'assistant', content: 'Rewrote solve.c with memoized chain lengths.' } } },
      ],
    }],
  } as Trajectory;
}

let sim: SimServerHandle;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-codex-'));
beforeAll(async () => {
  sim = await startSimServer({ port: 0, script: session(), scriptTimeScale: 0.1 });
});
afterAll(async () => {
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!codex || !findBwrap())('loop run --agent command --agent-preset codex (real Codex CLI, offline)', () => {
  it('Codex edits solve.c through its exec_command tool; the loop scores it; the Responses session is recorded', async () => {
    const task = loadTask(resolveTaskDir('puzzle/collatz-c', path.join(ROOT, 'tasks')));
    const r = await runTask(task, {
      agent: { kind: 'command', llm: { target: sim.url, model: 'sim-script' }, command: { preset: 'codex', env: { AGENTDYNO_CODEX_BIN: codex! } } },
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
    expect(JSON.stringify(ts[0])).toContain('exec_command');
  }, 300_000);
});
