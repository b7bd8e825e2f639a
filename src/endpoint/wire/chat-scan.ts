/**
 * A byte scanner for the one event shape that carries nearly every token of a chat / completions
 * stream: `{..., "choices":[{..., "delta":{"content":"<text>", ...}, "finish_reason":null}], ...}`
 * (or `"text":"<text>"` for completions). It answers what chatParser would report for that event
 * without decoding the bytes to a string or building objects, and gives up (FALLBACK) on anything
 * else, which then takes the full path (utf8 decode, JSON.parse, chatParser): the role chunk, the
 * finish chunk, usage, errors, tool calls, reasoning, several choices, escaped keys, duplicate keys
 * we read, keys written with escapes, and every input that is not valid JSON. It validates the whole event with JSON's
 * grammar (strings, escapes, numbers, literals, nesting), so it never accepts what JSON.parse would
 * reject: malformed-SSE detection stays JSON.parse's, on the FALLBACK path.
 *
 * Why: per event, utf8 decode + JSON.parse + the object graph was the largest client cost in a
 * profile of `replay` at 500 streams (bench/replay-cpu); this reads the ~150 bytes once.
 */

/** Not the simple shape (or not valid JSON): take the full JSON.parse path. */
export const SCAN_FALLBACK = -1;
/** Valid, and carries nothing chatParser reports (e.g. an empty content string). */
export const SCAN_NONE = 0;
/** Valid, one output piece: its text's bytes are [textStart, textEnd) (JSON-escaped if textEscaped). */
export const SCAN_CONTENT = 1;

const QUOTE = 34;
const BSLASH = 92;
const MAX_DEPTH = 64;

// Key bytes compared by length + bytes (a key with escapes: FALLBACK).
const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_CHOICES = enc('choices');
const K_USAGE = enc('usage');
const K_ERROR = enc('error');
const K_DELTA = enc('delta');
const K_TEXT = enc('text');
const K_FINISH = enc('finish_reason');
const K_CONTENT = enc('content');
const K_TOOL_CALLS = enc('tool_calls');
const K_REASONING_CONTENT = enc('reasoning_content');
const K_REASONING = enc('reasoning');

export class ChatChunkScanner {
  /** Set by SCAN_CONTENT: where the output text's (still JSON-escaped) bytes are. */
  textStart = 0;
  textEnd = 0;
  textEscaped = false;

  private b: Uint8Array = EMPTY;
  private p = 0;
  private e = 0;
  // The last string scanned (key or value): its content bytes and whether it had escapes.
  private sS = 0;
  private sE = 0;
  private sEsc = false;

  /** Scan the event `b[s, e)` (one SSE event's data). */
  scan(b: Uint8Array, s: number, e: number): number {
    this.b = b;
    this.p = s;
    this.e = e;
    const r = this.top();
    this.b = EMPTY;
    return r;
  }

  private top(): number {
    this.ws();
    if (!this.eat(123 /* { */)) return SCAN_FALLBACK;
    let seenChoices = false;
    let seenUsage = false;
    let result = SCAN_NONE;
    for (let more = this.open(); more === 1; more = this.next()) {
      const key = this.key();
      if (key === KEY_BAD) return SCAN_FALLBACK;
      if (this.keyIs(key, K_CHOICES)) {
        if (seenChoices) return SCAN_FALLBACK;
        seenChoices = true;
        // Exactly one choice, an object.
        this.ws();
        if (!this.eat(91 /* [ */)) return SCAN_FALLBACK;
        this.ws();
        if (!this.eat(123)) return SCAN_FALLBACK;
        result = this.choice();
        if (result === SCAN_FALLBACK) return SCAN_FALLBACK;
        this.ws();
        if (!this.eat(93 /* ] */)) return SCAN_FALLBACK;
      } else if (this.keyIs(key, K_USAGE)) {
        if (seenUsage || !this.nullLit()) return SCAN_FALLBACK; // a usage object is rare (the last chunk): full path
        seenUsage = true;
      } else if (this.keyIs(key, K_ERROR) || !this.value(1)) return SCAN_FALLBACK;
    }
    if (this.last !== 0) return SCAN_FALLBACK;
    this.ws();
    return this.p === this.e ? result : SCAN_FALLBACK;
  }

