import { describe, expect, it } from 'vitest';
import { Lane, type CallRecord, type LaneConfig, type TokenModel } from '../../src/replay/index.js';
import type { Trajectory } from '../../src/trajectory/index.js';
import { fakeSend, VirtualTime } from './helpers.js';

const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };

const tree: Trajectory = {
  format: 'agentdyno.trajectory.v1',
  id: 'tree',
  source: { kind: 'synthetic' },
  agents: [
    {
      id: 'main',
      parent: null,
      system_prompt_tokens: 100,
      steps: [
        { type: 'llm', input_tokens: 200, output_tokens: 10 },
        { type: 'tool', name: 'bash', duration_ms: 1000 },
        { type: 'spawn', agents: ['s1', 's2'], join: 'all' },
        { type: 'llm', input_tokens: 300, output_tokens: 10 },
        { type: 'spawn', agents: ['bg'], join: 'none' },
        { type: 'think', duration_ms: 100 },
        { type: 'llm', input_tokens: 400, output_tokens: 5 },
      ],
    },
    { id: 's1', parent: 'main', system_prompt_tokens: 50, steps: [{ type: 'llm', input_tokens: 100, output_tokens: 20 }] },
    { id: 's2', parent: 'main', system_prompt_tokens: 50, steps: [{ type: 'llm', input_tokens: 100, output_tokens: 40 }] },
    {
      id: 'bg',
      parent: 'main',
      system_prompt_tokens: 50,
      steps: [
        { type: 'llm', input_tokens: 100, output_tokens: 5 },
        { type: 'tool', name: 'run_tests', duration_ms: 60_000 },
        { type: 'llm', input_tokens: 200, output_tokens: 5 },
      ],
    },
  ],
};

function config(over: Partial<LaneConfig> = {}): LaneConfig {
  return { lane: 0, seed: 1, trajectories: [tree], tokenModel: MODEL, toolTimeScale: 0.5, maxIdleGapMs: 20_000, midStart: false, history: 'recorded', forceOutputLength: true, errorPauseMs: 250, ...over };
}

async function runLane(cfg: LaneConfig, untilRecords: number, sendOpts = {}) {
  const vt = new VirtualTime();
  const { send, sent } = fakeSend(vt, sendOpts);
  const records: CallRecord[] = [];
  const stop = new AbortController();
  let peak = 0;
  let inflight = 0;
  const lane = new Lane(cfg, {
    clock: vt.clock,
    sleep: vt.sleep,
    signal: stop.signal,
    send: async (call) => {
      peak = Math.max(peak, ++inflight);
      try {
        return await send({ ...call.request, signal: stop.signal });
      } finally {
        inflight--;
      }
    },
    onRecord: (r) => {
      records.push(r);
      if (records.length >= untilRecords) stop.abort();
    },
  });
  await vt.run(lane.run());
  return { records, sent, peak, lane };
}

const ms = (ns: bigint) => Number(ns) / 1e6;

