/**
 * One streaming request as an undici dispatch handler. Hot path: `onResponseData` stamps
 * process.hrtime.bigint() before any decoding, then feeds the SSE decoder; every event completed by
 * that body chunk is attributed to the arrival time of the socket read that carried it (undici
 * splits one read into one call per HTTP chunk: those calls are merged into one entry, see
 * read-turn.ts). Endpoint faults never throw: the handler always resolves one RequestResult.
 */
import type { Dispatcher } from 'undici';
import { classifyError, classifyHttpStatus, mentionsContextOverflow, parseRetryAfter } from './classify.js';
import { SseDecoder } from './sse.js';
import { currentReadTurn } from './read-turn.js';
import { onAbortOf } from '../core/index.js';
import type { ErrorClass, RequestResult, Usage } from './types.js';
import { chatParser } from './wire/chat.js';
import { ChatChunkScanner, SCAN_CONTENT, SCAN_NONE } from './wire/chat-scan.js';
import type { OutputKind, WireEventParser, WireSink } from './wire/types.js';

type Controller = Dispatcher.DispatchController;

export interface StreamContext {
  redact(s: string): string;
  maxErrorBodyBytes: number;
  /**
   * No-token deadline: headers, first token and every gap between tokens. Only token-bearing chunks
   * move it (undici's bodyTimeout restarts on any chunk, keep-alives included, so it cannot be trusted
   * to end a stream of pings). 0 or absent = none.
   */
  deadlineMs?: number;
}

/** One scanner for every stream (scans are synchronous). AGENTDYNO_JSON_SCAN=0 turns it off (benchmarks). */
const scanner = process.env.AGENTDYNO_JSON_SCAN === '0' ? null : new ChatChunkScanner();

/** readTurn while the net transport names reads by their stamps (read-turn numbers are >= 1). */
const NET_READ = -2;

