/** What replay can do, checked before any load (src/trajectory/limits.ts) and the linear tree check. */
import { describe, expect, it } from 'vitest';
import { LIMITS, limitProblems, nestingProblem, parseTrajectoryText, semanticProblems, spawnDepthProblem, validateTrajectory, type Trajectory } from '../../src/trajectory/index.js';

const llm = (input = 100, output = 10) => ({ type: 'llm' as const, input_tokens: input, output_tokens: output });
const traj = (agents: Trajectory['agents']): Trajectory => ({ format: 'agentdyno.trajectory.v1', id: 't', source: { kind: 'synthetic' }, agents }) as Trajectory;

/** A spawn chain `depth` deep: a0 spawns a1 spawns a2 ... */
function chain(depth: number): Trajectory {
  const agents: Trajectory['agents'] = [];
  for (let i = 0; i <= depth; i++) {
    const steps: any[] = [llm()];
    if (i < depth) steps.push({ type: 'spawn', agents: [`a${i + 1}`], join: 'all' });
    agents.push({ id: `a${i}`, parent: i === 0 ? null : `a${i - 1}`, system_prompt_tokens: 10, steps });
  }
  return traj(agents);
}

describe('limits', () => {
  it('token counts past the absolute caps are located E_TRAJECTORY_LIMIT problems', () => {
    const t = traj([{ id: 'main', parent: null, system_prompt_tokens: 10, steps: [llm(1e12, 10), llm(100, 1e9), { type: 'tool', name: 'x', duration_ms: 1e15, result_tokens: 1e11, status: 'ok' } as any] }]);
    const ps = limitProblems(t);
    expect(ps.map((p) => p.path)).toEqual(['$.agents[0].steps[0].input_tokens', '$.agents[0].steps[1].output_tokens', '$.agents[0].steps[2].duration_ms', '$.agents[0].steps[2].result_tokens']);
    expect(ps.every((p) => p.code === 'E_TRAJECTORY_LIMIT')).toBe(true);
    expect(limitProblems(traj([{ id: 'main', parent: null, system_prompt_tokens: 10, steps: [llm(LIMITS.maxPromptTokens, LIMITS.maxOutputTokens)] }]))).toEqual([]);
  });

  it("calls past the target's max_model_len", () => {
    const t = traj([{ id: 'main', parent: null, system_prompt_tokens: 10, steps: [llm(4000, 100), llm(8000, 200)] }]);
    expect(limitProblems(t, { maxModelLen: 8192 }).map((p) => p.path)).toEqual(['$.agents[0].steps[1].input_tokens']);
    expect(limitProblems(t, { maxModelLen: null })).toEqual([]);
  });

  it('nesting: a 100,000-deep value is one located problem, not a stack overflow', () => {
    let v: any = {};
    for (let i = 0; i < 100_000; i++) v = { c: v };
    const p = nestingProblem({ agents: [{ steps: [{ content: v }] }] });
    expect(p?.code).toBe('E_TRAJECTORY_LIMIT');
    expect(p?.path.startsWith('$.agents[0].steps[0].content.c.c')).toBe(true);
    expect(nestingProblem({ a: [[[1]]] })).toBeNull();
  });

  it('deeply nested content in a file is refused with its line, before the schema check sees it', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const row = `{"format":"agentdyno.trajectory.v1","id":"d","source":{"kind":"synthetic"},"agents":[{"id":"main","parent":null,"system_prompt_tokens":1,"steps":[{"type":"llm","input_tokens":5,"output_tokens":1,"content":{"x":${deep}}}]}]}`;
    const r = parseTrajectoryText(`\n${row}\n`, 'deep.jsonl');
    expect(r.trajectories).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ file: 'deep.jsonl', line: 2, code: 'E_TRAJECTORY_LIMIT' });
  });

  it('spawn depth: a 20,000-deep chain is refused in linear time', () => {
    const t = chain(20_000);
    expect(spawnDepthProblem(t)?.path).toBe('$.agents[20000].parent');
    expect(spawnDepthProblem(chain(LIMITS.maxSpawnDepth))).toBeNull();
  });
});

describe('tree check (linear, iterative)', () => {
  it('a 20,000-deep valid chain validates (no hang, no stack overflow) and is then refused by the depth limit', () => {
    const t = chain(20_000);
    expect(validateTrajectory(t)).toEqual([]);
    expect(limitProblems(t).map((p) => p.path)).toEqual(['$.agents[20000].parent']);
  });

  it('a 20,000-long parent cycle is found once', () => {
    const t = chain(20_000);
    t.agents[0].parent = 'a20000';
    const ps = semanticProblems(t).filter((p) => p.message.startsWith('cycle'));
    expect(ps).toHaveLength(1);
    expect(ps[0].path).toBe('$.agents[0].parent');
  });

  it('a trajectory with no llm step is refused', () => {
    const t = traj([{ id: 'main', parent: null, system_prompt_tokens: 10, steps: [{ type: 'think', duration_ms: 5 } as any] }]);
    expect(validateTrajectory(t)).toEqual([{ path: '$.agents', message: expect.stringMatching(/no llm step/) }]);
  });
});
