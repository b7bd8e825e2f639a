import { describe, expect, it } from 'vitest';
import { AgentPrompt, cacheBustMarker, calibrateTokenModel, fillerWord, type TokenModel } from '../../src/replay/index.js';
import { simCountChatTokens, hashChatPrompt } from '../../src/sim/index.js';
import type { LlmStep } from '../../src/trajectory/index.js';

// What calibration learns from the simulator's /tokenize (checked below against simCountChatTokens).
const SIM_MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'tokenize', maxRelError: 0 };

const llm = (input: number, output: number, extra: Partial<LlmStep> = {}): LlmStep => ({ type: 'llm', input_tokens: input, output_tokens: output, ...extra });

describe('prompt synthesis', () => {
  it('calibration against the sim tokenizer learns 1 token/word, the template overheads and the marker size, with zero error', async () => {
    const m = await calibrateTokenModel(async (msgs) => simCountChatTokens(msgs), 'tokenize');
    expect(m).not.toBeNull();
    expect(m!.tokensPerWord).toBe(1);
    expect(m!.perMessage).toBe(3);
    expect(m!.perRequest).toBe(3);
    expect(m!.markerTokens).toBe(1);
    expect(m!.maxRelError).toBe(0);
  });

  it('hits the recorded input token counts exactly for every turn (sim tokenizer)', () => {
    const p = new AgentPrompt(SIM_MODEL, 2400, cacheBustMarker(1, 0, 0), 99);
    const steps = [llm(3356, 572), llm(4281, 2697), llm(10275, 634), llm(11000, 20)];
    let prev: { text: string; tokens: number } | null = null;
    for (const s of steps) {
      const msgs = p.forStep(s, prev);
      expect(simCountChatTokens(msgs)).toBe(s.input_tokens);
      prev = p.syntheticOutput(s.output_tokens, s);
      expect(simCountChatTokens([{ role: 'assistant', content: prev.text }]) - 6).toBe(s.output_tokens);
    }
  });

  it('grows append-only: each turn has the previous prompt as a message prefix and as a KV block prefix', () => {
    const p = new AgentPrompt(SIM_MODEL, 800, cacheBustMarker(1, 0, 0), 5);
    const a = p.forStep(llm(2000, 150), null);
    const b = p.forStep(llm(2600, 10), p.syntheticOutput(150, null));
    expect(b.slice(0, a.length)).toEqual(a);
    const ha = hashChatPrompt(a, 16).blockHashes;
    const hb = hashChatPrompt(b, 16).blockHashes;
    // Every full block of the first prompt except the last (which holds the generation prompt) is shared.
    expect(hb.slice(0, ha.length - 1)).toEqual(ha.slice(0, ha.length - 1));
  });

  it('two lanes share the system prompt and differ right after it (cache-bust marker)', () => {
    const p1 = new AgentPrompt(SIM_MODEL, 1000, cacheBustMarker(1, 0, 0), 11);
    const p2 = new AgentPrompt(SIM_MODEL, 1000, cacheBustMarker(1, 1, 0), 12);
    const a = p1.forStep(llm(3000, 10), null);
    const b = p2.forStep(llm(3000, 10), null);
    expect(a[0]).toEqual(b[0]);
    expect(a[0].role).toBe('system');
    const ua = String(a[1].content);
    const ub = String(b[1].content);
    expect(ua.split(/\s+/)[0]).toMatch(/^\[rid:[0-9a-f]{12}\]$/);
    expect(ua.split(/\s+/)[0]).not.toBe(ub.split(/\s+/)[0]);
    // Same count, different blocks from the marker on.
    const bs = 16;
    const ha = hashChatPrompt(a, bs).blockHashes;
    const hb = hashChatPrompt(b, bs).blockHashes;
    const sysBlocks = Math.floor((3 + 997) / bs);
    expect(ha.slice(0, sysBlocks)).toEqual(hb.slice(0, sysBlocks));
    expect(ha[sysBlocks + 1]).not.toBe(hb[sysBlocks + 1]);
    // A new cycle of the same lane gets a new marker too.
    expect(cacheBustMarker(1, 0, 0)).not.toBe(cacheBustMarker(1, 0, 1));
    expect(cacheBustMarker(1, 0, 0)).toBe(cacheBustMarker(1, 0, 0));
  });

  it('uses hash_ids: equal block ids give equal filler text at those positions', () => {
    const step = llm(1000, 10, { hash_ids: [7, 8, 9], block_size: 64 });
    const p1 = new AgentPrompt(SIM_MODEL, 100, '[rid:aaaaaaaaaaaa]', 1);
    const p2 = new AgentPrompt(SIM_MODEL, 100, '[rid:aaaaaaaaaaaa]', 2);
    const a = p1.forStep(step, null);
    const b = p2.forStep(step, null);
    // Different lane streams, but positions covered by the hash ids (< 192) carry the same words.
    expect(String(a[1].content).split(' ').slice(0, 60)).toEqual(String(b[1].content).split(' ').slice(0, 60));
    expect(a[1].content).not.toEqual(b[1].content);
    expect(fillerWord(7, 3)).toBe(fillerWord(7, 3));
  });

  it('rebuilds (a cache miss) when the recorded context shrinks', () => {
    const p = new AgentPrompt(SIM_MODEL, 500, '[rid:bbbbbbbbbbbb]', 3);
    p.forStep(llm(5000, 100), null);
    const m = p.forStep(llm(3000, 10), p.syntheticOutput(100, null));
    expect(p.rebuilds).toBe(1);
    expect(simCountChatTokens(m)).toBe(3000);
    expect(m).toHaveLength(2);
  });

  it('writes the filler words of their positions (the byte writer = fillerWord), and shares one system message object across lanes', () => {
    const model: TokenModel = { ...SIM_MODEL, tokensPerWord: 1.3 };
    const ids = [5, 6, 7, 8];
    for (const step of [llm(4000, 10), llm(4000, 10, { hash_ids: ids, block_size: 32 })]) {
      const p1 = new AgentPrompt(model, 700, '[rid:aaaaaaaaaaaa]', 21);
      const p2 = new AgentPrompt(model, 700, '[rid:bbbbbbbbbbbb]', 22);
      const a = p1.forStep(step, null);
      const b = p2.forStep(step, null);
      expect(a[0]).toBe(b[0]); // the same object: its request bytes are cached once (endpoint/body-json.ts)
      const words = String(a[0].content).split(' ');
      const want = words.map((_, i) => {
        const pos = 3 + Math.round(i * 1.3);
        const block = step.hash_ids ? Math.floor(pos / 32) : -1;
        return block >= 0 && block < ids.length ? fillerWord(ids[block], pos % 32) : fillerWord(0x5157, pos);
      });
      expect(words).toEqual(want);
    }
    // Another size or other ids: another message.
    const c = new AgentPrompt(model, 701, '[rid:cccccccccccc]', 23).forStep(llm(4000, 10), null);
    const d = new AgentPrompt(model, 700, '[rid:dddddddddddd]', 24).forStep(llm(4000, 10, { hash_ids: [9, 9, 9, 9], block_size: 32 }), null);
    const e = new AgentPrompt(model, 700, '[rid:eeeeeeeeeeee]', 25).forStep(llm(4000, 10), null);
    expect(c[0].content).not.toBe(e[0].content);
    expect(d[0].content).not.toBe(e[0].content);
  });
});
