/**
 * Issue 14: Mooncake `hash_ids` are shared 512-token prefix blocks. Open-loop replay renders each
 * block's text from its id (same id -> same words, different ids -> different words), blocks first and
 * the cache-bust marker after them, so requests that share blocks in the trace share a token prefix
 * on the server. On a real sample (fixtures/replay/mooncake-shared-prefix.jsonl, lines of the FAST'25
 * synthetic trace): the rendered prompts of two requests share exactly shared_blocks x 512 tokens of
 * the simulator's tokenizer (one token per word; a chance equal filler word right after the last
 * shared block may add a token, so up to 8 are allowed), and the simulator's prefix cache (16-token
 * KV blocks) reports floor(shared / 16) x 16 cached tokens for the second request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EndpointClient, type ChatMessage } from '../../src/endpoint/index.js';
import { AgentPrompt, arrivalSchedule, cacheBustMarker, runRealOpenLoopLevel, type OpenLoopSettings, type SessionOptions, type Target, type TokenModel } from '../../src/replay/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { hashChatPrompt, loadProfile, startSimServerInWorker } from '../../src/sim/index.js';
import { importFiles, type LlmStep, type Trajectory } from '../../src/trajectory/index.js';

const FIX = path.resolve(__dirname, '../fixtures/replay');
const FILE = path.resolve(FIX, 'mooncake-shared-prefix.jsonl');
const BLOCK = 512;
const SIM_MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const profile = loadProfile(path.resolve(FIX, 'fast.yaml'));
const SIM_KV_BLOCK = 16;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

// The trace side, read independently of the importer: timestamp -> hash ids.
const raw = fs.readFileSync(FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { timestamp: number; input_length: number; hash_ids: number[] });
const sharedBlocks = (a: number, b: number) => {
  const [x, y] = [raw.find((r) => r.timestamp === a)!.hash_ids, raw.find((r) => r.timestamp === b)!.hash_ids];
  let k = 0;
  while (k < x.length && k < y.length && x[k] === y[k]) k++;
  return k;
};

/** The simulator tokenizer's token sequence of a chat prompt (its template tokens, then words). */
function simTokens(messages: readonly ChatMessage[]): string[] {
  const out: string[] = [];
  for (const m of messages) out.push('<|start|>', m.role, '<|sep|>', ...String(m.content).split(/\s+/).filter(Boolean));
  return out;
}
const commonPrefix = (a: readonly string[], b: readonly string[]) => {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
};

/** The schedule's calls by recorded timestamp (pass 0), rendered as the open-loop lanes would (each its own lane and marker). */
function rendered(durationMs = 20_000) {
  const ts = importFiles('mooncake', [FILE]).trajectories;
  const s = arrivalSchedule(ts, { mode: 'recorded', seed: 5, durationMs });
  const byTs = new Map<string, ChatMessage[]>();
  for (const a of s.arrivals) {
    const step = a.trajectory.agents[0].steps[0] as LlmStep;
    const p = new AgentPrompt(SIM_MODEL, a.trajectory.agents[0].system_prompt_tokens, cacheBustMarker(5, a.index, 0), 1000 + a.index);
    const key = `${Math.round(a.atMs)}`;
    if (!byTs.has(key)) byTs.set(key, p.forStep(step, null));
  }
  return { schedule: s, byTs };
}

