/**
 * Plants secrets in every input path and greps everything the runs wrote. The key lives in an env
 * variable named by --api-key-env, the URL password in --target / --upstream userinfo; an endpoint
 * echoes the Authorization it gets in error bodies and inside streams; a task's check prints the
 * key into the loop's feedback. Neither secret (nor the Basic token carrying the URL password) may
 * appear in stdout, stderr, the SQLite files (-wal and -shm included) or the exported files.
 * Needs the built CLI (npm run build).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import { loadProfile, startSimServerInWorker, type SimServer } from '../../src/sim/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIX = resolve(ROOT, 'test/fixtures/replay');
// No known key shape (no sk-, hf_...): only registration can catch it.
const KEY = 'plk7f3a9c2ed41b88e0c6a5';
const URLPW = 'urlpw5d81c0a77f2e4b93';
const BASIC = Buffer.from(`planted:${URLPW}`).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'agentdyno-planted-'));
const db = join(dir, 'results', 'agentdyno.db');
const env = { CI: '1', AGENTDYNO_DB: db, PLANTED_KEY_VAR: KEY };
const outputs: { what: string; text: string }[] = [];
const cli = async (what: string, args: string[], timeout = 120_000) => {
  const r = await execa('node', [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout, env });
  outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
  return r;
};

let sim: SimServer;
let echo: Server;
let echoUrl: string;
let llmCalls = 0;
let streamed = 0;
const seenAuth = new Set<string>();

beforeAll(async () => {
  sim = await startSimServerInWorker({ profile: loadProfile(join(FIX, 'fast.yaml')), port: 0, seed: 1 });
  // An endpoint that echoes credentials: in front of the sim for replays, scripted for the llm agent.
  echo = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const auth = String(req.headers.authorization ?? req.headers['x-api-key'] ?? '');
      seenAuth.add(auth);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? JSON.parse(raw) : {};
      if (req.url?.endsWith('/chat/completions') && body.tools) {
        llmCalls++;
        if (llmCalls === 1) {
          res.writeHead(401, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${auth}. You can find your API key at https://example.com`, type: 'invalid_request_error' } }));
        }
        const call = llmCalls === 2 ? { id: 'c1', type: 'function', function: { name: 'run_experiment', arguments: `{"note":"echo ${auth}"}` } } : { id: 'c2', type: 'function', function: { name: 'submit', arguments: '{}' } };
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: `I saw ${auth}`, tool_calls: [call] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 50, completion_tokens: 10 } }));
      }
      if (body.stream && ++streamed % 5 === 0) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: `upstream rejected ${auth}` } }));
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (k !== 'host' && k !== 'content-length' && typeof v === 'string') headers[k] = v;
      const up = await request(`${sim.url}${req.url}`, { method: req.method as 'GET', body: raw || undefined, headers });
      const out: Record<string, string> = { 'x-echo': auth };
      for (const [k, v] of Object.entries(up.headers)) if (k !== 'content-length' && k !== 'transfer-encoding' && typeof v === 'string') out[k] = v;
      res.writeHead(up.statusCode, out);
      let first = true;
      for await (const c of up.body) {
        let s = Buffer.from(c).toString('utf8');
        if (first && body.stream) s = `: echo ${auth}\n\n` + s.replace('"content":"', `"content":"echo ${auth} `);
        first = false;
        res.write(s);
      }
      res.end();
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoUrl = `http://planted:${URLPW}@127.0.0.1:${(echo.address() as AddressInfo).port}`;
  // A task whose check prints the key (copied from a real task; only check.sh changes).
  cpSync(join(ROOT, 'tasks/puzzle/collatz-c'), join(dir, 'tasks/puzzle/collatz-c'), { recursive: true });
  appendFileSync(join(dir, 'tasks/puzzle/collatz-c/environment/check.sh'), `echo "debug: using token ${KEY}"\n`);
}, 60_000);

afterAll(async () => {
  echo?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('planted secrets are found nowhere', () => {
  it('replay, loop run --agent llm, budget proxy, results show/export: no key in any output, store or export', async () => {
    // Independent runs into one store, started together (the suite's wall time; SQLite WAL takes concurrent writers).
    const [replay, bad, loop] = await Promise.all([
      cli('replay', ['replay', '-c', '2', '--target', `${echoUrl}/v1`, '--api-key-env', 'PLANTED_KEY_VAR', '--trajectories', join(FIX, 'tiny.jsonl'), '--window', '3', '--warmup', '0.3', '--drain-cap', '0.5', '--min-window', '1', '--retries', '0']),
      cli('replay bad url', ['replay', '-c', '1', '--target', `http://planted:${URLPW}@:99999/v1`, '--api-key-env', 'PLANTED_KEY_VAR', '--trajectories', join(FIX, 'tiny.jsonl')]),
      cli('loop run', ['loop', 'run', '--task', 'puzzle/collatz-c', '--root', join(dir, 'tasks'), '--agent', 'llm', '--target', `${echoUrl}/v1`, '--model', 'm', '--api-key-env', 'PLANTED_KEY_VAR', '--iterations', '3', '--json']),
    ]);
    expect(replay.stdout + replay.stderr).toMatch(/\S/);
    expect(bad.exitCode).not.toBe(0);
    expect(loop.exitCode, loop.stderr).toBe(0);
    expect(llmCalls).toBeGreaterThanOrEqual(3);

    // The proxy holds the key; the upstream echoes it back; the client must never see it.
    const proxy = execa('node', [join(ROOT, 'bin/run.js'), 'budget', 'proxy', '--upstream', echoUrl, '--api-key-env', 'PLANTED_KEY_VAR', '--tokens', '5000', '--port', '0', '--json'], { cwd: ROOT, env, reject: false });
    const url = await new Promise<string>((res, rej) => {
      proxy.stdout!.on('data', (d: Buffer) => { const m = /"url":"([^"]+)"/.exec(d.toString()); if (m) res(m[1]); });
      setTimeout(() => rej(new Error('budget proxy did not start')), 30_000);
    });
    const viaProxy: string[] = [];
    for (const stream of [false, true]) {
      const r = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], max_tokens: 5, stream }) });
      viaProxy.push(JSON.stringify(r.headers) + (await r.body.text()));
    }
    const models = await request(`${url}/v1/models`);
    viaProxy.push(JSON.stringify(models.headers) + (await models.body.text()));
    proxy.kill('SIGINT');
    const p = await proxy;
    outputs.push({ what: 'budget proxy stdout', text: p.stdout }, { what: 'budget proxy stderr', text: p.stderr }, ...viaProxy.map((text, i) => ({ what: `proxy response ${i}`, text })));
    expect(viaProxy.join('')).toContain('[redacted]');

    const list = await cli('results list', ['results', 'list', '--json']);
    const ids = (JSON.parse(list.stdout) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const files: string[] = [];
    await Promise.all(ids.flatMap((id) => [
      cli(`results show ${id}`, ['results', 'show', id]),
      ...['json', 'csv'].map((fmt) => {
        const f = join(dir, `${id}.${fmt}`);
        files.push(f);
        return cli(`results export ${id} ${fmt}`, ['results', 'export', id, '--format', fmt, '--out', f]);
      }),
    ]));
    for (const f of files) outputs.push({ what: f, text: readFileSync(f, 'utf8') });
    for (const f of readdirSync(join(dir, 'results'))) outputs.push({ what: `store ${f}`, text: readFileSync(join(dir, 'results', f)).toString('latin1') });

    // The secrets did travel (so the test means something) ...
    expect([...seenAuth]).toContain(`Bearer ${KEY}`);
    expect(outputs.some((o) => o.text.includes('[redacted]'))).toBe(true);
    // ... and are found nowhere.
    const leaks = outputs.flatMap((o) => [KEY, URLPW, BASIC].filter((s) => o.text.includes(s)).map((s) => `${o.what}: ${s === KEY ? 'key' : s === URLPW ? 'URL password' : 'Basic token'}`));
    expect(leaks).toEqual([]);
  }, 400_000);
});
