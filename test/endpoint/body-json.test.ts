import { describe, expect, it } from 'vitest';
import { encodeBody, stringifyBody } from '../../src/endpoint/body-json.js';

describe('stringifyBody (per-message JSON cache)', () => {
  it('parses to the same value as JSON.stringify, for bodies with and without messages', () => {
    const msgs = [
      { role: 'system', content: 'sys "quoted" \\ back\nslash é 日 \u2028' },
      { role: 'user', content: '' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ];
    for (const body of [{ model: 'm', stream: true, messages: msgs, max_tokens: 3 }, { messages: msgs }, { messages: [] }, { model: 'm', prompt: 'x' }]) {
      expect(JSON.parse(stringifyBody(body))).toEqual(JSON.parse(JSON.stringify(body)));
      expect(JSON.parse(stringifyBody(body))).toEqual(JSON.parse(stringifyBody(body))); // second call: from the cache
      // The bytes are those of JSON.stringify with messages last (key order aside, the same text).
      const { messages, ...rest } = body as Record<string, unknown>;
      const want = messages === undefined ? JSON.stringify(rest) : JSON.stringify({ ...rest, messages });
      expect(Buffer.concat(encodeBody(body)).equals(Buffer.from(want))).toBe(true);
    }
  });
  it('a message changed in place after it was cached is serialized anew', () => {
    const m: { role: string; content: string; name?: string } = { role: 'user', content: 'first' };
    const body = { messages: [m] };
    expect(JSON.parse(stringifyBody(body)).messages[0].content).toBe('first');
    m.content = 'second';
    expect(JSON.parse(stringifyBody(body)).messages[0].content).toBe('second');
    m.role = 'assistant';
    expect(JSON.parse(stringifyBody(body)).messages[0].role).toBe('assistant');
    m.name = 'n';
    expect(JSON.parse(stringifyBody(body)).messages[0]).toEqual({ role: 'assistant', content: 'second', name: 'n' });
  });
});
