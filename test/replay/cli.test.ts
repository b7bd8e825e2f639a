/** The built CLI (dist/; `npm test` builds first): the `sweep --json` contract, bad input, Ctrl-C. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../src/store/index.js';

const ROOT = resolve(__dirname, '../..');
const FIX = resolve(ROOT, 'test/fixtures/replay');
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-replay-cli-'));
const db = join(dir, 'results.db');
const fast = ['--trajectories', join(FIX, 'tiny.jsonl'), '--sim-profile', join(FIX, 'fast.yaml'), '--db', db];
const fastFlags = () => fast;
const cli = (args: string[], timeout = 60_000) => execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env: { CI: '1' } });

const servers: Server[] = [];
function serve(handler: (path: string, body: string) => { status: number; type: string; body: string }): Promise<string> {
  return new Promise((ok) => {
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const r = handler(req.url ?? '/', body);
        res.writeHead(r.status, { 'content-type': r.type });
        res.end(r.body);
      });
    });
    servers.push(s);
    s.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(s.address() as { port: number }).port}`));
  });
}

beforeAll(() => undefined);
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agentdyno sweep / replay CLI', () => {
  it('sweep --json prints one JSON object with the documented contract', async () => {
    const r = await cli(['sweep', '--json', ...fast, '--window', '1', '--warmup', '0.2', '--drain-cap', '0.3', '--min-window', '0.5', '--start', '2', '--max-levels', '3', '--slo', '25,50']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(typeof out.runId).toBe('string');
    expect(typeof out.valid).toBe('boolean');
    expect(out.tiers).toHaveLength(2);
    for (const t of out.tiers) {
      for (const k of ['sloTokPerS', 'ttftCeilingMs', 'nMax', 'minFailing', 'bindingConstraint', 'agentsPerMW', 'power']) expect(t).toHaveProperty(k);
      if (t.power) for (const k of ['meanW', 'boundary', 'source', 'simulated']) expect(t.power).toHaveProperty(k);
    }
    // Every tier with a passing level carries simulated power (on a loaded host the timing canary can void a tier's levels).
    for (const t of out.tiers as { nMax: number | null; power: { simulated: boolean } | null }[]) if (t.nMax) expect(t.power?.simulated).toBe(true);
    expect(out.levels.length).toBeGreaterThan(0);
    for (const l of out.levels) {
      expect(typeof l.concurrency).toBe('number');
      expect(typeof l.valid).toBe('boolean');
      expect(Object.keys(l.passRates).sort()).toEqual(['25', '50']);
      expect(l.errors).toBeTypeOf('object');
      expect(l.report.tiers).toHaveLength(2);
    }
    const store = openStore(db, { mustExist: true });
    try {
      expect(store.getRun(out.runId)?.status).toBe('completed');
      expect(store.getSweepPoints(out.runId).length).toBe(out.levels.length * 2);
      expect(store.countRequests(out.runId)).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  // The refusals below are independent processes that store nothing: run side by side (suite wall time).
  it.concurrent.each([
    ['a missing trajectory file', ['--trajectories', join(FIX, 'nope.jsonl')], /nope\.jsonl/],
    ['a malformed trajectory file', ['--trajectories', join(FIX, 'bad.jsonl')], /bad\.jsonl:2/],
    ['an unreachable target', ['--target', 'http://127.0.0.1:9'], /127\.0\.0\.1:9/],
  ])('%s: one clear paragraph, non-zero exit, no hang', async (_n, args, re) => {
    const r = await cli(['sweep', '--db', db, ...args], 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.concurrent('thresholds that make a verdict impossible get a clear error with a code, before any load', async () => {
    const [short, fast, min] = await Promise.all([
      // The bundled trajectories' lanes call every ~8.5 s even at 60 tok/s: a 5 s window cannot judge a whole call.
      cli(['sweep', '--json', '--window', '5', '--db', db]),
      // A floor whose inter-token period is below what the client can resolve.
      cli(['sweep', '--json', '--slo', '5000', '--db', db]),
      // A window below the minimum window would make every level invalid.
      cli(['sweep', '--json', ...fastFlags(), '--window', '1', '--min-window', '2']),
    ]);
    expect(short.exitCode).toBe(2);
    expect(JSON.parse(short.stdout || short.stderr).error.code).toBe('E_USAGE_RANGE');
    expect(fast.exitCode).toBe(2);
    expect(JSON.parse(fast.stdout || fast.stderr).error).toMatchObject({ code: 'E_USAGE_RANGE', where: '--slo' });
    expect(JSON.parse(min.stdout || min.stderr).error.code).toBe('E_USAGE_RANGE');
  });

  it.concurrent('refuses a target that is not OpenAI-compatible, and a non-streaming one', async () => {
    const html = await serve(() => ({ status: 404, type: 'text/html', body: '<h1>Not Found</h1>' }));
    const r1 = await cli(['replay', '-c', '1', '--db', db, '--target', html], 30_000);
    expect(r1.exitCode).not.toBe(0);
    expect(r1.stderr).toMatch(/v1\/models/);
    const nonStream = await serve((path) =>
      path.endsWith('/models')
        ? { status: 200, type: 'application/json', body: JSON.stringify({ data: [{ id: 'm' }] }) }
        : { status: 200, type: 'application/json', body: JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1 } }) },
    );
    const r2 = await cli(['replay', '-c', '1', '--db', db, '--target', nonStream], 30_000);
    expect(r2.exitCode).not.toBe(0);
    expect(r2.stderr).toMatch(/stream/i);
    expect(r2.stderr).toMatch(/chat\/completions/);
  });

  it.concurrent('refuses an embedded-simulator port that is in use', async () => {
    const busy = await serve(() => ({ status: 200, type: 'text/plain', body: 'x' }));
    const port = new URL(busy).port;
    const r = await cli(['replay', '-c', '1', ...fast, '--sim-port', port], 30_000);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(port));
  });

  it('Ctrl-C keeps the finished levels and marks the run interrupted', async () => {
    const p = execa('node', [join(ROOT, 'bin/run.js'), 'sweep', ...fast, '--window', '1', '--warmup', '0.2', '--drain-cap', '0.3', '--min-window', '0.5', '--start', '2', '--max-levels', '8', '--json'], { cwd: ROOT, reject: false, timeout: 60_000, env: { CI: '1' } });
    let seen = false;
    p.stderr?.on('data', (d: Buffer) => {
      if (!seen && /level done/.test(d.toString())) {
        seen = true;
        p.kill('SIGINT');
      }
    });
    const r = await p;
    expect(seen).toBe(true);
    expect(r.exitCode).toBe(130);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('interrupted');
    const store = openStore(db, { mustExist: true });
    try {
      expect(store.getRun(out.runId)?.status).toBe('interrupted');
      expect(store.getSweepPoints(out.runId).length).toBeGreaterThanOrEqual(2);
    } finally {
      store.close();
    }
  });
});
