/**
 * The chat-chunk byte scanner must report exactly what JSON.parse + chatParser report, on real
 * server samples and on hostile input, and must never take an event JSON.parse would reject.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SseDecoder } from '../../src/endpoint/index.js';
import { chatParser } from '../../src/endpoint/wire/chat.js';
import { ChatChunkScanner, SCAN_CONTENT, SCAN_FALLBACK, SCAN_NONE } from '../../src/endpoint/wire/chat-scan.js';

const dir = join(__dirname, '..', 'fixtures', 'endpoint');
const samples = readdirSync(dir)
  .filter((f) => f.endsWith('.sse'))
  .map((f) => ({ name: f, body: readFileSync(join(dir, f)) }));
const eventsOf = (body: Buffer): string[] =>
  body
    .toString('utf8')
    .split('\n\n')
    .map((e) => e.replace(/^data: /, ''))
    .filter((e) => e !== '' && e !== '[DONE]');

type Call = [string, unknown];
/** The reference: what the full path (JSON.parse, chatParser) reports, or 'malformed'. */
function reference(data: string): Call[] | 'malformed' {
  let obj: any;
  try {
    obj = JSON.parse(data);
  } catch {
    return 'malformed';
  }
  if (obj === null || typeof obj !== 'object') return 'malformed';
  if (obj.error) return [['error', obj.error]];
  const calls: Call[] = [];
  chatParser.event(obj, {
    output: (kind, text) => calls.push(['output', [kind, text]]),
    usage: (u) => calls.push(['usage', u]),
    finish: (r) => calls.push(['finish', r]),
    done: () => calls.push(['done', null]),
    error: (e) => calls.push(['error', e]),
  });
  return calls;
}

const sc = new ChatChunkScanner();
/** The scanner's answer as reference-shaped calls, or null for FALLBACK. */
function scanned(bytes: Buffer, s = 0, e = bytes.length): Call[] | null {
  const r = sc.scan(bytes, s, e);
  if (r === SCAN_FALLBACK) return null;
  if (r === SCAN_NONE) return [];
  expect(r).toBe(SCAN_CONTENT);
  const raw = bytes.toString('utf8', sc.textStart - 1, sc.textEnd + 1);
  const text = sc.textEscaped ? JSON.parse(raw) : raw.slice(1, -1);
  return [['output', ['content', text]]];
}

/** The property: whatever the scanner takes, the full path agrees with (and accepts). */
function agrees(bytes: Buffer, s = 0, e = bytes.length): boolean {
  const got = scanned(bytes, s, e);
  if (got === null) return true;
  const ref = reference(bytes.toString('utf8', s, e));
  if (ref === 'malformed') throw new Error(`scanner took malformed JSON: ${bytes.toString('utf8', s, e)}`);
  expect(got).toEqual(ref);
  return true;
}

