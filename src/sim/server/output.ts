/**
 * Turns engine token events into OpenAI-shaped chunks (chat or completions), grouped N tokens per
 * chunk, and writes them with the configured SSE habits and faults.
 */
import type { ServerResponse } from 'node:http';
import type { SimStreamHabits } from './options.js';

const VOCAB = ['the', 'model', 'reads', 'a', 'file', 'and', 'runs', 'tests', 'then', 'edits', 'code', 'to', 'fix', 'bug', 'in', 'kernel', 'with', 'care', 'so', 'it', 'passes'];

/** The i-th generated word: one sim token; words joined by spaces re-tokenize to the same count. */
export function simWord(i: number): string {
  return VOCAB[(i * 7 + 3) % VOCAB.length];
}

export type PieceKind = 'reasoning' | 'content' | 'tool';

/** Plan of what each output token is: reasoning, then content or a tool call's argument text. */
export class OutputPlan {
  constructor(
    readonly reasoningTokens: number,
    readonly tool: { name: string; id: string } | null,
  ) {}

  kind(i: number): PieceKind {
    if (i < this.reasoningTokens) return 'reasoning';
    return this.tool ? 'tool' : 'content';
  }

  /** Text of token i; `last` closes a tool call's JSON arguments. */
  piece(i: number, last: boolean): string {
    const k = this.kind(i);
    const w = simWord(i);
    if (k === 'reasoning') return i === 0 ? w : ' ' + w;
    if (k === 'content') return i === this.reasoningTokens ? w : ' ' + w;
    const first = i === this.reasoningTokens;
    return (first ? '{"query": "' + w : ' ' + w) + (last ? '"}' : '');
  }
}

/** SSE writer with habits: data prefix, line endings, pings, and a stall that holds delivery. */
export class SseWriter {
  private readonly eol: string;
  private readonly prefix: string;
  private queue: string[] = [];
  private stalledUntil = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private endAfterQueue = false;

  constructor(
    private readonly res: ServerResponse,
    habits: SimStreamHabits,
  ) {
    this.eol = habits.crlf ? '\r\n' : '\n';
    this.prefix = habits.dataNoSpace ? 'data:' : 'data: ';
    if (habits.pingMs && habits.pingMs > 0) {
      this.pingTimer = setInterval(() => this.raw(`: ping${this.eol}${this.eol}`), habits.pingMs);
      this.pingTimer.unref();
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  event(obj: unknown): void {
    this.raw(`${this.prefix}${JSON.stringify(obj)}${this.eol}${this.eol}`);
  }

  /** An event with an `event:` line (Responses and Messages APIs; Anthropic's SDK needs the name). */
  named(name: string, obj: unknown): void {
    this.raw(`event: ${name}${this.eol}${this.prefix}${JSON.stringify(obj)}${this.eol}${this.eol}`);
  }

  /** A data line that is not JSON (fault injection). */
  malformed(): void {
    this.raw(`${this.prefix}{"choices": [{"delta": {"content": "unterminated${this.eol}${this.eol}`);
  }

  done(): void {
    this.raw(`${this.prefix}[DONE]${this.eol}${this.eol}`);
  }

  raw(s: string): void {
    if (this.ended) return;
    if (this.stalledUntil > 0) this.queue.push(s);
    else this.res.write(s);
  }

  /** Hold everything written for `ms` (a stall), then flush. */
  stall(ms: number): void {
    if (this.stalledUntil > 0 || this.ended) return;
    this.stalledUntil = Date.now() + ms;
    this.stallTimer = setTimeout(() => {
      this.stalledUntil = 0;
      const q = this.queue;
      this.queue = [];
      for (const s of q) this.res.write(s);
      if (this.endAfterQueue) this.end();
    }, ms);
  }

  /** End the response (after any stalled data). */
  end(): void {
    if (this.ended) return;
    if (this.stalledUntil > 0) {
      this.endAfterQueue = true;
      return;
    }
    this.ended = true;
    this.stopTimers();
    this.res.end();
  }

  /** Abrupt stop: TCP reset. */
  reset(): void {
    this.ended = true;
    this.stopTimers();
    const sock = this.res.socket;
    // Give what was written a moment to reach the client (an RST discards unread data), then reset.
    setTimeout(() => {
      if (sock && typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
      else sock?.destroy();
    }, 20);
  }

  stopTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.pingTimer = null;
    this.stallTimer = null;
  }
}
