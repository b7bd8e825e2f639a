import { describe, expect, it } from 'vitest';
import { SseTap, isUsageOnly } from '../../src/record/sse-tap.js';

const ev = (o: unknown, eol = '\n') => `data: ${JSON.stringify(o)}${eol}${eol}`;
const stream = (eol = '\n') =>
  ev({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }, eol) +
  ev({ choices: [{ index: 0, delta: { content: 'héllo ✓' }, finish_reason: null }] }, eol) +
  ev({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'bash', arguments: '' } }] }, finish_reason: null }] }, eol) +
  ev({ choices: [{ index: 0, delta: { content: ' world' }, finish_reason: 'tool_calls' }] }, eol) +
  ev({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3 } }, eol) +
  `data: [DONE]${eol}${eol}`;

/** Feed `text` cut at the given byte offsets; returns what the tap forwarded (strip mode). */
function feed(tap: SseTap, text: string, cuts: number[]): string {
  const all = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, all.length]) {
    const o = tap.push(all.subarray(at, c));
    if (o) out.push(o);
    at = c;
  }
  const t = tap.end();
  if (t) out.push(t);
  return Buffer.concat(out).toString('utf8');
}

describe('SseTap', () => {
  for (const eol of ['\n', '\r\n']) {
    it(`records usage, finish reason, tools, first token; strips only the usage chunk (${JSON.stringify(eol)}, any chunking)`, () => {
      const text = stream(eol);
      const len = Buffer.byteLength(text);
      // Every single cut point, including ones inside multi-byte characters and inside the blank line.
      for (let cut = 1; cut < len; cut += 1) {
        let t = 0;
        const tap = new SseTap({ strip: true, keepContent: true, nowMs: () => ++t });
        const out = feed(tap, text, [cut]);
        expect(out).toBe(text.replace(ev({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3 } }, eol), ''));
        expect(tap.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3 });
        expect(tap.finishReason).toBe('tool_calls');
        expect(tap.toolNames).toEqual(['bash']);
        expect(tap.text).toBe('héllo ✓ world');
        expect(tap.firstTokenAtMs).toBe(1); // the empty role chunk is not a token
      }
    });
  }

  it('without strip forwards nothing itself and still watches; content not kept unless asked', () => {
    const tap = new SseTap({ strip: false, keepContent: false, nowMs: () => 5 });
    expect(feed(tap, stream(), [7, 100, 101, 300])).toBe('');
    expect(tap.usage?.completion_tokens).toBe(3);
    expect(tap.text).toBe('');
    expect(tap.responseMessage()).toEqual({ role: 'assistant', tool_calls: [{ function: { name: 'bash' } }] });
  });

  it('a malformed event is forwarded and skipped; an unterminated tail is forwarded at end', () => {
    const tap = new SseTap({ strip: true, keepContent: false, nowMs: () => 0 });
    const text = 'data: {"choices": [{"delta": {"content": "unterminated\n\n' + ev({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }) + 'data: {"partial';
    expect(feed(tap, text, [10])).toBe('data: {"choices": [{"delta": {"content": "unterminated\n\ndata: {"partial');
    expect(tap.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1 });
  });

  it('isUsageOnly needs an empty choices array and usage, spaces allowed', () => {
    expect(isUsageOnly('data: {"choices" : [ ], "usage": {}}')).toBe(true);
    expect(isUsageOnly('data: {"choices":[{"delta":{}}],"usage":{}}')).toBe(false);
    expect(isUsageOnly('data: {"choices":[]}')).toBe(false);
  });
});
