import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentdynoError } from '../../src/core/index.js';
import { checkTrajectoryFiles, formatFileProblem, loadTrajectories, pointerToPath, validateTrajectory } from '../../src/trajectory/index.js';

const BAD = 'test/fixtures/trajectory/bad/kinds.jsonl';
const at = (line: number, rest: string) => `${BAD}:${line}: ${rest}`;

describe('validation messages', () => {
  const problems = checkTrajectoryFiles([BAD]).problems.map(formatFileProblem);

  it.each([
    [2, '$.agents[0].steps[0].output_tokens: expected a non-negative integer, got -5'],
    [3, '$.agents[0].steps[0].input_tokens: missing required property'],
    [4, '$.agents[0].steps[1].type: expected one of "llm", "tool", "think", "spawn", got "llmm"'],
    [5, '$.agents[0].steps[0].output_tokens: missing required property'],
    [5, '$.agents[0].steps[0].output_token: unknown property (allowed: type, input_tokens, new_input_tokens, output_tokens, cached_tokens, hash_ids, block_size, ttft_ms, duration_ms, offset_ms, estimated, content)'],
    [6, '$.format: expected "agentdyno.trajectory.v1", got "agentdyno.trajectory.v0"'],
    [7, '$.agents[0].steps[1].join: expected one of "all", "none", got "some"'],
    [8, '$.agents[0].steps[0].block_size: required when hash_ids is present'],
    [9, '$.agents[2].id: duplicate agent id "s1" (first at $.agents[1])'],
    [10, '$.agents[1].parent: unknown agent "nobody"'],
    [11, '$.agents[0].steps[1].agents[0]: unknown agent "ghost"'],
    [12, '$.agents[0].steps[1].agents[0]: agent "s2" has parent "s1", not the spawner "main"'],
    [12, '$.agents[1]: agent "s1" is never spawned: add it to a spawn step of its parent "main"'],
    [13, '$.agents: no root agent: exactly one agent must have "parent": null'],
    [13, '$.agents[0].parent: cycle in parent chain: a -> b -> a'],
    [14, '$.agents[1].parent: second root agent: only $.agents[0] may have "parent": null'],
    [15, '$.agents[0].steps[0].cached_tokens: 150 exceeds input_tokens 100'],
    [16, '$.agents[0].steps[0].new_input_tokens: 101 exceeds input_tokens 100'],
    [17, '$: invalid JSON: Unexpected end of JSON input'],
    [18, '$.agents[0].steps[1].duration_ms: expected a non-negative number, got "12"'],
  ])('line %i: %s', (line, rest) => {
    expect(problems).toContain(at(line, rest));
  });

  it('reports nothing for the valid line and exactly the expected count overall', () => {
    expect(problems.filter((p) => p.startsWith(`${BAD}:1:`))).toEqual([]);
    expect(problems).toHaveLength(20);
  });

  it('does not repeat a problem for type and minimum on one value', () => {
    const base = { format: 'agentdyno.trajectory.v1', id: 'x', source: { kind: 'synthetic' } };
    const p = validateTrajectory({ ...base, agents: [{ id: 'm', parent: null, system_prompt_tokens: 1.5, steps: [{ type: 'think', duration_ms: -1 }] }] });
    expect(p).toEqual([
      { path: '$.agents[0].system_prompt_tokens', message: 'expected a non-negative integer, got 1.5' },
      { path: '$.agents[0].steps[0].duration_ms', message: 'expected a non-negative number, got -1' },
    ]);
  });

  it('flags hash_ids longer than the prompt can hold', () => {
    const t = { format: 'agentdyno.trajectory.v1', id: 'x', source: { kind: 's' }, agents: [{ id: 'm', parent: null, system_prompt_tokens: 0, steps: [{ type: 'llm', input_tokens: 600, output_tokens: 1, hash_ids: [1, 2, 3], block_size: 512 }] }] };
    expect(validateTrajectory(t)).toEqual([{ path: '$.agents[0].steps[0].hash_ids', message: '3 blocks of 512 tokens is more than input_tokens 600 can hold' }]);
  });

  it('converts JSON pointers to $-paths', () => {
    expect(pointerToPath('')).toBe('$');
    expect(pointerToPath('/agents/0/steps/12')).toBe('$.agents[0].steps[12]');
    expect(pointerToPath('/labels/a~1b', 'x-y')).toBe('$.labels["a/b"]["x-y"]');
  });
});

describe('loadTrajectories rejects before loading', () => {
  it('throws one AgentdynoError listing the first 20 problems and the count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traj-'));
    const good = JSON.parse(readLine('test/fixtures/trajectory/good/tiny.jsonl'));
    const lines = [JSON.stringify({ ...good, id: 'copy-ok' })];
    for (let i = 0; i < 25; i++) lines.push(JSON.stringify({ ...good, id: `bad-${i}`, format: 'nope' }));
    writeFileSync(join(dir, 'many.jsonl'), lines.join('\n'));
    let err: unknown;
    try {
      loadTrajectories([dir, 'test/fixtures/trajectory/good']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AgentdynoError);
    const msg = (err as Error).message;
    expect(msg).toContain('25 problems in 1 of 4 trajectory files; nothing was loaded:');
    expect(msg).toContain(`${join(dir, 'many.jsonl')}:2: $.format: expected "agentdyno.trajectory.v1", got "nope"`);
    expect(msg).toContain(`${join(dir, 'many.jsonl')}:21: $.format`);
    expect(msg).not.toContain(`${join(dir, 'many.jsonl')}:22: $.format`);
    expect(msg).toContain('… and 5 more problems');
  });
});

function readLine(file: string): string {
  return checkTrajectoryFiles([file]).trajectories.map((t) => JSON.stringify(t.trajectory))[0];
}