  /** Inside a choice object (after `{`), through its `}`. */
  private choice(): number {
    let deltaSeen = false;
    let deltaResult = SCAN_NONE;
    let finishSeen = false;
    let textSeen = false;
    let tS = 0;
    let tE = 0;
    let tEsc = false;
    for (let more = this.open(); more === 1; more = this.next()) {
      const key = this.key();
      if (key === KEY_BAD) return SCAN_FALLBACK;
      if (this.keyIs(key, K_DELTA)) {
        if (deltaSeen) return SCAN_FALLBACK;
        deltaSeen = true;
        this.ws();
        if (!this.eat(123)) return SCAN_FALLBACK; // null / other delta: full path
        deltaResult = this.delta();
        if (deltaResult === SCAN_FALLBACK) return SCAN_FALLBACK;
      } else if (this.keyIs(key, K_TEXT)) {
        if (textSeen) return SCAN_FALLBACK;
        textSeen = true;
        this.ws();
        if (this.b[this.p] !== QUOTE || !this.string()) return SCAN_FALLBACK;
        tS = this.sS;
        tE = this.sE;
        tEsc = this.sEsc;
      } else if (this.keyIs(key, K_FINISH)) {
        if (finishSeen || !this.nullLit()) return SCAN_FALLBACK; // a finish reason is rare (the last chunk): full path
        finishSeen = true;
      } else if (!this.value(3)) return SCAN_FALLBACK;
    }
    if (this.last !== 0) return SCAN_FALLBACK;
    if (deltaSeen) return deltaResult; // a delta object wins over `text` (chatParser reads text only without one)
    if (textSeen && tE > tS) {
      this.textStart = tS;
      this.textEnd = tE;
      this.textEscaped = tEsc;
      return SCAN_CONTENT;
    }
    return SCAN_NONE;
  }

  /** Inside a delta object (after `{`), through its `}`. */
  private delta(): number {
    let contentSeen = false;
    let cS = 0;
    let cE = 0;
    let cEsc = false;
    for (let more = this.open(); more === 1; more = this.next()) {
      const key = this.key();
      if (key === KEY_BAD) return SCAN_FALLBACK;
      if (this.keyIs(key, K_CONTENT)) {
        if (contentSeen) return SCAN_FALLBACK;
        contentSeen = true;
        this.ws();
        if (this.b[this.p] !== QUOTE || !this.string()) return SCAN_FALLBACK; // null content: full path
        cS = this.sS;
        cE = this.sE;
        cEsc = this.sEsc;
      } else if (this.keyIs(key, K_TOOL_CALLS) || this.keyIs(key, K_REASONING_CONTENT) || this.keyIs(key, K_REASONING)) {
        // Read by chatParser only when content is empty: null is what SGLang sends, anything else is rare.
        if (!this.nullLit()) return SCAN_FALLBACK;
      } else if (!this.value(5)) return SCAN_FALLBACK;
    }
    if (this.last !== 0) return SCAN_FALLBACK;
    if (contentSeen && cE > cS) {
      this.textStart = cS;
      this.textEnd = cE;
      this.textEscaped = cEsc;
      return SCAN_CONTENT;
    }
    return SCAN_NONE;
  }

  // Object members without closures (no allocation per event): `open` after the `{`, then per
  // member `key` + the value, then `next`. Both return 1 (a member follows), 0 (the `}` was eaten)
  // or -1 (bad JSON), and leave it in `last`.
  private last = 0;

  private open(): number {
    this.ws();
    this.last = this.eat(125 /* } */) ? 0 : 1;
    return this.last;
  }

  private next(): number {
    this.ws();
    this.last = this.eat(44 /* , */) ? 1 : this.eat(125) ? 0 : -1;
    return this.last;
  }

  /** `"key" :`; returns the key's byte length, or KEY_BAD (bad JSON, or a key with escapes: it may spell one we read). */
  private key(): number {
    this.ws();
    if (this.b[this.p] !== QUOTE || !this.string() || this.sEsc) return KEY_BAD;
    const len = this.sE - this.sS;
    this.ws();
    return this.eat(58 /* : */) ? len : KEY_BAD;
  }

