/**
 * --content recorded: steps that kept their messages are replayed with them (marker after the system
 * message), the rest fall back to synthetic text; prompt-size error per call is reported. Over HTTP
 * against the simulator, with and without /tokenize (the usage-probe calibration fallback).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { openTarget, runRealLevel, withMarker, type LaneConfig, type SessionOptions, type TokenModel } from '../../src/replay/index.js';
import type { CompletionRequest } from '../../src/endpoint/index.js';
import { loadProfile, startSimServer } from '../../src/sim/index.js';
import { loadTrajectories, type LlmStep } from '../../src/trajectory/index.js';
import { runLaneCalls } from './helpers.js';

const FIX = resolve(__dirname, '../fixtures/replay');
const trajectories = loadTrajectories([resolve(FIX, 'content.jsonl')]).map((l) => l.trajectory);
const llmSteps = trajectories[0].agents[0].steps.filter((s): s is LlmStep => s.type === 'llm');
const MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function runLane(over: Partial<LaneConfig>, calls: number) {
  const cfg: LaneConfig = { lane: 0, seed: 1, trajectories, tokenModel: MODEL, toolTimeScale: 1, maxIdleGapMs: null, midStart: false, history: 'recorded', forceOutputLength: true, errorPauseMs: 0, content: 'recorded', ...over };
  const { records, sent } = await runLaneCalls(cfg, calls);
  return { records, sent: sent.map((s) => s.req) as CompletionRequest[] };
}

describe('recorded content on replay', () => {
  it('sends the recorded messages with the marker after the system message, forced recorded output length, and falls back to synthetic text where a step kept none', async () => {
    const { records, sent } = await runLane({}, 4);
    expect(records.map((r) => r.contentSource)).toEqual(['recorded', 'recorded', 'synthetic', 'recorded']);
    for (const i of [0, 1, 3]) {
      const recorded = llmSteps[i].content!.messages as { role: string; content: string }[];
      const msgs = sent[i].messages!;
      expect(msgs.length).toBe(recorded.length);
      expect(msgs[0]).toEqual(recorded[0]); // system prompt untouched: shared across lanes like a real deployment
      expect(msgs[1].content).toMatch(/^\[rid:[0-9a-f]{12}\]\n\n/);
      expect(String(msgs[1].content).replace(/^\[rid:[0-9a-f]{12}\]\n\n/, '')).toBe(recorded[1].content);
      expect(msgs.slice(2)).toEqual(recorded.slice(2));
    }
    // The fallback is synthetic filler of the recorded size, not the recorded text.
    expect(sent[2].messages!.some((m) => String(m.content).includes('parse_duration'))).toBe(false);
    expect(sent.map((r) => r.maxTokens)).toEqual(llmSteps.map((s) => s.output_tokens));
    expect(sent.every((r) => r.forceOutputLength === true)).toBe(true);
    // The recorded messages are not modified in place (lanes share the trajectory objects).
    expect((llmSteps[0].content!.messages as { content: string }[])[1].content.startsWith('[rid:')).toBe(false);
  });

  it('synthetic (the default) never sends recorded text; a mid-trajectory start warms up with the previous call\'s recorded messages and answer', async () => {
    const syn = await runLane({ content: undefined }, 4);
    expect(syn.records.every((r) => r.contentSource === 'synthetic')).toBe(true);
    expect(syn.sent.some((r) => r.messages!.some((m) => String(m.content).includes('parse_duration')))).toBe(false);
    const mid = await runLane({ midStart: true, startRange: [0.5, 0.5] }, 2);
    expect(mid.records[0].warmup).toBe(true);
    const warm = mid.sent[0].messages!;
    expect(warm.at(-1)).toEqual({ role: 'assistant', content: llmSteps[1].content!.output });
    expect(warm.length).toBe((llmSteps[1].content!.messages as unknown[]).length + 1);
    expect(mid.records[1].contentSource).toBe('synthetic'); // turn 2 kept no content
  });

  it('withMarker puts a separate user message when the first non-system message is not a user text', () => {
    const out = withMarker([{ role: 'system', content: 's' }, { role: 'assistant', content: 'a' }], '[rid:x]');
    expect(out.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(withMarker([{ role: 'user', content: [{ type: 'text', text: 'hi' }] as never }], 'M')[0].content).toEqual([{ type: 'text', text: 'M' }, { type: 'text', text: 'hi' }]);
  });

  it.each([
    ['with /tokenize', false, 'tokenize'],
    ['without /tokenize (usage-probe fallback)', true, 'usage-probe'],
  ] as const)('over HTTP against the sim %s: calibration source, exact synthetic sizes, recorded sizes off only by the marker', async (_name, disableTokenize, source) => {
    const sim = await startSimServer({ profile: loadProfile(resolve(FIX, 'fast.yaml')), port: 0, seed: 2, disableTokenize });
    closers.push(() => sim.close());
    const target = await openTarget({ target: sim.url, startEmbeddedSim: () => Promise.reject(new Error('not used')) });
    closers.push(() => target.close());
    expect(target.tokenModel.source).toBe(source);
    expect(target.tokenModel.maxRelError).toBe(0);
    const o: SessionOptions = {
      target,
      trajectories,
      tiers: [{ sloTokPerS: 1, ttftCeilingMs: 10_000 }],
      slo: { callPassFraction: 0.9, agentPassFraction: 0.95 },
      validity: { ...DEFAULT_VALIDITY, minWindowS: 0 },
      level: { warmupS: 0.1, windowS: 0.8, drainCapS: 0.5, warmupCapS: 10, toolTimeScale: 0.3, maxIdleGapMs: null, seed: 3, history: 'recorded', midStart: false, content: 'recorded' },
      store: null,
      runId: 'test',
      sink: null,
      signal: new AbortController().signal,
    };
    const { run, report } = await runRealLevel(o, 2);
    expect(report.contentMode).toBe('recorded');
    expect(report.content.recordedCalls).toBeGreaterThan(0);
    expect(report.content.syntheticFallbackCalls).toBeGreaterThan(0);
    const pe = report.promptTokenError;
    expect(pe.calibration).toBe(source);
    expect(pe.synthetic.calls).toBeGreaterThan(0);
    expect(pe.synthetic.maxPct).toBe(0);
    for (const r of run.records.filter((x) => x.contentSource === 'recorded' && x.result.ok && !x.warmup)) {
      expect(r.result.usage!.promptTokens).toBe(r.promptTokensTarget + target.tokenModel.markerTokens);
    }
    expect(pe.recorded.meanPct).toBeGreaterThan(0);
    expect(pe.recorded.maxPct).toBeLessThan(2);
    expect(pe.p99Pct).not.toBeNull();
  });
});
