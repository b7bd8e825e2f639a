import { describe, expect, it } from 'vitest';
import { dutyCycle, llmTurnCount, loadTrajectories, rootAgent, trajectoryStats, walkAgent } from '../../src/trajectory/index.js';

// Hand-computed numbers for test/fixtures/trajectory/good/tiny.jsonl (defaults: 50 tok/s decode, 5000 tok/s prefill).
const [a, b] = loadTrajectories(['test/fixtures/trajectory/good/tiny.jsonl']).map((l) => l.trajectory);

describe('walk helpers', () => {
  it('finds the root and counts LLM turns', () => {
    expect(rootAgent(b).id).toBe('main');
    expect(llmTurnCount(a)).toBe(3);
    expect(llmTurnCount(b)).toBe(4);
    expect(llmTurnCount(b, 'main')).toBe(2);
  });

  it('splits each prompt into prefix and new input, saying where the prefix came from', () => {
    const w = walkAgent(b, 'main').filter((s) => s.step.type === 'llm');
    expect(w.map((s) => [s.llmTurn, s.prefixTokens, s.prefixSource, s.uncachedInputTokens, s.newInputTokens])).toEqual([
      [0, 1000, 'cached_tokens', 500, 500], // implied: system prompt 1000 of 1500
      [1, 1600, 'new_input_tokens', 400, 400],
    ]);
    const s1 = walkAgent(b, 's1');
    expect(s1[0].prefixSource).toBe('implied');
    expect(s1[0].prefixTokens).toBe(500);
    expect(s1[1]).toMatchObject({ llmTurn: -1, step: { type: 'tool', name: 'grep' } });
    expect(() => walkAgent(b, 'ghost')).toThrow('has no agent "ghost"');
  });

  it('computes the duty cycle with join: all waiting for the slowest child', () => {
    // main 1: 500/5000 + 100/50 = 2.1 s; s1: 0.06 + 1 + 0.2 tool = 1.26 s; s2: 0.02 + 0.4 = 0.42 s; main 2: 0.08 + 2 = 2.08 s.
    const d = dutyCycle(b);
    expect(d.wallMs).toBeCloseTo(2100 + 1260 + 2080, 6);
    expect(d.modelMs).toBeCloseTo(2100 + 1060 + 420 + 2080, 6);
    expect(d.toolMs).toBe(200);
    expect(d.llmCalls).toBe(4);
    expect(d.modelFraction).toBeCloseTo(5660 / 5860, 9);
    expect(d.meanInFlightRequests).toBeCloseTo(5660 / 5440, 9);
  });

  it('scales tool time, caps gaps, and lets join: none only extend the drain', () => {
    const d = dutyCycle(a, { toolTimeScale: 2, assumedDecodeTokPerS: 100, assumedPrefillTokPerS: 1000, maxGapMs: 1500 });
    // model: (2000+400+300)/1000 + 350/100 = 6.2 s; tools 2000 (capped 1500) + 1000, think 1000.
    expect(d.modelMs).toBeCloseTo(6200, 6);
    expect(d.toolMs).toBe(2500);
    expect(d.thinkMs).toBe(1000);
    expect(d.wallMs).toBeCloseTo(9700, 6);
    const bg = structuredClone(b);
    (bg.agents[0].steps[1] as { join: string }).join = 'none';
    const n = dutyCycle(bg);
    expect(n.rootWallMs).toBeCloseTo(2100 + 2080, 6);
    expect(n.wallMs).toBeCloseTo(2100 + 2080, 6); // children (1.26 s) end before the root does
  });
});

describe('trajectoryStats', () => {
  const s = trajectoryStats([a, b]);

  it('per trajectory', () => {
    expect(s.perTrajectory[0]).toMatchObject({
      id: 'tiny-a', language: 'python', agents: 1, llmTurns: 3, mainTurns: 3,
      contextStartTokens: 2000, contextMaxTokens: 3000, contextGrowthPerTurnTokens: 500,
      outputTokensP50: 100, newInputPerTurnTokensP50: 350, toolMs: 1500, thinkMs: 500, spawns: 0, depth: 0,
    });
    expect(s.perTrajectory[0].outputTokensP95).toBeCloseTo(190, 9);
    expect(s.perTrajectory[0].estimatedLlmMs).toBeCloseTo(7540, 6);
    expect(s.perTrajectory[0].toolTimeShare).toBeCloseTo(2000 / 9540, 9);
    expect(s.perTrajectory[0].prefixReuseRatio).toBeCloseTo(4800 / 7500, 9);
    expect(s.perTrajectory[1]).toMatchObject({ agents: 3, llmTurns: 4, mainTurns: 2, spawns: 1, spawnedAgents: 2, maxFanOut: 2, depth: 1 });
    expect(s.perTrajectory[1].prefixReuseRatio).toBeCloseTo(3600 / 4900, 9);
  });

  it('per set', () => {
    expect(s).toMatchObject({
      trajectories: 2, agents: 4, llmCalls: 7,
      llmTurns: { min: 3, median: 3.5, max: 4 }, mainTurns: { min: 2, median: 2.5, max: 3 },
      contextStartTokens: { min: 1500, median: 1750, max: 2000 }, contextMaxTokens: { min: 2000, median: 2500, max: 3000 },
      contextGrowthPerTurnTokensMedian: 500,
      newInputPerTurnTokens: { p50: 400 },
      fanOut: { trajectoriesWithSpawns: 1, spawns: 1, spawnedAgents: 2, joinAll: 1, joinNone: 0, maxWidth: 2, maxDepth: 1 },
      languages: { python: 1, go: 1 },
    });
    expect(s.inputTokens).toMatchObject({ min: 600, max: 3000, p50: 2000 });
    expect(s.inputTokens.mean).toBeCloseTo(12400 / 7, 9);
    expect(s.outputTokens.p50).toBe(100);
    expect(s.outputTokens.p95).toBeCloseTo(170, 9);
    expect(s.toolTimeShare.aggregate).toBeCloseTo(2200 / 15400, 9);
    expect(s.prefixReuseRatio).toBeCloseTo(8400 / 12400, 9);
    expect(s.llmTimeEstimate).toContain('estimated, not measured');
    expect(s.llmTimeEstimate).toContain('50 tok/s decode');
  });

  it('counts where the set came from and what in it is estimated', () => {
    // The fixture's two trajectories say kind synthetic and mark nothing estimated; relabel one.
    const imported = { ...b, source: { kind: 'import' as const, estimated: ['tokens', 'timings'] } };
    expect(trajectoryStats([a, imported]).provenance).toEqual({ sourceKinds: { synthetic: 1, import: 1 }, estimated: { tokens: 1, timings: 1 } });
    expect(trajectoryStats([a, b]).provenance).toEqual({ sourceKinds: { synthetic: 2 }, estimated: {} });
  });
});
