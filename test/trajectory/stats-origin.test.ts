import { describe, expect, it } from 'vitest';
import { importFiles, trajectoryStats, type Trajectory } from '../../src/trajectory/index.js';
import { renderStats } from '../../src/commands/trajectories/stats.js';

describe('trajectories stats: recorded vs estimated, deep trees', () => {
  it('splits every token and wait column into recorded and estimated figures', () => {
    const rec = importFiles('aa-replay', ['test/fixtures/importers/aa-replay/traces/task_k8s_debugging.jsonl']).trajectories;
    const est = importFiles('aa-replay', ['test/fixtures/importers/aa-mini-library-01.jsonl']).trajectories;
    const s = trajectoryStats([...rec, ...est]);
    expect(s.origin.inputTokens).toEqual({ recordedCalls: 2, estimatedCalls: 3 });
    expect(s.origin.outputTokens).toEqual({ recordedCalls: 2, estimatedCalls: 3 });
    expect(s.origin.waits).toEqual({ recorded: 5, estimated: 0 });
    const text = renderStats(s, false);
    expect(text).toMatch(/input tokens per call.*recorded 2, ESTIMATED 3 calls/);
    expect(text).toMatch(/tool\+think share.*LLM time ESTIMATED/);
  });

  it('a trajectory without per-step labels falls back to its source.estimated', () => {
    const t: Trajectory = { format: 'agentdyno.trajectory.v1', id: 's', source: { kind: 'synthetic', estimated: ['tokens', 'timings'] }, agents: [{ id: 'main', parent: null, system_prompt_tokens: 0, steps: [{ type: 'llm', input_tokens: 10, output_tokens: 1 }, { type: 'tool', name: 'x', duration_ms: 5 }, { type: 'llm', input_tokens: 20, output_tokens: 1 }] }] };
    expect(trajectoryStats([t]).origin).toMatchObject({ inputTokens: { recordedCalls: 0, estimatedCalls: 2 }, waits: { recorded: 0, estimated: 1 } });
  });

  it('a 2,000-deep sub-agent chain: no stack overflow, depth counted', () => {
    const n = 2000;
    const agents = Array.from({ length: n }, (_, i) => ({
      id: `a${i}`, parent: i === 0 ? null : `a${i - 1}`, system_prompt_tokens: 0,
      steps: [{ type: 'llm' as const, input_tokens: 10, output_tokens: 1 }, ...(i < n - 1 ? [{ type: 'spawn' as const, agents: [`a${i + 1}`], join: 'all' as const }] : [])],
    }));
    const s = trajectoryStats([{ format: 'agentdyno.trajectory.v1', id: 'deep', source: { kind: 'synthetic' }, agents }]);
    expect(s.fanOut.maxDepth).toBe(n - 1);
    expect(s.llmCalls).toBe(n);
  });
});
