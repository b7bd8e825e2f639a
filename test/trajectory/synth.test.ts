import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { llmTurnCount, loadTrajectories, rootAgent, synthesize, synthesizeJsonl, trajectoryStats, validateTrajectory } from '../../src/trajectory/index.js';

// The bundled file is `agentdyno trajectories synth --seed 1 --count 32 --out trajectories/synthetic-v1.jsonl`.
const BUNDLED = 'trajectories/synthetic-v1.jsonl';

describe('synthesize', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(synthesizeJsonl({ seed: 11, count: 6 })).toBe(synthesizeJsonl({ seed: 11, count: 6 }));
    expect(synthesizeJsonl({ seed: 12, count: 6 })).not.toBe(synthesizeJsonl({ seed: 11, count: 6 }));
  });

  it('produces valid trajectories labelled as synthetic', () => {
    const ts = synthesize({ seed: 5, count: 10 });
    for (const t of ts) {
      expect(validateTrajectory(t)).toEqual([]);
      expect(t.source).toMatchObject({ kind: 'synthetic', estimated: ['tokens', 'timings'], seed: 5 });
    }
  });

  it('rejects bad seeds and counts', () => {
    expect(() => synthesize({ seed: -1, count: 1 })).toThrow('seed must be a non-negative integer');
    expect(() => synthesize({ seed: 1, count: 0 })).toThrow('count must be a positive integer');
  });
});

describe('bundled set trajectories/synthetic-v1.jsonl', () => {
  const text = readFileSync(BUNDLED, 'utf8');
  const ts = loadTrajectories([BUNDLED]).map((l) => l.trajectory);

  it('is exactly what the documented command generates', () => {
    expect(text).toBe(synthesizeJsonl({ seed: 1, count: 32 }));
    expect(readFileSync('trajectories/README.md', 'utf8')).toContain('agentdyno trajectories synth --seed 1 --count 32 --out trajectories/synthetic-v1.jsonl');
  });

  it('meets the shape constraints', () => {
    expect(ts.length).toBeGreaterThanOrEqual(24);
    expect(new Set(ts.map((t) => t.labels?.language)).size).toBeGreaterThanOrEqual(6);
    for (const t of ts) {
      const main = rootAgent(t);
      const turns = llmTurnCount(t, main.id);
      expect(turns, t.id).toBeGreaterThanOrEqual(10);
      expect(turns, t.id).toBeLessThanOrEqual(80);
      const maxCtx = Math.max(...main.steps.map((s) => (s.type === 'llm' ? s.input_tokens : 0)));
      expect(maxCtx, t.id).toBeGreaterThanOrEqual(30_000);
      expect(maxCtx, t.id).toBeLessThanOrEqual(120_000);
      const tools = t.agents.flatMap((a) => a.steps.filter((s) => s.type === 'tool'));
      expect(tools.length, t.id).toBeGreaterThan(0);
      for (const s of tools) expect(s.type === 'tool' && s.duration_ms > 0).toBe(true);
    }
    const joins = ts.flatMap((t) => t.agents.flatMap((a) => a.steps.flatMap((s) => (s.type === 'spawn' ? [s.join] : []))));
    expect(joins).toContain('all');
    expect(joins).toContain('none');
    expect(ts.some((t) => t.agents.some((a) => a.steps.some((s) => s.type === 'llm' && s.block_size === 512 && s.hash_ids)))).toBe(true);
    expect(ts.some((t) => t.agents[0].steps.some((s) => s.type === 'think'))).toBe(true);
  });

  it('follows the published AgentPerf shape (DESIGN 1)', () => {
    const s = trajectoryStats(ts);
    expect(s.outputTokens.p50).toBeGreaterThan(100);
    expect(s.outputTokens.p50).toBeLessThan(220);
    expect(s.outputTokens.p95).toBeGreaterThan(1200);
    expect(s.outputTokens.p95).toBeLessThan(3000);
    expect(s.inputTokens.mean).toBeGreaterThan(20_000);
    expect(s.inputTokens.mean).toBeLessThan(35_000);
    expect(s.inputTokens.max).toBeLessThanOrEqual(131_000);
    expect(s.contextStartTokens.min).toBeGreaterThan(2_000);
    expect(s.prefixReuseRatio).toBeGreaterThan(0.9);
    expect(s.fanOut.maxWidth).toBeLessThanOrEqual(4);
  });
});
