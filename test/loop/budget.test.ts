/**
 * The loop's budget is an affine ledger handle for every agent kind (src/loop/budget.ts): the llm
 * agent reserves before every model call and sends only the output cap it reserved; a refused
 * reservation ends the iteration with the reason (stop token_budget); what a scripted agent claims
 * to have spent outside the ledger is charged after the fact (overrun when it did not fit); the
 * budget tree is stored with the run and printed by `results show` for llm, scripted and search.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSandbox, loadTask, resolveTaskDir, runLoop, runTask, ScriptedAgent } from '../../src/loop/index.js';
import { openStore } from '../../src/store/index.js';

const ROOT = path.resolve(__dirname, '../..');
const task = loadTask(resolveTaskDir('puzzle/collatz-c', path.join(ROOT, 'tasks')));
const sandbox = chooseSandbox(true);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-loop-budget-'));

// A fake chat endpoint that bills like a server with its own tokenizer (~4 characters a token) and
// always generates 80 tokens or the cap sent, whichever is less. Its replies: stage an (unchanged-
// behaviour) edit and run it, every time.
const received: { maxTokens: number; billed: number }[] = [];
let server: http.Server;
let url = '';
const source = fs.readFileSync(path.join(task.environmentDir, 'solve.c'), 'utf8');
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const b = JSON.parse(body) as { messages: unknown[]; tools: unknown[]; max_tokens: number };
      const prompt = Math.ceil(JSON.stringify([b.messages, b.tools]).length / 4);
      const completion = Math.min(80, b.max_tokens);
      received.push({ maxTokens: b.max_tokens, billed: prompt + completion });
      const n = received.length;
      const tool_calls = [
        { id: `w${n}`, type: 'function', function: { name: 'write_file', arguments: JSON.stringify({ path: 'solve.c', content: `${source}\n/* try ${n} */\n` }) } },
        { id: `r${n}`, type: 'function', function: { name: 'run_experiment', arguments: JSON.stringify({ note: `try ${n}` }) } },
      ];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: null, tool_calls } }], usage: { prompt_tokens: prompt, completion_tokens: completion } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('loop budget through the affine ledger', () => {
  it('llm agent: every model call reserves first; a refused reservation ends the run with the reason; never past B', async () => {
    received.length = 0;
    const budget = 9000;
    const r = await runTask(task, {
      agent: { kind: 'llm', llm: { target: url, model: 'fake', maxTokensPerCall: 2000 } },
      budgets: { tokens: budget, iterations: 50, wallSec: 300 },
      db: path.join(dir, 'llm.db'),
      resultsDir: path.join(dir, 'llm'),
      unsafeNoSandbox: true,
    });
    const billed = received.reduce((a, x) => a + x.billed, 0);
    expect(r.stopReason).toBe('token_budget');
    expect(r.budgetStop).toMatch(/token budget spent: a model call on handle "root" was refused \(exhausted/);
    expect(r.iterations).toBeGreaterThanOrEqual(2);
    expect(r.iterations).toBeLessThan(50);
    const main = r.budgetTree.nodes.find((n) => n.agent === 'main')!;
    // Every call the endpoint saw was reserved first, and one more was refused before it was sent.
    expect(main.calls - main.refused).toBe(received.length); // the tree counts the refused attempt as a call
    expect(main.refused).toBe(1);
    expect(main.committed).toBe(billed);
    // What the server billed, what the ledger charged and what the loop counts are one number, under B.
    expect(r.budgetTree.spentTokens).toBe(billed);
    expect(r.budgetUsed.tokens).toBe(billed);
    expect(billed).toBeLessThanOrEqual(budget);
    expect(billed).toBeGreaterThan(budget * 0.5);
    expect(r.budgetTree.overrunTokens).toBe(0);
    // The output cap sent shrank to what was left once the budget ran low.
    expect(Math.min(...received.map((x) => x.maxTokens))).toBeLessThan(2000);
    const store = openStore(path.join(dir, 'llm.db'), { mustExist: true });
    try {
      const stored = store.getRun(r.runId)?.result as { budgetTree?: unknown; budgetStop?: string };
      expect(stored.budgetTree).toEqual(JSON.parse(JSON.stringify(r.budgetTree)));
      expect(stored.budgetStop).toBe(r.budgetStop);
    } finally {
      store.close();
    }
  }, 240_000);

  it('scripted agent: claimed tokens are charged to the ledger, the part past B as overrun', async () => {
    const agent = new ScriptedAgent([{ files: { 'solve.c': source }, tokens: 400 }, { files: { 'solve.c': source }, tokens: 400 }, { files: { 'solve.c': source }, tokens: 400 }, { files: { 'solve.c': source }, tokens: 400 }]);
    const r = await runLoop({ task, agent, sandbox, budgets: { tokens: 1000, wallSec: 300, iterations: 10 } });
    expect(r.iterations).toBe(3); // 400 + 400 + 400: the fourth turn finds nothing left
    expect(r.stopReason).toBe('token_budget');
    expect(r.budgetUsed.tokens).toBe(1200);
    expect(r.budgetTree.spentTokens).toBe(1200);
    expect(r.budgetTree.overrunTokens).toBe(200); // the agent spent without asking: shown, not hidden
    expect(agent.seen[1].remaining.tokens).toBe(600);
  }, 120_000);

  it('results show prints the budget tree for llm, scripted and search runs (built CLI)', async () => {
    const db = path.join(dir, 'show.db');
    const script = path.join(dir, 'script.json');
    fs.writeFileSync(script, JSON.stringify([{ files: { 'solve.c': source }, tokens: 150 }, { stop: true }]));
    const runs = await Promise.all([
      runTask(task, { agent: { kind: 'scripted', script }, budgets: { tokens: 1000, iterations: 3, wallSec: 120 }, db, resultsDir: dir, unsafeNoSandbox: true }),
      runTask(task, { agent: { kind: 'search' }, budgets: { tokens: 1000, iterations: 1, wallSec: 120 }, db, resultsDir: dir, unsafeNoSandbox: true }),
      runTask(task, { agent: { kind: 'llm', llm: { target: url, model: 'fake' } }, budgets: { tokens: 1000, iterations: 3, wallSec: 120 }, db, resultsDir: dir, unsafeNoSandbox: true }),
    ]);
    const spent = [150, 0, runs[2].budgetTree.spentTokens];
    expect(spent[2]).toBeGreaterThan(0);
    const shown = await Promise.all(runs.map((run) => execa('node', [path.join(ROOT, 'bin/run.js'), 'results', 'show', run.runId, '--db', db], { cwd: ROOT, reject: false, timeout: 60_000, env: { CI: '1' } })));
    for (const [i, out] of shown.entries()) {
      expect(out.exitCode, out.stderr).toBe(0);
      expect(out.stdout).toContain(`budget tree: root 1000 tokens, spent ${spent[i]}, overrun 0`);
      expect(out.stdout).toMatch(/\n\s+main: \d+ call\(s\), reserved \d+, committed \d+, forfeited 0/);
    }
  }, 240_000);
});
