import { describe, expect, it } from 'vitest';
import { dutyCycle, LaneProgram, type ProgramAction, type Trajectory } from '../../src/trajectory/index.js';

/** A chain: agent a0 spawns a1 (join all) which spawns a2 ... down to depth `n`; each makes one call after its child. */
function chain(n: number, join: 'all' | 'none' = 'all'): Trajectory {
  const agents = Array.from({ length: n + 1 }, (_, i) => ({
    id: `a${i}`,
    parent: i === 0 ? null : `a${i - 1}`,
    system_prompt_tokens: 10,
    steps: [...(i < n ? [{ type: 'spawn' as const, agents: [`a${i + 1}`], join }] : []), { type: 'llm' as const, input_tokens: 100, output_tokens: 10 }],
  }));
  return { format: 'agentdyno.trajectory.v1', id: 'chain', source: { kind: 'synthetic' }, agents };
}

/** Drive a program to the end of its first tree: each call takes 1 ms, waits end on time. */
function drive(t: Trajectory): { calls: string[]; endMs: number } {
  const p = new LaneProgram({ lane: 0, seed: 1, trajectories: [t], toolTimeScale: 1, maxIdleGapMs: null, midStart: false, errorPauseMs: 0, recycle: false });
  const calls: string[] = [];
  let now = 0;
  let queue: ProgramAction[] = p.start(0);
  while (queue.length) {
    const next: ProgramAction[] = [];
    now += 1;
    for (const a of queue) {
      if (a.kind === 'call') {
        calls.push(a.agent.agent.id);
        next.push(...p.callDone(a.agent, true, now));
      } else if (a.kind === 'wait') next.push(...p.waitDone(a.agent, Math.max(now, a.untilMs), a.wait));
    }
    queue = next;
  }
  expect(p.treesCompleted).toBe(1);
  return { calls, endMs: now };
}

describe('lane program', () => {
  it('a spawn chain 20,000 deep runs without overflowing the stack: children first, then each parent after its join', () => {
    const n = 20_000;
    const { calls } = drive(chain(n));
    expect(calls).toHaveLength(n + 1);
    expect(calls[0]).toBe(`a${n}`);
    expect(calls[n]).toBe('a0');
    // The analytic duty cycle walks the same program: 20,001 serial calls.
    const d = dutyCycle(chain(n), { assumedDecodeTokPerS: 10, assumedPrefillTokPerS: 1e9 });
    expect(d.llmCalls).toBe(n + 1);
    expect(Math.abs(d.wallMs / ((n + 1) * 1000) - 1)).toBeLessThan(1e-6);
  });

  it('join none: the parent goes on at once and the tree drains its background agents before it ends', () => {
    const { calls } = drive(chain(3, 'none'));
    // Every agent calls at once (nobody waits for a child); a child runs to its first call before its parent goes on.
    expect(calls).toEqual(['a3', 'a2', 'a1', 'a0']);
    const d = dutyCycle(chain(3, 'none'), { assumedDecodeTokPerS: 10, assumedPrefillTokPerS: 1e9 });
    expect(d.rootWallMs).toBeCloseTo(1000);
    expect(d.wallMs).toBeCloseTo(1000);
  });

  it('seeds: the same lane and seed draw the same trees and start turns; the stagger is its own stream', () => {
    const t = chain(2);
    const mk = (lane: number, seed: number) => new LaneProgram({ lane, seed, trajectories: [t, chain(1)], toolTimeScale: 1, maxIdleGapMs: null, midStart: true, errorPauseMs: 0 });
    const first = (p: LaneProgram) => JSON.stringify(p.start(0).map((a) => (a.kind === 'call' ? [a.agent.trajectory.agents.length, a.step.index, a.warmup] : a.kind)));
    expect(first(mk(3, 7))).toBe(first(mk(3, 7)));
    expect(mk(3, 7).staggerFraction).toBe(mk(3, 7).staggerFraction);
    expect(mk(3, 7).staggerFraction).not.toBe(mk(4, 7).staggerFraction);
    const p = mk(0, 1);
    const acts = p.startAfterStagger(0, 10_000);
    expect(acts).toEqual([{ kind: 'lane-wait', fromMs: 0, untilMs: p.staggerFraction * 10_000, wait: 'stagger' }]);
  });
});
