import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harborUnrunnable, reasonClass, verdict } from '../../src/loop/index.js';
import { HARBOR_VERIFIER, loadTask, namedPaths, parseRewardJson } from '../../src/task/index.js';

const FX = path.resolve('test/fixtures/loop/harbor/prime_count_c');
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of the fixture with task.toml edited by `edit`. */
function variant(edit: (toml: string) => string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agentdyno-hfx-')), 'prime_count_c');
  tmp.push(path.dirname(dir));
  fs.cpSync(FX, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'task.toml'), edit(fs.readFileSync(path.join(dir, 'task.toml'), 'utf8')));
  return dir;
}

describe('Harbor task loader', () => {
  it('loads a task.toml without [agentdyno] as a Harbor task', () => {
    const t = loadTask(FX);
    expect(t.kind).toBe('harbor');
    expect(t.id).toBe('system/prime_count_c');
    expect(t.harbor?.declaredDomain).toBe('system-opt');
    expect(t.domain).toBe('system');
    expect(t.direction).toBe('lower');
    expect(t.metric).toBe('runtime_seconds');
    expect(t.baseline.score).toBe(0.08);
    expect(t.reference.score).toBe(0.004);
    expect(t.scoring).toBe('log-speedup');
    expect(t.verifierTimeoutSec).toBe(60);
    expect(t.agentTimeoutSec).toBe(600);
    expect(t.wallBudgetSec).toBe(600); // [agent] timeout_sec is the agent's wall budget
    expect(t.environment).toMatchObject({ cpus: 1, memoryMb: 1024, gpus: 0, allowInternet: false });
    expect(t.editable).toEqual(['**']);
    expect(t.params).toEqual({});
    expect(t.check).toBe(HARBOR_VERIFIER);
    expect(t.repeats).toBe(3);
    expect(t.requires).toEqual(['bash']);
    expect(t.harbor?.pathsNamed).toEqual(['/app', '/tests', '/logs']);
  });

  it('keeps our own tasks as kind agentdyno', () => {
    expect(loadTask('tasks/kernel/matmul-c').kind).toBe('agentdyno');
  });

  it('reports unknown domains, bad fields and a missing verifier by file and key', () => {
    const dir = variant((s) => s.replace('domain = "system-opt"', 'domain = "astrology"').replace('direction = "lower"', 'direction = "down"').replace('memory_mb = 1024', 'memory_mb = "lots"').replace('[optimization.reference]\nscore = 0.004', '[optimization.reference]\nscore = "fast"'));
    fs.rmSync(path.join(dir, 'tests', 'test.sh'));
    let msg = '';
    try {
      loadTask(dir);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/task\.toml: \[metadata\]\.domain: "astrology" is not a domain we know \(Harbor task: system_optimization → system, puzzle_and_challenge → puzzle, model_development → model/);
    expect(msg).toContain('task.toml: [optimization].direction: expected "lower" or "higher", got "down"');
    expect(msg).toContain('task.toml: [environment].memory_mb: expected a number, got "lots"');
    expect(msg).toContain('task.toml: [optimization.reference].score: expected a number');
    expect(msg).toContain('tests/test.sh: missing');
  });

  it('maps the other AutoLab domains and requires a GPU when gpus > 0', () => {
    const t = loadTask(variant((s) => s.replace('domain = "system-opt"', 'domain = "model-dev"').replace('gpus = 0', 'gpus = 1')));
    expect(t.domain).toBe('model');
    expect(t.scoring).toBe('linear');
    expect(t.requires).toContain('gpu');
    expect(loadTask(variant((s) => s.replace('domain = "system-opt"', 'domain = "cuda"'))).domain).toBe('kernel');
    // AutoLab's own spellings (autolabhq/autolab v1.1 task.toml files).
    for (const [declared, ours] of [['system_optimization', 'system'], ['puzzle_and_challenge', 'puzzle'], ['model_development', 'model']]) {
      const t2 = loadTask(variant((s) => s.replace('domain = "system-opt"', `domain = "${declared}"`)));
      expect([t2.domain, t2.harbor?.declaredDomain]).toEqual([ours, declared]);
    }
  });
});

describe('Harbor verdicts (pure)', () => {
  const ok = { timedOut: false, failure: null, exitCode: 0 };
  it('reads reward.json and classes failure reasons', () => {
    expect(parseRewardJson('{"reward": 0.31, "correctness": true, "metric": 0.004, "speedup": 20.1}')).toEqual({ reward: 0.31, correctness: true, metric: 0.004, speedup: 20.1, reason: null });
    expect(parseRewardJson('not json')).toBeNull();
    expect(verdict(ok, parseRewardJson('{"reward": 0.0, "reason": "build_file_modified"}'))).toEqual({ failure: 'harness_modified', reason: 'build_file_modified' });
    expect(verdict(ok, parseRewardJson('{"reward": 0.0, "correctness": false}'))).toEqual({ failure: 'wrong_answer', reason: 'incorrect' });
    expect(verdict(ok, parseRewardJson('{"reward": 0.0, "correctness": true, "metric": 0.2, "speedup": 0.4}')).failure).toBeNull();
    expect(verdict(ok, null).failure).toBe('measure_error');
    expect(verdict(ok, parseRewardJson('{"reward": 0.5}')).failure).toBe('measure_error');
    expect(verdict({ timedOut: true, failure: 'timeout', exitCode: null }, null).failure).toBe('timeout');
    expect(reasonClass('build_failed')).toBe('build_error');
  });

  it('without bwrap, refuses verifiers that name /app; a verifier using only LOGS_DIR may run', () => {
    expect(namedPaths('cd /app && make\necho > ${LOGS_DIR:-/logs}/verifier/reward.json')).toEqual(['/app']);
    expect(namedPaths('make -s\necho > "${LOGS_DIR:-/logs}/verifier/reward.json"')).toEqual([]);
    const t = loadTask(FX);
    expect(harborUnrunnable(t, 'none (unsafe)')).toMatch(/tests\/test\.sh uses \/app, \/tests, \/logs, which only the bubblewrap sandbox provides/);
    expect(harborUnrunnable(t, 'bwrap')).toBeNull();
  });
});
