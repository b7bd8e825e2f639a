import { describe, expect, it } from 'vitest';
import { hashChatPrompt, hashCompletionPrompt, simCountChatTokens, simCountTokens, simTokenize, SIM_CHAT_TOKENS_PER_MESSAGE, SIM_CHAT_TOKENS_PER_REQUEST } from '../../src/sim/index.js';

describe('sim tokenizer', () => {
  it('counts one token per whitespace-separated word', () => {
    expect(simTokenize('  hello   world\n\tfoo ')).toEqual(['hello', 'world', 'foo']);
    expect(simCountTokens('  hello   world\n\tfoo ')).toBe(3);
    expect(simCountTokens('')).toBe(0);
    expect(simCountTokens('a\u00a0b')).toBe(2);
  });

  it('adds a fixed template overhead per chat message', () => {
    const msgs = [
      { role: 'system', content: 'you are helpful' },
      { role: 'user', content: [{ type: 'text', text: 'fix the bug' }] },
    ];
    expect(simCountChatTokens(msgs)).toBe(3 + 3 + 2 * SIM_CHAT_TOKENS_PER_MESSAGE + SIM_CHAT_TOKENS_PER_REQUEST);
    expect(hashChatPrompt(msgs, 4).tokens).toBe(simCountChatTokens(msgs));
  });

  it('chains block hashes so a shared prefix shares leading hashes only', () => {
    const base = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const a = hashCompletionPrompt(base + ' alpha beta gamma delta', 8);
    const b = hashCompletionPrompt(base + ' other words here now', 8);
    expect(a.tokens).toBe(44);
    expect(a.blockHashes).toHaveLength(5);
    expect(a.blockHashes.slice(0, 5)).toEqual(b.blockHashes.slice(0, 5)); // 40 shared words = 5 blocks
    const c = hashCompletionPrompt('x ' + base, 8);
    expect(c.blockHashes[0]).not.toBe(a.blockHashes[0]);
    // A change in block 0 changes every later block's hash (chain).
    const d = hashCompletionPrompt(base.replace('w0', 'zz'), 8);
    expect(d.blockHashes.every((h, i) => h !== a.blockHashes[i])).toBe(true);
  });

  it('hashes a 120k-word prompt in one pass', () => {
    const text = Array.from({ length: 120_000 }, (_, i) => `tok${i % 997}`).join(' ');
    const h = hashCompletionPrompt(text, 16);
    expect(h.tokens).toBe(120_000);
    expect(h.blockHashes).toHaveLength(7500);
  });
});
