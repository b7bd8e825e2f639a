/**
 * The hostile suite's harness: runs the built CLI (dist/, one build for every case) in child
 * processes with a hard deadline, a small pool so the corpus fits 2 cores, and a verdict per case:
 * "held" = exited non-zero within its deadline with a located error that carries a stable code, and
 * no stack trace, no crash. Each group prints `hostile <group>: N held, M broken`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'run.js');

export function requireBuild(): void {
  if (!existsSync(path.join(ROOT, 'dist', 'commands', 'replay.js'))) throw new Error('the hostile suite runs the built CLI: run `npm run build` first');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface CliOptions {
  deadlineMs?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Called with the child right after it starts (to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Run `agentdyno ARGS`; kills it (SIGKILL) past the deadline and says so. */
export function cli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const deadline = o.deadlineMs ?? 30_000;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.cwd ?? ROOT,
      env: { ...process.env, AGENTDYNO_DB: undefined, NO_COLOR: '1', FORCE_COLOR: '0', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadline);
    o.onSpawn?.(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, timedOut });
    });
  });
}

/** Run tasks with at most `n` at once (the corpus runs on 2 cores beside other work). */
export async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return out;
}

/** A V8 stack frame line, or a crash that is not ours. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:)/m;
const CRASH = /Maximum call stack|heap out of memory|FATAL ERROR|RangeError|TypeError|ReferenceError|SyntaxError: (?!.*JSON)|Unhandled|uncaught/i;

/** The error code a run reported: `--json` error object, a JSON result's `code`, or the `Error [CODE]` stderr prefix. */
export function errorCodeOf(r: CliResult): string | null {
  const m = /Error \[(E_[A-Z_]+)\]/.exec(r.stderr);
  if (m) return m[1];
  for (const text of [r.stdout.trim(), r.stdout.trim().split('\n').pop() ?? '']) {
    try {
      const j = JSON.parse(text) as { error?: { code?: string }; code?: string; tasks?: { code?: string }[] };
      if (j.error?.code) return j.error.code;
      if (typeof j.code === 'string') return j.code;
      const t = j.tasks?.find((x) => x.code);
      if (t?.code) return t.code;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

export interface Verdict {
  held: boolean;
  why: string[];
  code: string | null;
}

export interface Expectation {
  /** Codes that count as the right answer (any of them). */
  codes: string[];
  /** A substring the output must show so the error is located (a file, a flag, a JSON path, a URL). */
  where?: string | RegExp;
  /** Exit status other than non-zero-and-not-a-signal (e.g. 130 after an interrupt). */
  exit?: number[];
}

export function judge(r: CliResult, e: Expectation): Verdict {
  const why: string[] = [];
  const all = `${r.stdout}\n${r.stderr}`;
  const code = errorCodeOf(r);
  if (r.timedOut) why.push(`hung: killed after ${r.ms} ms`);
  if (r.signal) why.push(`died of ${r.signal}`);
  if (e.exit ? !e.exit.includes(r.code ?? -1) : r.code === 0 || r.code === null || r.code > 128) why.push(`exit ${r.code}`);
  if (!code) why.push('no error code in the output');
  else if (!e.codes.includes(code)) why.push(`code ${code}, expected ${e.codes.join(' or ')}`);
  if (STACK.test(all)) why.push('stack trace in the output');
  if (CRASH.test(all)) why.push(`crash text: ${CRASH.exec(all)![0]}`);
  if (e.where !== undefined && !(typeof e.where === 'string' ? all.includes(e.where) : e.where.test(all))) why.push(`not located: output does not name ${String(e.where)}`);
  return { held: why.length === 0, why, code };
}

/** Collects verdicts of one group and prints its summary line once. */
export class Group {
  readonly verdicts = new Map<string, Verdict>();
  constructor(readonly name: string) {}
  record(caseName: string, v: Verdict): Verdict {
    this.verdicts.set(caseName, v);
    return v;
  }
  summary(): string {
    const all = [...this.verdicts.values()];
    const held = all.filter((v) => v.held).length;
    const line = `hostile ${this.name}: ${held} held, ${all.length - held} broken`;
    const broken = [...this.verdicts].filter(([, v]) => !v.held).map(([k, v]) => `  broken: ${k}: ${v.why.join('; ')}`);
    // eslint-disable-next-line no-console
    console.log([line, ...broken].join('\n'));
    return line;
  }
}

/** A started fault server (test/hostile/fault-server.mjs) in its own process. */
export interface FaultServer {
  url: string;
  close(): void;
}

export function startFaultServer(mode: string): Promise<FaultServer> {
  return new Promise((resolve, reject) => {
    // stdin is a pipe the server watches: if this process dies, the server goes too.
    const child = spawn(process.execPath, [path.join(ROOT, 'test', 'hostile', 'fault-server.mjs'), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const fail = setTimeout(() => reject(new Error(`fault server ${mode} did not start`)), 20_000);
    child.stdout!.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(fail);
      const { port } = JSON.parse(buf.slice(0, nl)) as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => child.kill('SIGKILL') });
    });
    child.on('error', reject);
  });
}
