/**
 * A second real agent CLI end to end: OpenCode (npm opencode-ai, a native binary) as the loop's
 * proposer, inside bubblewrap, through the proxy (chat completions), against `sim --script`, with
 * no network and no package install: its custom provider is the bundled @ai-sdk/openai-compatible.
 * Skipped unless a binary is given (AGENTDYNO_OPENCODE_BIN) or `opencode` is on PATH (a ~185 MB
 * install, not a dependency). The binary must live outside /tmp and be readable by the sandbox
 * user. Run: npm install --prefix /opt/agents opencode-ai; AGENTDYNO_OPENCODE_BIN=/opt/agents/node_modules/.bin/opencode.
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
function opencodeBin(): string | null {
  if (process.env.AGENTDYNO_OPENCODE_BIN) return process.env.AGENTDYNO_OPENCODE_BIN;
  try {
    return execaSync('sh', ['-c', 'command -v opencode']).stdout.trim() || null;
  } catch {
    return null;
  }
}
const opencode = opencodeBin();

/** OpenCode's session: one bash tool call that writes solve.c, then a closing message. */
function session(): Trajectory {
  const cmd = `cat > solve.c <<'EOF'\n${reference}\nEOF`;
  return {
    format: 'agentdyno.trajectory.v1', id: 'opencode-collatz', source: { kind: 'synthetic', license: 'CC0-1.0 (hand-written for tests)' },
    agents: [{
      id: 'main', parent: null, system_prompt_tokens: 100,
      steps: [
        { type: 'llm', input_tokens: 9000, output_tokens: 150, cached_tokens: 0, ttft_ms: 20, duration_ms: 60, content: { response: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command: cmd, description: 'Write solve.c' }) } }] } } },
        { type: 'tool', name: 'bash', duration_ms: 10, status: 'ok' },
        { type: 'llm', input_tokens: 9300, output_tokens: 6, cached_tokens: 9000, ttft_ms: 20, duration_ms: 40, content: { response: { role: 'assistant', content: 'Rewrote solve.c with memoized chain lengths.' } } },
      ],
    }],
  } as Trajectory;
}

let sim: SimServerHandle;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-opencode-'));
beforeAll(async () => {
  sim = await startSimServer({ port: 0, script: session(), scriptTimeScale: 0.1 });
});
afterAll(async () => {
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!opencode || !findBwrap())('loop run --agent command --agent-preset opencode (real OpenCode CLI, offline)', () => {
  it('OpenCode edits solve.c through its bash tool; the loop scores it; the chat session is recorded', async () => {
    const task = loadTask(resolveTaskDir('puzzle/collatz-c', path.join(ROOT, 'tasks')));
    const r = await runTask(task, {
      agent: { kind: 'command', llm: { target: sim.url, model: 'sim-script' }, command: { preset: 'opencode', env: { AGENTDYNO_OPENCODE_BIN: opencode! } } },
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
    expect(JSON.stringify(ts)).toContain('"bash"');
  }, 300_000);
});
