import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { hashCompletionPrompt, loadProfile, predictDecodeTokPerS, SimEngine, validateProfile, type SimProfile, type SimTokenEvent } from '../../src/sim/index.js';

function profile(over: { numBlocks?: number; blockSize?: number; budget?: number; maxModelLen?: number } = {}): SimProfile {
  return validateProfile({
    name: 't', illustrative: true, source: 'test', max_model_len: over.maxModelLen ?? 100_000,
    step_time_ms: { a: 10, b: 1, c: 0.001, d: 0.01 },
    scheduler: { max_num_seqs: 64, max_num_batched_tokens: over.budget ?? 512 },
    kv_cache: { block_size: over.blockSize ?? 16, num_blocks: over.numBlocks ?? 100_000 },
    power: { idle_w: 100, max_w: 500 },
  });
}

/** Run the engine to completion on a ManualClock; returns per-request events and the steps. */
function drain(engine: SimEngine, clock: ManualClock, maxSteps = 100_000) {
  const events = new Map<string, (SimTokenEvent & { atMs: number })[]>();
  const steps = [];
  for (let i = 0; i < maxSteps && engine.hasWork(); i++) {
    const s = engine.step(clock.nowMs());
    if (!s) break;
    clock.setMs(s.endMs);
    steps.push(s);
    for (const e of s.events) {
      if (!events.has(e.id)) events.set(e.id, []);
      events.get(e.id)!.push({ ...e, atMs: s.endMs });
    }
  }
  return { events, steps };
}

function decodeTokPerS(evs: (SimTokenEvent & { atMs: number })[]): number {
  const toks = evs.filter((e) => e.newTokens > 0);
  return ((toks.length - 1) * 1000) / (toks[toks.length - 1].atMs - toks[0].atMs);
}

const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

