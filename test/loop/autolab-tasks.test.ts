/**
 * Our three tasks in AutoLab's exact layout (tasks/system/crc32_throughput, tasks/puzzle/blocked_queens,
 * tasks/model/curve_fit_c): they load unchanged with AutoLab's domain names, the /orig files their
 * Dockerfiles create are derived, and their integrity gates work: a modified protected file fails
 * with the verifier's own reason shown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, findBwrap, harnessHashes, HARBOR_DOMAINS, loadTask, materializeOrig, parseDockerfile, prepareWorkspaceOwner, resolveTaskDir, Workspace, type Evaluation } from '../../src/loop/index.js';
import { execa } from 'execa';
import { openStore } from '../../src/store/index.js';

const hasBwrap = findBwrap() !== null;
const ROOT = path.resolve(import.meta.dirname, '../..');
const hasBuiltCli = () => fs.existsSync(path.join(ROOT, 'dist/commands/loop/run.js'));
const runCli = (args: string[]) => execa('node', [path.join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, reject: false, timeout: 110_000 });
const TASKS = [
  { id: 'system/crc32_throughput', declared: 'system_optimization', tamper: { file: 'Makefile', reason: 'build_file_modified' } },
  { id: 'puzzle/blocked_queens', declared: 'puzzle_and_challenge', tamper: { file: 'main.c', reason: 'protected_file_modified' } },
  { id: 'model/curve_fit_c', declared: 'model_development', tamper: { file: 'fit.h', reason: 'protected_file_modified' } },
];

describe('AutoLab-layout tasks load unchanged', () => {
  it('maps every AutoLab domain name (autolabhq/autolab v1.1 task.toml files)', () => {
    expect(HARBOR_DOMAINS).toMatchObject({ system_optimization: 'system', puzzle_and_challenge: 'puzzle', model_development: 'model', cuda: 'kernel' });
  });

  for (const t of TASKS) {
    it(`${t.id}: Harbor kind, declared domain kept, Dockerfile tools required`, () => {
      const task = loadTask(resolveTaskDir(t.id));
      expect(task.kind).toBe('harbor');
      expect(task.harbor?.declaredDomain).toBe(t.declared);
      expect(task.requires).toEqual(expect.arrayContaining(['bash', 'make', 'python3']));
      expect(task.harbor?.dockerfile?.orig.length).toBeGreaterThan(0);
    });
  }

  it('derives /orig from the Dockerfile: bare hashes, sha256sum -c lists and copies, from the original environment', () => {
    const task = loadTask(resolveTaskDir('system/crc32_throughput'));
    const out = fs.mkdtempSync('/tmp/agentdyno-orig-');
    try {
      expect(materializeOrig(task.harbor!.dockerfile!, task.environmentDir, out)).toEqual([]);
      const bare = fs.readFileSync(path.join(out, 'build_file.sha256'), 'utf8').trim();
      expect(bare).toMatch(/^[0-9a-f]{64}$/);
      expect(fs.readFileSync(path.join(out, 'protected.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}\/app\/main\.c\n[0-9a-f]{64} {2}\/app\/solve\.h\n$/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('lists what it cannot derive (a hash of a file the image generates) instead of skipping silently', () => {
    const info = parseDockerfile('FROM x\nCOPY a.c /app/a.c\nRUN python3 gen.py > /tmp/datagen.py && \\\n    sha256sum /tmp/datagen.py | awk \'{print $1}\' > /orig/datagen.sha256\nRUN cp -r /app /orig/app\n');
    expect(info.orig.map((o) => o.dest)).toEqual(['/orig/datagen.sha256', '/orig/app']);
    expect(info.notReplayed).toEqual(['python3 gen.py > /tmp/datagen.py']);
    const env = fs.mkdtempSync('/tmp/agentdyno-env-');
    const out = fs.mkdtempSync('/tmp/agentdyno-orig-');
    try {
      fs.writeFileSync(path.join(env, 'a.c'), 'int x;\n');
      expect(materializeOrig(info, env, out)).toEqual([expect.stringContaining('/orig/datagen.sha256')]);
      expect(fs.readFileSync(path.join(out, 'app', 'a.c'), 'utf8')).toBe('int x;\n');
    } finally {
      fs.rmSync(env, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

async function evalWith(id: string, change?: { file: string }): Promise<Evaluation> {
  const task = loadTask(resolveTaskDir(id));
  const ws = Workspace.create(task.environmentDir);
  try {
    if (change) fs.appendFileSync(path.join(ws.dir, change.file), '\n/* one-line edit */\n'.replace('/*', change.file === 'Makefile' ? '#' : '/*').replace(' */', change.file === 'Makefile' ? '' : ' */'));
    prepareWorkspaceOwner(ws.dir, 'bwrap');
    return await evaluate(task, ws, { sandbox: 'bwrap', harness: harnessHashes(task.environmentDir, task.editable, false), seed: 1, warmup: 0, repeats: 1 });
  } finally {
    ws.remove();
  }
}

describe.skipIf(!hasBwrap)('AutoLab-layout tasks run unchanged under bwrap, integrity gate working', () => {
  for (const t of TASKS) {
    it(`${t.id}: the environment passes; a one-line edit of ${t.tamper.file} fails with the verifier's reason "${t.tamper.reason}"`, async () => {
      const ok = await evalWith(t.id);
      expect(ok.status).toBe('ok');
      expect(ok.verifier?.reason).toBeNull();
      const bad = await evalWith(t.id, { file: t.tamper.file });
      expect(bad.status).toBe('harness_modified');
      expect(bad.verifier?.reason).toBe(t.tamper.reason);
      expect(bad.reason).toContain(t.tamper.reason);
      // The verifier's own stderr (it writes FAIL: ... with tee /dev/stderr as uid 65534) is kept.
      expect(bad.steps.at(-1)?.output).toContain(`FAIL: ${t.tamper.reason}`);
    }, 90_000);
  }

  it.skipIf(!hasBuiltCli())('loop run shows the verifier\'s reason for a modified protected file', async () => {
    const script = path.join(fs.mkdtempSync('/tmp/agentdyno-script-'), 'steps.json');
    const task = loadTask(resolveTaskDir('system/crc32_throughput'));
    const mk = fs.readFileSync(path.join(task.environmentDir, 'Makefile'), 'utf8');
    fs.writeFileSync(script, JSON.stringify([{ files: { Makefile: `${mk}# faster?\n` } }, { stop: true }]));
    const db = path.join(path.dirname(script), 'a.db');
    const r = await runCli(['loop', 'run', '--task', 'system/crc32_throughput', '--agent', 'scripted', '--script', script, '--iterations', '2', '--db', db]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/iteration 1: harness_modified: verifier: build_file_modified/);
    expect(r.stdout).toContain('FAIL: build_file_modified');
    // The store keeps the verifier's reason and its stderr with the iteration.
    const store = openStore(db);
    try {
      const run = store.listRuns({ kind: 'loop' })[0];
      const it1 = store.getLoopIterations(run.id).find((x) => x.iteration === 1)!;
      const detail = it1.detail as { reason: string; verifier: { reason: string }; steps: { output: string }[] };
      expect(it1.status).toBe('harness_modified');
      expect(detail.reason).toBe('verifier: build_file_modified');
      expect(detail.verifier.reason).toBe('build_file_modified');
      expect(detail.steps.at(-1)?.output).toContain('FAIL: build_file_modified');
    } finally {
      store.close();
    }
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }, 120_000);
});
