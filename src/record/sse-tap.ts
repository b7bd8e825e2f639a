/**
 * Looks at a chat-completions SSE stream as it passes through the proxy, without holding it up.
 * Events are split out of the byte stream (chunks can end mid-event or mid-character; nothing is
 * decoded as UTF-8 until an event is known to matter), and
 * only the few events that can carry what is recorded (usage, finish_reason, tool names, kept
 * content) are decoded and JSON-parsed. When the proxy added `stream_options.include_usage`
 * itself, the usage-only chunk is taken out of what the client sees (`strip`); otherwise the
 * caller forwards bytes untouched and the tap only watches.
 */
import type { RecordedExchange } from './recorder.js';

const FIRST_TOKEN = /"(content|reasoning_content)"\s*:\s*"[^"]|"tool_calls"/;
const FINISH = /"finish_reason"\s*:\s*"/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

/** Whether one SSE event (as text) is the usage-only chunk (`choices: []` + usage). */
export function isUsageOnly(ev: string): boolean {
  return ev.includes('"usage"') && EMPTY_CHOICES.test(ev);
}

/**
 * End of the first event in s[from..]: { evEnd (exclusive, before the blank line), next (after it) },
 * or undefined when no complete event is there yet. A blank line is LF LF, CRLF CRLF, or a mix.
 */
function eventEnd(s: string, from: number): { evEnd: number; next: number } | undefined {
  for (let i = s.indexOf('\n', from); i !== -1; i = s.indexOf('\n', i + 1)) {
    let j = i + 1;
    if (s.charCodeAt(j) === 0x0d) j++;
    if (s.charCodeAt(j) === 0x0a) return { evEnd: i - 1 >= from && s.charCodeAt(i - 1) === 0x0d ? i - 1 : i, next: j + 1 };
  }
  return undefined;
}

type Chunk = { usage?: RecordedExchange['usage']; choices?: { delta?: { content?: string; reasoning_content?: string; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[] };

export class SseTap {
  usage?: RecordedExchange['usage'];
  finishReason?: string;
  /** Clock time (ms) of the first event carrying a token (content, reasoning or a tool call). */
  firstTokenAtMs?: number;
  readonly toolNames: string[] = [];
  /** With keepContent: each streamed tool call whole (id, name, arguments), by its index. */
  private readonly calls: { id: string; name: string; arguments: string }[] = [];
  text = '';
  reasoning = '';
  /** Bytes of an event not yet complete. */
  private pending: Buffer | undefined;

  constructor(private readonly o: { strip: boolean; keepContent: boolean; nowMs: () => number }) {}

  /** Feed one upstream chunk. With `strip`, returns the bytes to forward (possibly none); else undefined. */
  push(chunk: Buffer): Buffer | undefined {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    // A latin1 view: one char per byte, so offsets are byte offsets, UTF-8 sequences never look
    // like ASCII delimiters, and the scanning is V8 string work (Buffer.indexOf per call costs more).
    const text = buf.toString('latin1');
    const keep: Buffer[] = [];
    let at = 0;
    let keptFrom = 0; // start of the run of events to forward (strip mode)
    for (let e = eventEnd(text, at); e; e = eventEnd(text, at)) {
      const ev = text.slice(at, e.evEnd);
      if (this.o.strip && isUsageOnly(ev)) {
        if (at > keptFrom) keep.push(buf.subarray(keptFrom, at));
        keptFrom = e.next;
      }
      this.see(ev, buf, at, e.evEnd);
      at = e.next;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at)); // a copy: the chunk's memory may be reused
    if (!this.o.strip) return undefined;
    if (at > keptFrom) keep.push(buf.subarray(keptFrom, at));
    return keep.length === 1 ? keep[0] : Buffer.concat(keep);
  }

  /** The stream ended: with `strip`, any unterminated tail to forward. */
  end(): Buffer | undefined {
    const tail = this.pending;
    this.pending = undefined;
    return this.o.strip ? tail : undefined;
  }

  /** The assistant message as recorded (content only when kept). */
  responseMessage(): NonNullable<RecordedExchange['responseMessage']> {
    return {
      role: 'assistant',
      ...(this.o.keepContent ? { content: this.text } : {}),
      ...(this.o.keepContent && this.calls.length
        ? { tool_calls: this.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
        : this.toolNames.length ? { tool_calls: this.toolNames.map((name) => ({ function: { name } })) } : {}),
      ...(this.o.keepContent && this.reasoning ? { reasoning_content: this.reasoning } : {}),
    };
  }

  /** One event: `ev` its latin1 text (for looking), buf[from, to) its bytes (decoded only to parse). */
  private see(ev: string, buf: Buffer, from: number, to: number): void {
    if (this.firstTokenAtMs === undefined && FIRST_TOKEN.test(ev)) this.firstTokenAtMs = this.o.nowMs();
    if (!(ev.includes('"usage"') || ev.includes('"tool_calls"') || this.o.keepContent || FINISH.test(ev))) return;
    const data = buf
      .toString('utf8', from, to)
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .join('');
    if (!data || data === '[DONE]') return;
    let j: Chunk;
    try {
      j = JSON.parse(data) as Chunk;
    } catch {
      return; // malformed event: forwarded as is, not recorded
    }
    if (j.usage) this.usage = j.usage;
    const ch = j.choices?.[0];
    if (ch?.finish_reason) this.finishReason = ch.finish_reason;
    for (const t of ch?.delta?.tool_calls ?? []) {
      if (t.function?.name) this.toolNames.push(t.function.name);
      if (!this.o.keepContent) continue;
      const i = typeof t.index === 'number' ? t.index : this.calls.length - (t.function?.name ? 0 : 1);
      this.calls[i] ??= { id: '', name: '', arguments: '' };
      if (t.id) this.calls[i].id = t.id;
      if (t.function?.name) this.calls[i].name = t.function.name;
      if (typeof t.function?.arguments === 'string') this.calls[i].arguments += t.function.arguments;
    }
    if (this.o.keepContent && typeof ch?.delta?.content === 'string') this.text += ch.delta.content;
    if (this.o.keepContent && typeof ch?.delta?.reasoning_content === 'string') this.reasoning += ch.delta.reasoning_content;
  }
}