const snippet = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…` : s);

export class StreamRequest implements Dispatcher.DispatchHandler {
  private tHeadersNs: bigint | null = null;
  private tFirstByteNs: bigint | null = null;
  private tFirstTokenNs: bigint | null = null;
  private tFirstContentNs: bigint | null = null;
  private tLastTokenNs: bigint | null = null;
  private readonly times: bigint[] = [];
  private readonly pieces: number[] = [];
  private coalescedReads = 0;
  private status: number | null = null;
  private retryAfterMs: number | null = null;
  private errorClass: ErrorClass | null = null;
  private errorMessage: string | null = null;
  private usage: Usage | null = null;
  private finishReason: string | null = null;
  private sawDone = false;
  private readonly text: string[] | null;
  private decoder: SseDecoder | null = null;
  private errorBody: Buffer[] | null = null;
  private errorBodyLen = 0;
  private nonSseContentType: string | null = null;
  private controller: Controller | null = null;
  private settled = false;
  private unsubscribeAbort: (() => void) | null = null;
  // State of the body chunk being decoded, and of the socket read it belongs to.
  private chunkT = 0n;
  private chunkPieces = 0;
  private readTurn = -1;
  private readPieces = 0;
  /** Body chunks that carried no output (keep-alive comments, empty events, role-only deltas). */
  private idleChunks = 0;
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: StreamContext,
    private readonly requestId: string,
    readonly tSendNs: bigint,
    keepText: boolean,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (r: RequestResult) => void,
    /** The API's stream-event reader (default: chat completions / completions). */
    private readonly parser: WireEventParser = chatParser,
  ) {
    this.text = keepText ? [] : null;
    if (signal) this.unsubscribeAbort = onAbortOf(signal, this.onAbort);
    const d = ctx.deadlineMs ?? 0;
    if (d > 0) this.armDeadline(d);
  }

  private armDeadline(ms: number): void {
    this.deadline = setTimeout(this.onDeadline, Math.max(1, Math.ceil(ms)));
    this.deadline.unref?.();
  }

  /**
   * The deadline fired: re-arm for what is left since the last token, or fail with the class that
   * says how far the response got. One timer per call, never touched on the hot path.
   */
  private readonly onDeadline = (): void => {
    this.deadline = null;
    if (this.settled) return;
    const limitMs = this.ctx.deadlineMs ?? 0;
    const sinceMs = Number(process.hrtime.bigint() - (this.tLastTokenNs ?? this.tSendNs)) / 1e6;
    if (sinceMs < limitMs - 1) {
      this.armDeadline(limitMs - sinceMs);
      return;
    }
    this.fail(this.deadlineClass(), this.deadlineMessage(limitMs));
    if (this.controller && !this.controller.aborted) this.controller.abort(new Error(this.errorMessage ?? 'deadline'));
    this.finish();
  };

  /** How far a call got when it ran out of time: the timeout family. */
  private deadlineClass(): ErrorClass {
    if (this.errorBody !== null && this.status !== null && (this.status < 200 || this.status >= 300)) return classifyHttpStatus(this.status, Buffer.concat(this.errorBody).toString('utf8'));
    if (this.tHeadersNs === null) return 'no_answer';
    if (this.tFirstByteNs === null) return 'headers_only';
    if (this.tFirstTokenNs === null) return 'keepalive_only';
    return 'timeout';
  }

  private deadlineMessage(limitMs: number): string {
    const s = `${(limitMs / 1000).toFixed(limitMs < 10_000 ? 1 : 0)} s`;
    switch (this.deadlineClass()) {
      case 'no_answer':
        return `no response headers within ${s}`;
      case 'headers_only':
        return `HTTP ${this.status} headers, then no body byte within ${s}`;
      case 'keepalive_only':
        return `no token within ${s}: only ${this.idleChunks} keep-alive chunk(s) (pings, empty events)`;
      case 'timeout':
        return `no token for ${s} after the last one (${this.idleChunks} keep-alive chunk(s) do not count)`;
      default:
        return `HTTP ${this.status} error body did not end within ${s}`;
    }
  }

  /** Cancel (the caller's signal fired, or it was aborted before sending). */
  readonly onAbort = (): void => {
    this.fail('aborted', 'aborted by caller');
    if (this.controller && !this.controller.aborted) this.controller.abort(abortError());
    // Still queued for a socket: settle now; onRequestStart aborts it when it is dispatched.
    this.finish();
  };

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.settled) controller.abort(abortError());
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational
    this.tHeadersNs = process.hrtime.bigint();
    this.status = statusCode;
    const ctype = String(headers['content-type'] ?? '');
    if (statusCode >= 200 && statusCode < 300 && (ctype === '' || ctype.includes('text/event-stream'))) {
      this.decoder = new SseDecoder(this.onEvent, this.onBadLine, scanner !== null && this.parser === chatParser ? this.onEventBytes : null);
      return;
    }
    if (statusCode < 300) this.nonSseContentType = ctype;
    this.retryAfterMs = parseRetryAfter(headers['retry-after']);
    this.errorBody = [];
  }

  /** tNs: the socket read's stamp when the transport took it (net transport); else stamped here. */
  onResponseData(controller: Controller, chunk: Buffer, tNs?: bigint): void {
    const t = tNs ?? process.hrtime.bigint(); // stamp first: nothing before this line may do work
    if (this.tFirstByteNs === null) this.tFirstByteNs = t;
    const decoder = this.decoder;
    if (decoder === null) {
      if (this.errorBody && this.errorBodyLen < this.ctx.maxErrorBodyBytes) {
        this.errorBody.push(Buffer.from(chunk)); // a copy: the transport may reuse the read's buffer
        this.errorBodyLen += chunk.length;
      }
      return;
    }
    // Which socket read this call belongs to: the net transport passes the read's stamp (the same
    // value for every slice of one read); undici's calls are told apart by read-turn.ts.
    let newRead: boolean;
    if (tNs !== undefined) {
      newRead = this.readTurn !== NET_READ || tNs !== this.chunkT;
      this.readTurn = NET_READ;
    } else {
      const turn = currentReadTurn();
      newRead = turn !== this.readTurn;
      this.readTurn = turn;
    }
    if (newRead) {
      this.chunkT = t; // the read's arrival: the first call of the read stamps it
      this.readPieces = 0;
    }
    this.chunkPieces = 0;
    decoder.push(chunk);
    if (this.chunkPieces > 0) {
      const before = this.readPieces;
      this.readPieces = before + this.chunkPieces;
      if (before === 0) {
        this.times.push(this.chunkT);
        this.pieces.push(this.readPieces);
      } else this.pieces[this.pieces.length - 1] = this.readPieces;
      if (before <= 1 && this.readPieces > 1) this.coalescedReads++;
      if (this.tFirstTokenNs === null) this.tFirstTokenNs = this.chunkT;
      this.tLastTokenNs = this.chunkT;
    } else this.idleChunks++;
    if (this.errorClass !== null && !controller.aborted) controller.abort(new Error(this.errorMessage ?? 'stream fault'));
  }

  onResponseEnd(): void {
    if (this.decoder) this.decoder.end();
    if (this.errorClass === null) this.classifyEnd();
    this.finish();
  }

  onResponseError(_c: Controller, err: Error): void {
    if (this.errorClass === null) {
      const code = (err as { code?: string }).code;
      // undici's own header/body timeouts: say how far the response got, as the deadline does.
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') this.fail(this.deadlineClass(), `${code}: ${this.deadlineMessage(this.ctx.deadlineMs ?? 0)}`);
      else this.fail(classifyError(err), `${code ? `${code}: ` : ''}${err.message}`);
    }
    this.finish();
  }

  private readonly onBadLine = (line: string): void => {
    this.fail('malformed_sse', `line is not SSE: ${snippet(line, 120)}`);
  };

  /**
   * A one-line event as bytes (chat / completions only): the common token chunk is read by the
   * byte scanner (wire/chat-scan.ts) with no decode and no JSON.parse; every other event, and
   * anything the scanner does not accept as valid JSON of that shape, takes onEvent.
   */
  private readonly onEventBytes = (buf: Buffer, start: number, end: number): void => {
    if (this.errorClass !== null) return;
    const sc = scanner!;
    const r = sc.scan(buf, start, end);
    if (r === SCAN_CONTENT) {
      // The text only when it is kept (history: generated); escaped text via JSON.parse of the string.
      const text = this.text === null ? null : sc.textEscaped ? (JSON.parse(buf.toString('utf8', sc.textStart - 1, sc.textEnd + 1)) as string) : buf.toString('utf8', sc.textStart, sc.textEnd);
      this.sink.output('content', text);
      return;
    }
    if (r === SCAN_NONE) return;
    this.onEvent(buf.toString('utf8', start, end));
  };

  private readonly onEvent = (data: string): void => {
    if (this.errorClass !== null) return;
    // An event with no data is a keep-alive (the SSE spec does not even dispatch it; gateways send it).
    if (data === '') return;
    if (data === '[DONE]') {
      this.sawDone = true;
      return;
    }
    // Events the byte scanner did not take (or every event, for the other APIs) are JSON.parsed:
    // the complete malformed-JSON check. The scanner validates JSON's grammar itself, so what it
    // takes is never malformed.
    let obj: any;
    try {
      obj = JSON.parse(data);
    } catch {
      this.fail('malformed_sse', `data is not JSON: ${snippet(data, 120)}`);
      return;
    }
    if (obj === null || typeof obj !== 'object') {
      this.fail('malformed_sse', `data is not a JSON object: ${snippet(data, 120)}`);
      return;
    }
    if (obj.error) return this.inStreamError(obj.error);
    // The API's adapter says what the event meant; the timing rules below are the same for all.
    this.parser.event(obj, this.sink);
  };

  /** What the wire adapter reports (wire/types.ts): one place applies TTFT / TTFO for every API. */
  private readonly sink: WireSink = {
    output: (kind: OutputKind, text: string | null) => {
      this.chunkPieces++;
      if (kind !== 'reasoning' && this.tFirstContentNs === null) this.tFirstContentNs = this.chunkT;
      if (kind === 'content' && this.text && text) this.text.push(text);
    },
    usage: (u: Usage) => {
      this.usage = u;
    },
    finish: (reason: string) => {
      this.finishReason = reason;
    },
    done: () => {
      this.sawDone = true;
    },
    error: (e: unknown) => this.inStreamError(e),
  };

  /** vLLM and others report failures mid-stream as `data: {"error": {...}}`. */
  private inStreamError(e: any): void {
    const msg = typeof e === 'string' ? e : String(e?.message ?? JSON.stringify(e));
    const code = Number(e?.code ?? e?.status);
    let cls: ErrorClass = 'other';
    if (mentionsContextOverflow(msg)) cls = 'context_overflow';
    else if (code >= 400 && code < 600) cls = classifyHttpStatus(code, msg);
    this.fail(cls, `error event in stream: ${snippet(msg)}`);
  }

  private classifyEnd(): void {
    const status = this.status ?? 0;
    if (this.errorBody !== null) {
      const body = Buffer.concat(this.errorBody).toString('utf8');
      if (this.nonSseContentType !== null) {
        this.fail('malformed_sse', `HTTP ${status} with content-type "${this.nonSseContentType}" instead of text/event-stream: ${snippet(body, 120)}`);
        return;
      }
      this.fail(classifyHttpStatus(status, body), `HTTP ${status}: ${snippet(errorText(body))}`);
      return;
    }
    if (!this.sawDone && this.finishReason === null) {
      this.fail('early_close', 'stream ended without its terminal event ([DONE], response.completed, message_stop) or a finish reason');
      return;
    }
    if (this.usage === null) {
      this.fail('missing_usage', 'stream completed without a usage block (stream_options.include_usage ignored?)');
    }
  }

  private fail(cls: ErrorClass, message: string): void {
    if (this.errorClass !== null) return; // first fault wins
    this.errorClass = cls;
    this.errorMessage = message;
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.unsubscribeAbort?.();
    const redact = this.ctx.redact;
    const result: RequestResult = {
      requestId: this.requestId,
      ok: this.errorClass === null,
      errorClass: this.errorClass,
      errorMessage: this.errorMessage === null ? null : redact(this.errorMessage),
      httpStatus: this.status,
      retryAfterMs: this.retryAfterMs,
      tSendNs: this.tSendNs,
      tHeadersNs: this.tHeadersNs,
      tFirstByteNs: this.tFirstByteNs,
      tFirstTokenNs: this.tFirstTokenNs,
      tFirstContentNs: this.tFirstContentNs,
      tLastTokenNs: this.tLastTokenNs,
      tEndNs: process.hrtime.bigint(),
      tokenChunkTimesNs: this.times,
      tokenChunkPieces: this.pieces,
      coalescedReads: this.coalescedReads,
      usage: this.usage,
      finishReason: this.finishReason,
    };
    if (this.text) result.outputText = redact(this.text.join(''));
    this.resolve(result);
  }
}

/** The human part of an OpenAI-style error body, else the raw text. */
function errorText(body: string): string {
  try {
    const o = JSON.parse(body);
    const m = o?.error?.message ?? o?.message ?? o?.detail ?? o?.error;
    if (typeof m === 'string') return m;
  } catch {
    /* not JSON */
  }
  return body;
}

function abortError(): Error {
  const e = new Error('aborted by caller');
  e.name = 'AbortError';
  return e;
}
