/** Debian's redis-server on a free port in a temp dir, and `agentdyno worker` processes, for the --redis tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface RedisProc {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProc> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'agentdyno-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    proc.stdout!.on('data', (d) => {
      out += String(d);
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, proc, stop: () => stopProc(proc) };
}

export function stopProc(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill(signal);
  });
}

/** `agentdyno worker --redis URL --name NAME --workers 1`, resolving once it says it registered. */
export async function startWorkerProcess(url: string, name: string, opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn('node', [path.join(ROOT, 'bin/run.js'), 'worker', '--redis', url, '--name', name, '--workers', '1'], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker ${name} did not register: ${log}`)), 30_000);
    proc.stderr!.on('data', (d) => {
      log += String(d);
      if (/registered as/.test(log)) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${log}`)));
  });
  return { proc, log: () => log };
}