  /** Is the key just scanned (length keyLen) equal to k? */
  private keyIs(keyLen: number, k: Uint8Array): boolean {
    if (keyLen !== k.length) return false;
    const b = this.b;
    const s = this.sS;
    for (let i = 0; i < keyLen; i++) if (b[s + i] !== k[i]) return false;
    return true;
  }

  /** Any JSON value, validated and skipped. */
  private value(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    this.ws();
    const c = this.b[this.p];
    if (c === QUOTE) return this.string();
    if (c === 123) {
      this.p++;
      for (let more = this.open(); more === 1; more = this.next()) if (this.key() === KEY_BAD || !this.value(depth + 1)) return false;
      return this.last === 0;
    }
    if (c === 91) {
      this.p++;
      this.ws();
      if (this.eat(93)) return true;
      for (;;) {
        if (!this.value(depth + 1)) return false;
        this.ws();
        if (this.eat(44)) continue;
        return this.eat(93);
      }
    }
    if (c === 110) return this.nullLit();
    if (c === 116) return this.lit(TRUE);
    if (c === 102) return this.lit(FALSE);
    return this.number();
  }

  /** A string at `"`: validates it, sets sS/sE/sEsc, leaves p after the closing quote. */
  private string(): boolean {
    const b = this.b;
    const e = this.e;
    let p = this.p + 1;
    this.sS = p;
    let esc = false;
    while (p < e) {
      const c = b[p];
      if (c === QUOTE) {
        this.sE = p;
        this.sEsc = esc;
        this.p = p + 1;
        return true;
      }
      if (c < 0x20) return false; // a raw control character: JSON.parse rejects it
      if (c === BSLASH) {
        esc = true;
        const n = b[p + 1];
        if (n === 117 /* u */) {
          for (let k = 2; k < 6; k++) if (!isHex(b[p + k])) return false;
          p += 6;
          continue;
        }
        // " \ / b f n r t
        if (n === QUOTE || n === BSLASH || n === 47 || n === 98 || n === 102 || n === 110 || n === 114 || n === 116) {
          p += 2;
          continue;
        }
        return false;
      }
      p++; // ASCII or a UTF-8 byte (decoding, even with replacement, never makes a quote or a control)
    }
    return false;
  }

  /** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): boolean {
    let p = this.p;
    if (this.at(p) === 45) p++;
    const c0 = this.at(p);
    if (c0 === 48) p++;
    else if (c0 >= 49 && c0 <= 57) while (isDigit(this.at(p))) p++;
    else return false;
    if (this.at(p) === 46) {
      p++;
      if (!isDigit(this.at(p))) return false;
      while (isDigit(this.at(p))) p++;
    }
    const x = this.at(p);
    if (x === 101 || x === 69) {
      p++;
      const sign = this.at(p);
      if (sign === 43 || sign === 45) p++;
      if (!isDigit(this.at(p))) return false;
      while (isDigit(this.at(p))) p++;
    }
    this.p = p;
    return true;
  }

  /** The byte at i, or -1 past the event's end (the event may sit inside a larger read buffer). */
  private at(i: number): number {
    return i < this.e ? this.b[i] : -1;
  }

  private nullLit(): boolean {
    this.ws();
    return this.lit(NULL);
  }

  private lit(w: Uint8Array): boolean {
    const b = this.b;
    const p = this.p;
    if (p + w.length > this.e) return false;
    for (let i = 0; i < w.length; i++) if (b[p + i] !== w[i]) return false;
    this.p = p + w.length;
    return true;
  }

  private ws(): void {
    const b = this.b;
    let p = this.p;
    const e = this.e;
    while (p < e) {
      const c = b[p];
      if (c === 32 || c === 9 || c === 10 || c === 13) p++;
      else break;
    }
    this.p = p;
  }

  private eat(c: number): boolean {
    if (this.p < this.e && this.b[this.p] === c) {
      this.p++;
      return true;
    }
    return false;
  }
}

const EMPTY = new Uint8Array(0);
const KEY_BAD = -1;
const NULL = enc('null');
const TRUE = enc('true');
const FALSE = enc('false');
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