describe('Mooncake shared prefix blocks', () => {
  it('two requests share exactly the token prefix their hash_ids share; unrelated ones share none', () => {
    const { byTs } = rendered();
    // Offsets from the first arrival (2775 ms): 3437 -> 662, 16669 -> 13894, 16801 -> 14026, 17317 -> 14542.
    const at = (t: number) => byTs.get(String(t - 2775))!;
    for (const [a, b] of [[3437, 16801], [16669, 17317]]) {
      const k = sharedBlocks(a, b);
      expect(k).toBeGreaterThan(0);
      const n = commonPrefix(simTokens(at(a)), simTokens(at(b)));
      expect(n).toBeGreaterThanOrEqual(k * BLOCK);
      expect(n).toBeLessThan(k * BLOCK + 8);
    }
    expect(sharedBlocks(2775, 3437)).toBe(0);
    expect(commonPrefix(simTokens(at(2775)), simTokens(at(3437)))).toBeLessThan(8);
    // Every prompt is its recorded length on the simulator's tokenizer.
    for (const r of raw) expect(hashChatPrompt(at(r.timestamp), SIM_KV_BLOCK).tokens).toBe(r.input_length);
    // Different ids give different text: the first block past the shared ones differs almost everywhere.
    const [x, y] = [simTokens(at(16669)), simTokens(at(17317))];
    const k = sharedBlocks(16669, 17317) * BLOCK;
    const same = x.slice(k, k + BLOCK).filter((w, i) => w === y[k + i]).length;
    expect(same).toBeLessThan(BLOCK / 10);
  });

  it('a repeat of the trace (a second pass) shares nothing with the first: only the trace says what is shared', () => {
    const { schedule } = rendered(40_000);
    expect(schedule.passes).toBeGreaterThan(1);
    const calls = schedule.arrivals.filter((a) => (a.trajectory.agents[0].steps[0] as LlmStep).input_tokens === 2752);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const [p0, p1] = calls.map((a) => new AgentPrompt(SIM_MODEL, 0, cacheBustMarker(5, a.index, 0), 7).forStep(a.trajectory.agents[0].steps[0] as LlmStep, null));
    expect(commonPrefix(simTokens(p0), simTokens(p1))).toBeLessThan(8);
  });

  it('closed-loop prompts are unchanged: an unmarked step keeps the marker at the start of the user message', () => {
    const t = importFiles('mooncake', [FILE]).trajectories as Trajectory[];
    const step = t.find((x) => (x.agents[0].steps[0] as LlmStep).input_tokens === 2752)!.agents[0].steps[0] as LlmStep;
    const m = new AgentPrompt(SIM_MODEL, 0, cacheBustMarker(5, 1, 0), 7).forStep(step, null);
    expect(String(m[1].content).startsWith('[rid:')).toBe(true);
  });

  it('the simulator prefix cache hits the shared blocks (open-loop replay of the real sample)', async () => {
    const sim = await startSimServerInWorker({ profile, port: 0, seed: 9 });
    closers.push(() => sim.close());
    const client = new EndpointClient({ baseUrl: sim.url, model: profile.servedModelName, timeoutMs: 20_000 });
    closers.push(() => client.close(true));
    const target: Target = {
      url: sim.url, model: profile.servedModelName, maxModelLen: profile.maxModelLen, simulated: true, simProfile: profile.name, client,
      probe: { ok: true, errorClass: null, errorMessage: null, streamed: true, usagePresent: true, honoursForcedLength: true, requestedTokens: 16, completionTokens: 16, outputChunks: 16 },
      tokenModel: SIM_MODEL, forceOutputLength: true, power: [], notes: [], close: async () => undefined,
    };
    const o: SessionOptions = {
      target, trajectories: importFiles('mooncake', [FILE]).trajectories, tiers: [{ sloTokPerS: 1, ttftCeilingMs: 20_000 }],
      slo: { callPassFraction: 0.5, agentPassFraction: 0.5 }, validity: { ...DEFAULT_VALIDITY, minWindowS: 1 },
      level: { warmupS: 0, windowS: 2.2, drainCapS: 5, warmupCapS: 10, toolTimeScale: 1, maxIdleGapMs: null, seed: 5, history: 'recorded', midStart: false },
      store: null, runId: 'mooncake-prefix', sink: null, signal: new AbortController().signal,
    };
    // The recorded order, 400 ms apart (the sample spans 14.5 s): each prefill is done before the next
    // arrives, so the cache holds every earlier block (a concurrent arrival would legitimately hit less).
    const ol: OpenLoopSettings = { mode: 'recorded', unit: 'auto', maxInFlightSessions: 100, validity: { maxArrivalLagP99Ms: 1000 } };
    const recorded = arrivalSchedule(o.trajectories, { mode: 'recorded', seed: 5, durationMs: 15_000 });
    const schedule = { ...recorded, arrivals: recorded.arrivals.map((a, i) => ({ ...a, atMs: i * 400 })) };
    const { run } = await runRealOpenLoopLevel(o, ol, schedule);
    const cached = new Map(run.records.map((r) => [r.result.usage?.promptTokens, r.result.usage?.cachedTokens]));
    expect(run.records).toHaveLength(raw.length);
    // The first of each pair and the unrelated request find nothing; the second finds the shared blocks.
    const hit = (a: number, b: number) => Math.floor((sharedBlocks(a, b) * BLOCK) / SIM_KV_BLOCK) * SIM_KV_BLOCK;
    const len = (t: number) => raw.find((r) => r.timestamp === t)!.input_length;
    expect(cached.get(len(2775))).toBe(0);
    expect(cached.get(len(3437))).toBe(0);
    expect(cached.get(len(16669))).toBe(0);
    expect(cached.get(len(16801))).toBe(hit(3437, 16801));
    expect(cached.get(len(17317))).toBe(hit(16669, 17317));
    expect(hit(16669, 17317)).toBe(28 * BLOCK);
    // The level's theoretical hit is the trace's: blocks an earlier arrival sent, x 512.
    const expected = new Map(run.records.map((r) => [r.promptTokensTarget, r.expectedCachedTokens]));
    expect(expected.get(len(16801))).toBe(sharedBlocks(3437, 16801) * BLOCK);
    expect(expected.get(len(17317))).toBe(sharedBlocks(16669, 17317) * BLOCK);
    for (const t of [2775, 3437, 16669]) expect(expected.get(len(t))).toBe(0);
  }, 30_000);
});
