/**
 * What is reported before a run (never as a wrong answer): missing tools (including those a Harbor
 * task's Dockerfile installs and its verifier uses), more CPUs than the machine has; and a baseline
 * that fails ends `loop run` with E_TASK_UNRUNNABLE instead of a "successful" run with no baseline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentdynoError } from '../../src/core/index.js';
import { environmentProblems, loadTask, resolveTaskDir, runTask, systemBinds, sandboxArgv, taskSandboxSpec, DEFAULT_LIMITS } from '../../src/loop/index.js';
import { openStore } from '../../src/store/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-preflight-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a task folder under tmp, edited by `edit`. */
function copyTask(id: string, name: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, path.dirname(id), name);
  fs.cpSync(path.join(ROOT, 'tasks', id), dir, { recursive: true });
  edit(dir);
  return dir;
}

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof AgentdynoError ? e.code : `not an AgentdynoError: ${String(e)}`;
  }
};

describe('loop run preflight', () => {
  it('a tool the task requires and the machine lacks: E_TASK_UNRUNNABLE before any run is stored', async () => {
    const dir = copyTask('puzzle/collatz-c', 'needs-tool', (d) => {
      const t = path.join(d, 'task.toml');
      fs.writeFileSync(t, fs.readFileSync(t, 'utf8').replace('requires = ["cc", "make"]', 'requires = ["cc", "make", "agentdyno-no-such-tool"]'));
    });
    const store = openStore(':memory:');
    expect(await codeOf(runTask(loadTask(dir), { agent: { kind: 'search' }, unsafeNoSandbox: true, store }))).toBe('E_TASK_UNRUNNABLE');
    expect(store.listRuns().length).toBe(0);
    store.close();
  });

  it('a Harbor task whose Dockerfile installs a tool its verifier uses (cargo) requires it', () => {
    const dir = copyTask('system/crc32_throughput', 'needs-cargo', (d) => {
      fs.writeFileSync(path.join(d, 'environment', 'Dockerfile'), 'FROM rust:1\nRUN apt-get update && apt-get install -y cargo tmux\nCOPY . /app\n');
      fs.appendFileSync(path.join(d, 'tests', 'test.sh'), '\ncargo --version\n');
    });
    const task = loadTask(dir);
    expect(task.requires).toContain('cargo');
    expect(task.requires).not.toContain('tmux'); // installed for the agent's terminal, never used by the verifier
  });

  it('more CPUs than this machine has is refused by name', () => {
    expect(environmentProblems({ cpus: 4096, allowInternet: false })).toEqual([expect.stringMatching(/cpus = 4096 but this machine has \d+ CPU/)]);
    expect(environmentProblems({ cpus: 1, allowInternet: false })).toEqual([]);
  });

  it('a failing baseline ends the run with E_TASK_UNRUNNABLE (the run is stored as failed)', async () => {
    const dir = copyTask('puzzle/collatz-c', 'broken-baseline', (d) => fs.writeFileSync(path.join(d, 'environment', 'solve.c'), 'this is not C'));
    const store = openStore(':memory:');
    const script = path.join(tmp, 'stop.json');
    fs.writeFileSync(script, '[{"stop": true}]');
    expect(await codeOf(runTask(loadTask(dir), { agent: { kind: 'scripted', script }, unsafeNoSandbox: true, store, resultsDir: tmp }))).toBe('E_TASK_UNRUNNABLE');
    expect(store.listRuns().map((r) => r.status)).toEqual(['failed']);
    store.close();
  }, 60_000);

  it.skipIf(!fs.existsSync(path.join(ROOT, 'dist/commands/loop/run.js')))('the CLI exits non-zero with the code and the baseline\'s status', async () => {
    const dir = path.join(tmp, 'puzzle', 'broken-baseline');
    const r = await execa('node', [path.join(ROOT, 'bin/run.js'), 'loop', 'run', '--task', dir, '--agent', 'search', '--unsafe-no-sandbox', '--db', path.join(tmp, 'cli.db'), '--json'], { cwd: tmp, reject: false, timeout: 60_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('E_TASK_UNRUNNABLE');
    expect(r.stdout + r.stderr).toMatch(/baseline of puzzle\/broken-baseline does not build/);
  }, 60_000);
});

describe('sandbox arguments', () => {
  it('binds system folders and a minimal /etc only: never /, a home directory or /root', () => {
    const argv = sandboxArgv('true', '/tmp/ws', DEFAULT_LIMITS, 'bwrap');
    const binds = argv.flatMap((a, i) => (a === '--ro-bind' || a === '--bind' || a === '--ro-bind-try' ? [argv[i + 1]] : []));
    expect(binds).not.toContain('/');
    expect(binds.some((b) => b === '/home' || b.startsWith('/home/') || b === '/root' || b.startsWith('/root/'))).toBe(false);
    expect(binds.filter((b) => b.startsWith('/etc/')).every((b) => !/shadow|sudoers|ssh/.test(b))).toBe(true);
    expect(systemBinds()).toContain('/usr');
  });

  it('no network unless the task allows the internet; tmpfs sizes capped', () => {
    expect(sandboxArgv('true', '/tmp/ws', DEFAULT_LIMITS, 'bwrap')).toEqual(expect.arrayContaining([process.getuid?.() === 0 ? '--unshare-net' : '--unshare-all']));
    expect(sandboxArgv('true', '/tmp/ws', DEFAULT_LIMITS, 'bwrap', { network: 'host' })).not.toContain('--unshare-net');
    const a = sandboxArgv('true', '/tmp/ws', { ...DEFAULT_LIMITS, tmpMb: 32 }, 'bwrap');
    expect(a[a.indexOf('/tmp') - 3]).toBe('--size');
    expect(a[a.indexOf('/tmp') - 2]).toBe(String(32 * 1024 * 1024));
  });

  it('the allow_internet task flag reaches the sandbox', () => {
    const dir = copyTask('puzzle/collatz-c', 'online', (d) => {
      const t = path.join(d, 'task.toml');
      fs.writeFileSync(t, fs.readFileSync(t, 'utf8').replace('allow_internet = false', 'allow_internet = true'));
    });
    expect(taskSandboxSpec(loadTask(dir)).network).toBe('host');
    expect(taskSandboxSpec(loadTask(resolveTaskDir('puzzle/collatz-c'))).network).toBe('none');
  });
});
