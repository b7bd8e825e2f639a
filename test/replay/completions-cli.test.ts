/** The built CLI (dist/; `npm test` builds first) with --api completions: a run on the simulator, and a chat-only server. */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../src/store/index.js';

const ROOT = resolve(__dirname, '../..');
const FIX = resolve(ROOT, 'test/fixtures/replay');
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-completions-cli-'));
const db = join(dir, 'results.db');
const cli = (args: string[], timeout = 60_000) => execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env: { CI: '1' } });

let server: Server | null = null;
const hits: string[] = [];
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A chat-only server: /v1/models and a streaming /v1/chat/completions, 404 for /v1/completions. */
function chatOnly(): Promise<string> {
  return new Promise((ok) => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '/';
        hits.push(path);
        if (path === '/v1/models') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: [{ id: 'chat-only' }] }));
        } else if (path === '/v1/chat/completions') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const w of ['a', 'b']) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: w } }] })}\n\n`);
          res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\ndata: [DONE]\n\n`);
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: 'Not Found' }));
        }
      });
    });
    server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server!.address() as { port: number }).port}`));
  });
}

describe('agentdyno replay --api completions (CLI)', () => {
  it('runs a level on the simulator through /v1/completions, records the mode, and reports exact prompt sizes', async () => {
    const r = await cli(['replay', '-c', '2', '--api', 'completions', '--json', '--trajectories', join(FIX, 'tiny.jsonl'), '--sim-profile', join(FIX, 'fast.yaml'), '--db', db, '--window', '1', '--warmup', '0.2', '--drain-cap', '0.3', '--min-window', '0.5']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.settings).toMatch(/^api completions: POST \/v1\/completions/m);
    expect(out.settings).toMatch(/calibrated for the completions template by the endpoint's \/tokenize \(prompt\): 1\.000 tokens\/word, template 1\/message \+ 1\/request/);
    expect(out.level.api).toBe('completions');
    expect(out.promptTokenError.synthetic.calls).toBeGreaterThan(0);
    expect(out.promptTokenError.maxPct).toBe(0);
    const store = openStore(db, { mustExist: true });
    try {
      expect((store.getRun(out.runId)?.config as { level: { api: string } }).level.api).toBe('completions');
    } finally {
      store.close();
    }
  });

  it('a chat-only server gets one clear paragraph naming /v1/completions and suggesting --api chat', async () => {
    const url = await chatOnly();
    const r = await cli(['replay', '-c', '1', '--api', 'completions', '--db', db, '--target', url], 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${url}/v1/completions`);
    expect(r.stderr).toMatch(/no \/v1\/completions route/);
    expect(r.stderr).toMatch(/--api chat/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(hits).toContain('/v1/completions');
    expect(hits).not.toContain('/v1/chat/completions');
  });
});