describe('agent lane', () => {
  it('replays the tree: scaled tool waits end-to-start, joined sub-agents in parallel, recycles only after background agents drain', async () => {
    const { records, sent, peak, lane } = await runLane(config(), 10);
    const order = records.map((r) => `${r.cycle}:${r.agentId}:${r.llmTurn}`);
    expect(order.slice(0, 8)).toEqual(['0:main:0', '0:s1:0', '0:s2:0', '0:main:1', '0:bg:0', '0:main:2', '0:bg:1', '1:main:0']);
    const [m0, s1, s2, m1, bg0, m2, bg1, next] = records;
    // Tool wait 1000 ms x 0.5, from the end of the previous call.
    expect(ms(s1.tSchedNs) - ms(m0.result.tEndNs)).toBeCloseTo(500);
    expect(ms(s1.result.tSendNs)).toBeCloseTo(ms(s2.result.tSendNs)); // fanned out together
    expect(peak).toBeGreaterThanOrEqual(2);
    // join: all -> the parent continues after the slower child.
    expect(ms(m1.tSchedNs)).toBeCloseTo(Math.max(ms(s1.result.tEndNs), ms(s2.result.tEndNs)));
    // Think 100 ms x 0.5 after main's turn 1, while bg runs in the background.
    expect(ms(m2.tSchedNs) - ms(m1.result.tEndNs)).toBeCloseTo(50);
    // bg's 60 s tool wait is scaled to 30 s and capped at 20 s; the lane waits for it before recycling.
    expect(ms(bg1.tSchedNs) - ms(bg0.result.tEndNs)).toBeCloseTo(20_000);
    expect(ms(next.tSchedNs)).toBeGreaterThanOrEqual(ms(bg1.result.tEndNs));
    expect(ms(next.tSchedNs)).toBeGreaterThan(ms(m2.result.tEndNs) + 10_000);
    expect(lane.treesCompleted).toBeGreaterThanOrEqual(1);
    // Output length forced to the recorded count; a new tree gets a new marker after the same system prompt.
    expect(sent[0].req.maxTokens).toBe(10);
    expect(sent[0].req.forceOutputLength).toBe(true);
    const first = sent[0].req.messages!;
    const again = sent[7].req.messages!;
    expect(first[0]).toEqual(again[0]);
    expect(String(first[1].content).slice(0, 18)).not.toBe(String(again[1].content).slice(0, 18));
    // Sub-agents carry the lane tree's marker too.
    expect(String(sent[1].req.messages![1].content).slice(0, 18)).toBe(String(first[1].content).slice(0, 18));
  });

  it('tool-time scale 0 removes the waits; scale 2 doubles them', async () => {
    const fast = await runLane(config({ toolTimeScale: 0 }), 2);
    expect(ms(fast.records[1].tSchedNs) - ms(fast.records[0].result.tEndNs)).toBeCloseTo(0);
    const slow = await runLane(config({ toolTimeScale: 2 }), 2);
    expect(ms(slow.records[1].tSchedNs) - ms(slow.records[0].result.tEndNs)).toBeCloseTo(2000);
  });

  it('starts mid-trajectory with one warm-up request carrying the preceding context (max_tokens 1)', async () => {
    // Find a seed whose start turn is > 0 (the choice is per lane and seed, not per level).
    let found = false;
    for (let seed = 1; seed < 50 && !found; seed++) {
      const { records, sent } = await runLane(config({ seed, midStart: true }), 3);
      if (!records[0].warmup) continue;
      found = true;
      expect(sent[0].req.maxTokens).toBe(1);
      expect(sent[0].req.forceOutputLength).toBeFalsy();
      const w = records[0];
      const real = records[1];
      expect(real.agentId).toBe('main');
      expect(real.llmTurn).toBe(w.llmTurn);
      expect(real.llmTurn).toBeGreaterThan(0);
      // The warm-up prompt is the real turn's prompt without its new user message.
      const wm = sent[0].req.messages!;
      const rm = sent[1].req.messages!;
      expect(rm.slice(0, wm.length)).toEqual(wm);
      expect(rm.length).toBe(wm.length + 1);
      expect(wm[wm.length - 1].role).toBe('assistant');
    }
    expect(found).toBe(true);
  });

  it('keeps going after failed calls (counted, then a pause)', async () => {
    let n = 0;
    const { records } = await runLane(config(), 4, { fail: () => (n++ === 0 ? 'http_500' : null) });
    expect(records[0].result.errorClass).toBe('http_500');
    expect(records[1].result.ok).toBe(true);
    expect(ms(records[1].tSchedNs) - ms(records[0].result.tEndNs)).toBeGreaterThanOrEqual(250);
  });

  it('--history generated appends what the server produced; recorded appends synthetic text of the recorded length', async () => {
    const gen = await runLane(config({ history: "generated" }), 4);
    expect(gen.sent[0].req.keepOutputText).toBe(true);
    const m = gen.sent[3].req.messages!;
    expect(m.find((x) => x.role === 'assistant')?.content).toBe(Array.from({ length: 10 }, (_, i) => `gen${i}`).join(' '));
    const rec = await runLane(config(), 4);
    const a = rec.sent[3].req.messages!.find((x) => x.role === 'assistant')!;
    expect(String(a.content).split(' ')).toHaveLength(10);
    expect(String(a.content)).not.toMatch(/gen0/);
  });
});