describe('SimEngine', () => {
  it('batches: more concurrent requests make longer steps and lower per-request tok/s', () => {
    const rates: number[] = [];
    for (const n of [1, 8]) {
      const clock = new ManualClock();
      const e = new SimEngine(profile(), clock);
      for (let i = 0; i < n; i++) e.submit({ id: `r${i}`, promptTokens: 100, outputTokens: 50 });
      const { events } = drain(e, clock);
      rates.push(decodeTokPerS(events.get('r0')!));
      expect(events.get('r0')!.filter((x) => x.newTokens).length).toBe(50);
      expect(events.get('r0')!.at(-1)!.finished).toBe(true);
    }
    expect(rates[1]).toBeLessThan(rates[0]);
    // Single stream matches the analytic model: a + b + c*kv with kv ~ 100..150 tokens.
    expect(rates[0]).toBeGreaterThan(predictDecodeTokPerS(profile(), { batch: 1, kvTokensPerSeq: 160 }));
    expect(rates[0]).toBeLessThan(predictDecodeTokPerS(profile(), { batch: 1, kvTokensPerSeq: 90 }));
  });

  it('chunked prefill stays within the per-step token budget', () => {
    const clock = new ManualClock();
    const e = new SimEngine(profile({ budget: 256 }), clock);
    e.submit({ id: 'a', promptTokens: 1000, outputTokens: 3 });
    const { steps, events } = drain(e, clock);
    expect(Math.max(...steps.map((s) => s.prefillTokens + s.decodeSeqs))).toBeLessThanOrEqual(256);
    // 1000 prompt tokens / 256 per step = 4 prefill steps; the first token comes with the 4th.
    expect(events.get('a')!.findIndex((x) => x.firstToken)).toBe(3);
  });

  it('prefix cache: a second request sharing a prefix prefills only the new part', () => {
    const p = profile({ blockSize: 16 });
    const clock = new ManualClock();
    const e = new SimEngine(p, clock);
    const shared = words(320);
    const h1 = hashCompletionPrompt(shared + ' ' + words(20, 'a'), 16);
    const h2 = hashCompletionPrompt(shared + ' ' + words(40, 'b'), 16);
    e.submit({ id: 'one', promptTokens: h1.tokens, blockHashes: h1.blockHashes, outputTokens: 2 });
    drain(e, clock);
    e.submit({ id: 'two', promptTokens: h2.tokens, blockHashes: h2.blockHashes, outputTokens: 2 });
    const { steps, events } = drain(e, clock);
    expect(events.get('two')![0].cachedTokens).toBe(320);
    expect(steps.reduce((s, x) => s + x.prefillTokens, 0)).toBe(h2.tokens - 320);
    const st = e.stats();
    expect(st.prefixCacheHitsTokens).toBe(320);
    expect(st.prefixCacheQueriesTokens).toBe(h1.tokens + h2.tokens);
    expect(st.kvUsedBlocks).toBe(0); // all finished: nothing referenced
    expect(st.kvCachedBlocks).toBeGreaterThan(0); // but the prefix stays cached
  });

  it('evicts unreferenced cached blocks LRU when KV is needed', () => {
    const clock = new ManualClock();
    const e = new SimEngine(profile({ blockSize: 4, numBlocks: 30 }), clock);
    const a = hashCompletionPrompt(words(80, 'a'), 4);
    e.submit({ id: 'a', promptTokens: a.tokens, blockHashes: a.blockHashes, outputTokens: 1 });
    drain(e, clock);
    expect(e.stats().kvCachedBlocks).toBe(20);
    const b = hashCompletionPrompt(words(80, 'b'), 4);
    e.submit({ id: 'b', promptTokens: b.tokens, blockHashes: b.blockHashes, outputTokens: 1 });
    drain(e, clock);
    expect(e.kv.evictions).toBeGreaterThan(0);
    // a's prefix was partly evicted: a repeat of a hits fewer than its 19 reusable blocks.
    e.submit({ id: 'a2', promptTokens: a.tokens, blockHashes: a.blockHashes, outputTokens: 1 });
    const { events } = drain(e, clock);
    expect(events.get('a2')![0].cachedTokens).toBeLessThan(76);
  });

  it('preempts (recompute) when the KV cache is full, and still finishes everything', () => {
    const clock = new ManualClock();
    // 40 blocks of 4 = 160 tokens; three requests growing to 40 + 40 tokens each cannot all fit.
    const e = new SimEngine(profile({ blockSize: 4, numBlocks: 40 }), clock);
    for (const id of ['x', 'y', 'z']) e.submit({ id, promptTokens: 40, outputTokens: 40 });
    const { steps, events } = drain(e, clock);
    expect(steps.some((s) => s.preempted.length > 0)).toBe(true);
    expect(e.stats().preemptionsTotal).toBeGreaterThan(0);
    for (const id of ['x', 'y', 'z']) {
      expect(events.get(id)!.filter((x) => x.newTokens).length).toBe(40);
      expect(events.get(id)!.at(-1)!.finished).toBe(true);
    }
    expect(e.stats().kvUsedBlocks).toBe(0);
  });

  it('stops at max_model_len and rejects prompts that cannot fit', () => {
    const clock = new ManualClock();
    const e = new SimEngine(profile({ maxModelLen: 120 }), clock);
    expect(() => e.submit({ id: 'big', promptTokens: 120, outputTokens: 1 })).toThrow(/max_model_len/);
    e.submit({ id: 'r', promptTokens: 100, outputTokens: 1000 });
    const { events } = drain(e, clock);
    const last = events.get('r')!.at(-1)!;
    expect(last.finishReason).toBe('length');
    expect(last.generatedTokens).toBe(20);
  });

  it('abort frees KV at once', () => {
    const clock = new ManualClock();
    const e = new SimEngine(profile(), clock);
    e.submit({ id: 'r', promptTokens: 600, outputTokens: 100 });
    const s = e.step(clock.nowMs())!;
    clock.setMs(s.endMs);
    expect(e.stats().kvUsedBlocks).toBeGreaterThan(0);
    expect(e.abort('r')).toBe(true);
    expect(e.stats().kvUsedBlocks).toBe(0);
    expect(e.hasWork()).toBe(false);
    expect(e.abort('r')).toBe(false);
  });

  it('power stays between idle and max and energy is monotonic', () => {
    const p = profile();
    const clock = new ManualClock();
    const e = new SimEngine(p, clock);
    e.startAccounting(0);
    clock.setMs(1000);
    expect(e.energyJ()).toBeCloseTo(100, 6); // 1 s idle at 100 W
    for (let i = 0; i < 16; i++) e.submit({ id: `r${i}`, promptTokens: 2000, outputTokens: 30 });
    let prev = e.energyJ();
    let maxW = 0;
    for (let guard = 0; e.hasWork() && guard < 10_000; guard++) {
      const s = e.step(clock.nowMs())!;
      expect(s.powerW).toBeGreaterThanOrEqual(p.power.idleW);
      expect(s.powerW).toBeLessThanOrEqual(p.power.maxW);
      maxW = Math.max(maxW, s.powerW);
      clock.setMs(s.startMs + s.durationMs / 2);
      expect(e.powerW()).toBe(s.powerW);
      const mid = e.energyJ();
      expect(mid).toBeGreaterThanOrEqual(prev);
      clock.setMs(s.endMs);
      prev = e.energyJ();
      expect(prev).toBeGreaterThanOrEqual(mid);
    }
    expect(maxW).toBeGreaterThan(p.power.idleW);
    const busyEnd = clock.nowMs();
    clock.advanceMs(500);
    expect(e.powerW()).toBe(p.power.idleW);
    expect(e.energyJ() - prev).toBeCloseTo(50, 6);
    // Mean power over the busy period is between idle and max.
    const meanW = ((prev - 100) * 1000) / (busyEnd - 1000);
    expect(meanW).toBeGreaterThan(p.power.idleW);
    expect(meanW).toBeLessThan(p.power.maxW);
  });

  it('the small profile decodes one stream at 80-120 tok/s over agentic contexts', () => {
    const p = loadProfile('small');
    for (const kv of [30_000, 120_000]) {
      const r = predictDecodeTokPerS(p, { batch: 1, kvTokensPerSeq: kv });
      expect(r).toBeGreaterThan(80);
      expect(r).toBeLessThan(120);
    }
  });
});
