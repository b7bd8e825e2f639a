/**
 * Malformed input gets a located error (file, line or JSON path, what to do) with code
 * E_IMPORT_FORMAT, and a hint naming the importer that fits when the content is another known format.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentdynoError } from '../../../src/core/index.js';
import { importFiles, sniffFormat, validateTrajectory, type Trajectory } from '../../../src/trajectory/index.js';

const F = 'test/fixtures/importers';
const tmp = () => mkdtempSync(join(tmpdir(), 'imp-bad-'));

function caught(fn: () => unknown): AgentdynoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AgentdynoError);
    return e as AgentdynoError;
  }
  throw new Error('expected an error');
}

describe('wrong importer for the content: the hint names the one that fits', () => {
  const cases: [string, string, string][] = [
    ['codex', `${F}/mooncake-conversation-trace.jsonl`, 'mooncake'],
    ['mooncake', `${F}/aa-replay/traces/task_k8s_debugging.jsonl`, 'aa-replay'],
    ['weka', `${F}/swe-agent/swe-agent__test-repo-i1.traj`, 'swe-agent'],
    ['swe-agent', `${F}/weka-sample-trace.json`, 'weka'],
    ['aa-replay', `${F}/claude-code/agent-a44c06181169aa067.jsonl`, 'claude-code'],
    ['claude-code', `${F}/codex-rollout.jsonl`, 'codex'],
    ['openhands', `${F}/mini-swe-agent-local.traj.json`, 'mini-swe-agent'],
    ['mini-swe-agent', `${F}/openhands-basic.json`, 'openhands'],
    ['weka', `${F}/harbor/trajectory.json`, 'harbor'],
  ];
  for (const [wrong, file, right] of cases) {
    it(`${wrong} on a ${right} file`, () => {
      expect(sniffFormat(readFileSync(file, 'utf8'))).toBe(right);
      const e = caught(() => importFiles(wrong, [file]));
      expect(e.code).toBe('E_IMPORT_FORMAT');
      expect(e.message).toContain(file);
      expect(e.hint).toContain(`agentdyno import ${right} ${file}`);
    });
  }
});

describe('located errors', () => {
  it('a truncated last line: file and line, says truncated', () => {
    const d = tmp();
    const f = join(d, 'cut.jsonl');
    const txt = readFileSync(`${F}/aa-replay/traces/task_k8s_debugging.jsonl`, 'utf8');
    writeFileSync(f, txt.slice(0, txt.length - 200));
    const e = caught(() => importFiles('aa-replay', [f]));
    expect(e.code).toBe('E_IMPORT_FORMAT');
    expect(e.message).toMatch(new RegExp(`${f.replace(/[/.]/g, '\\$&')}:2: \\$: not valid JSON.*truncated`));
    expect(e.where).toBe(`${f}:2`);
  });

  it('an unknown field: its JSON path, and which fields are known', () => {
    const d = tmp();
    const f = join(d, 'x.jsonl');
    const rows = readFileSync(`${F}/aa-replay/traces/task_k8s_debugging.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    rows[1].recorded_cache_tokens = 12;
    writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const e = caught(() => importFiles('aa-replay', [f]));
    expect(e.message).toContain(`${f}:2: $.recorded_cache_tokens: unknown field (known: version,`);
  });

  it('weka: the _start_ts of the documented sample is known; a really unknown field is named', () => {
    expect(importFiles('weka', [`${F}/weka-sample-trace.json`]).trajectories).toHaveLength(1);
    const d = tmp();
    const doc = JSON.parse(readFileSync(`${F}/weka-sample-trace.json`, 'utf8'));
    doc.requests[2].cache_hit = 0.9;
    writeFileSync(join(d, 'w.json'), JSON.stringify(doc));
    expect(caught(() => importFiles('weka', [join(d, 'w.json')])).message).toContain('$.requests[2].cache_hit: unknown field');
  });

  it('--skip-bad keeps the reason even when every entry is skipped', () => {
    const d = tmp();
    const doc = JSON.parse(readFileSync(`${F}/weka-sample-trace.json`, 'utf8'));
    doc.requests[0].in = -1;
    writeFileSync(join(d, 'w.json'), JSON.stringify(doc));
    const e = caught(() => importFiles('weka', [join(d, 'w.json')], { skipBad: true }));
    expect(e.message).toContain('every entry was skipped');
    expect(e.message).toContain('$.requests[0].in: expected a non-negative number, got -1 (whole file skipped)');
  });

  it('--skip-bad lists each skipped entry with its reason and imports the rest', () => {
    const d = tmp();
    const f = join(d, 'm.jsonl');
    const rows = readFileSync(`${F}/mooncake-conversation-trace.jsonl`, 'utf8').trim().split('\n');
    rows[3] = rows[3].replace('"input_length": ', '"input_length": -');
    rows[5] = rows[5].slice(0, 20);
    writeFileSync(f, rows.join('\n') + '\n');
    const r = importFiles('mooncake', [f], { skipBad: true });
    expect(r.skipped.map((p) => [p.line, p.field])).toEqual([[4, '$.input_length'], [6, '$']]);
    expect(r.trajectories.flatMap((t) => t.agents[0].steps.filter((s) => s.type === 'llm'))).toHaveLength(10);
  });

  it('aa-replay manifest: totals that disagree with the traces are named', () => {
    const d = tmp();
    const man = JSON.parse(readFileSync(`${F}/aa-replay/manifest.json`, 'utf8'));
    man.tasks[0].model_calls = 5;
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(man));
    const e = caught(() => importFiles('aa-replay', [join(d, 'manifest.json')]));
    expect(e.message).toContain('$.tasks[0].trace');
    copyFileSync(`${F}/aa-replay/traces/task_k8s_debugging.jsonl`, join(d, 'task_k8s_debugging.jsonl'));
    man.tasks[0].trace = 'task_k8s_debugging.jsonl';
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(man));
    expect(caught(() => importFiles('aa-replay', [join(d, 'manifest.json')])).message).toContain('$.tasks[0].model_calls: manifest says 5 model calls');
  });

  it('aa-replay: recorded_total_tokens that is not prompt + completion is rejected on its line', () => {
    const d = tmp();
    const rows = readFileSync(`${F}/aa-replay/traces/task_k8s_debugging.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    rows[0].recorded_total_tokens = 1;
    writeFileSync(join(d, 't.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    expect(caught(() => importFiles('aa-replay', [join(d, 't.jsonl')])).message).toContain(':1: $.recorded_total_tokens: 1 is not');
  });
});

describe('validation rejects structurally impossible trajectories, located', () => {
  const base = (): Trajectory => ({
    format: 'agentdyno.trajectory.v1', id: 't', source: { kind: 'synthetic' },
    agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: [{ type: 'llm', input_tokens: 500, output_tokens: 10 }] }],
  });
  it('a system prompt larger than the first prompt that contains it', () => {
    const t = base();
    t.agents[0].system_prompt_tokens = 600;
    expect(validateTrajectory(t)).toEqual([{ path: '$.agents[0].system_prompt_tokens', message: expect.stringContaining('$.agents[0].steps[0].input_tokens = 500') }]);
  });
  it('cached tokens above the input', () => {
    const t = base();
    (t.agents[0].steps[0] as { cached_tokens?: number }).cached_tokens = 501;
    expect(validateTrajectory(t)).toEqual([{ path: '$.agents[0].steps[0].cached_tokens', message: '501 exceeds input_tokens 500' }]);
  });
  it('the per-step estimated labels and arrival fields are part of the schema', () => {
    const t = base();
    t.arrival_ms = 1500;
    Object.assign(t.agents[0].steps[0], { estimated: ['input_tokens'], offset_ms: 0 });
    t.agents[0].model = 'm';
    expect(validateTrajectory(t)).toEqual([]);
  });
});