describe('chat chunk scanner', () => {
  it('agrees with JSON.parse + chatParser on vLLM, SGLang, OpenAI and spaced samples, and takes their token chunks', () => {
    let taken = 0;
    let total = 0;
    for (const { name, body } of samples) {
      for (const data of eventsOf(body)) {
        total++;
        const bytes = Buffer.from(data);
        agrees(bytes);
        const ref = reference(data);
        const got = scanned(bytes);
        // Plain token chunks (one content/text piece, no finish, no usage object) must take the fast path.
        const plain = /"(content|text)": ?"[^"]/.test(data) && !/"finish_reason": ?"/.test(data) && !/"usage": ?\{/.test(data) && !/"reasoning_content": ?"/.test(data);
        if (plain) expect(got, `${name}: ${data}`).toEqual(ref);
        if (got !== null) taken++;
      }
    }
    expect(total).toBeGreaterThan(25);
    expect(taken).toBeGreaterThan(8);
  });

  it('finds the event inside a larger buffer without reading past its end', () => {
    const data = '{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"n":12';
    const buf = Buffer.from(`data: ${data}}\n\n`);
    const s = 6;
    const e = s + data.length + 1;
    expect(scanned(buf, s, e)).toEqual([['output', ['content', 'hi']]]);
    // The same event cut before its closing brace: the digits and brace after `e` must not count.
    const cut = Buffer.from(`${data}34}`);
    expect(scanned(cut, 0, data.length)).toBeNull();
    expect(scanned(cut, 0, data.length - 1)).toBeNull();
  });

  it('hands every rare or odd event to the full path', () => {
    const fallback = [
      '{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}', // finish
      '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}', // usage-only final chunk
      '{"error":{"message":"boom","code":500}}', // error event
      '{"choices":[{"delta":{"content":"a"}}],"error":null}', // error key, even null
      '{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]}', // two choices
      '{"choices":[{"delta":{"content":"a","content":"b"}}]}', // duplicate key we read
      '{"choices":[{"delta":{"content":"a"}}],"choices":[]}', // duplicate top-level key
      '{"choices":[{"delta":{"cont\\u0065nt":"a"}}]}', // escaped key (equal to "content" once parsed)
      '{"choices":[{"delta":{"content":null}}]}', // null content
      '{"choices":[{"delta":null,"text":"x"}]}', // null delta
      '{"choices":[{"delta":{"content":"","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}',
      '{"choices":[{"delta":{"content":"","reasoning_content":"r"}}]}',
      '{"choices":[null]}',
      '{"choices":{"0":1}}',
      '[1,2]',
      '"a string"',
      '42',
      'null',
      '[DONE]',
      '',
      '\ufeff{"choices":[]}', // a BOM is not JSON whitespace
    ];
    for (const d of fallback) {
      expect(scanned(Buffer.from(d)), d).toBeNull();
      agrees(Buffer.from(d));
    }
  });

  it('takes escaped quotes, unicode escapes, whitespace and nested ignored fields, with the same text', () => {
    const cases: [string, Call[]][] = [
      ['{"choices":[{"delta":{"content":"say \\"hi\\""}}]}', [['output', ['content', 'say "hi"']]]],
      ['{"choices":[{"delta":{"content":"\\u00e9\\ud83d\\ude00\\n\\t\\\\"}}]}', [['output', ['content', 'é😀\n\t\\']]]],
      ['{"choices":[{"delta":{"content":"日本語"}}]}', [['output', ['content', '日本語']]]],
      [' { "choices" : [ { "delta" : { "content" : "x" } , "finish_reason" : null } ] , "usage" : null } ', [['output', ['content', 'x']]]],
      ['{"a":{"b":[1,-0.5e+3,true,false,null,{"c":"}"}]},"choices":[{"logprobs":{"content":[{"token":"x","logprob":-1.2E-7}]},"delta":{"content":"y"}}]}', [['output', ['content', 'y']]]],
      ['{"choices":[{"delta":{"content":""}}]}', []],
      ['{"choices":[{"delta":{"role":"assistant"}}]}', []],
      ['{"choices":[{"text":"t","delta":{"content":""}}]}', []], // a delta object wins over text
      ['{"id":"x"}', []],
      ['{}', []],
    ];
    for (const [d, want] of cases) {
      expect(scanned(Buffer.from(d)), d).toEqual(want);
      expect(reference(d), d).toEqual(want);
    }
  });

  it('never takes what JSON.parse rejects: grammar edge cases', () => {
    const bad = [
      '{"choices":[{"delta":{"content":"a"}}]', // unterminated
      '{"choices":[{"delta":{"content":"a}}]}', // unterminated string
      '{"choices":[{"delta":{"content":"a"}}],}', // trailing comma
      '{"choices":[{"delta":{"content":"a"},}]}',
      '{"n":01,"choices":[]}',
      '{"n":1.,"choices":[]}',
      '{"n":-,"choices":[]}',
      '{"n":1e,"choices":[]}',
      '{"n":+1,"choices":[]}',
      '{"n":.5,"choices":[]}',
      '{"n":nul,"choices":[]}',
      '{"n":truex,"choices":[]}',
      '{"n":"\\x","choices":[]}', // bad escape
      '{"n":"\\u12g4","choices":[]}',
      '{"n":"a\u0001b","choices":[]}', // raw control character
      '{"n":"a\tb","choices":[]}',
      "{'choices':[]}",
      '{"choices":[]} x',
      '{"choices":[]}{}',
      '{"choices" [] }',
      `{"n":${'['.repeat(70)}${']'.repeat(70)}}`, // deeper than the scanner goes
    ];
    for (const d of bad) {
      expect(scanned(Buffer.from(d)), d).toBeNull();
    }
  });

  it('agrees with the full path under every truncation, deletion and hostile byte of every sample event', () => {
    const subs = [0x22, 0x5c, 0x7d, 0x7b, 0x5d, 0x2c, 0x3a, 0x20, 0x78, 0x30, 0x01, 0xff, 0x6e];
    let checked = 0;
    for (const { body } of samples) {
      for (const data of eventsOf(body)) {
        const b = Buffer.from(data);
        for (let i = 0; i <= b.length; i++) {
          agrees(b, 0, i); // truncation
          checked++;
          if (i < b.length) {
            agrees(Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])); // deletion
            for (const c of subs) {
              const m = Buffer.from(b);
              m[i] = c;
              agrees(m);
            }
            checked += 1 + subs.length;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000);
  });
});

describe('SSE decoder with the bytes path', () => {
  /** Feed `body` in pieces cut at `cuts`; record what each path delivered. */
  function decode(body: Buffer, cuts: number[], bytesPath: boolean): string[] {
    const out: string[] = [];
    const d = new SseDecoder(
      (s) => out.push(`s:${s}`),
      (l) => out.push(`bad:${l}`),
      bytesPath ? (b, s, e) => out.push(`s:${b.toString('utf8', s, e)}`) : null,
    );
    let at = 0;
    for (const c of [...cuts, body.length]) {
      // A copy per read, then scribbled over after the push: the decoder must not keep the read's bytes.
      const piece = Buffer.from(body.subarray(at, c));
      d.push(piece);
      piece.fill(0x58);
      at = c;
    }
    d.end();
    return out;
  }

  it('delivers the same events with and without it, split across reads at every byte', () => {
    for (const { name, body } of samples) {
      const want = decode(body, [], false);
      expect(want.length, name).toBeGreaterThan(3);
      for (let i = 0; i <= body.length; i++) expect(decode(body, [i], true), `${name} cut at ${i}`).toEqual(want);
      // Every byte its own read.
      expect(decode(body, Array.from({ length: body.length }, (_, i) => i), true)).toEqual(want);
    }
  });

  it('keeps multi-line data, CR line ends, comments and bad lines as before', () => {
    const body = Buffer.from(': ping\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: x\ndata: {"choices":[]}\n\nnot sse\n\ndata: tail');
    for (let i = 0; i <= body.length; i++) expect(decode(body, [i], true)).toEqual(decode(body, [], false));
    expect(decode(body, [], true)).toEqual(['s:{"a":\n1}', 's:{"choices":[]}', 'bad:not sse', 's:tail']);
  });
});
