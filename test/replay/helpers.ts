import { ManualClock, onAbortOf } from '../../src/core/index.js';
import { setMaxListeners } from 'node:events';
import type { CompletionRequest, RequestResult } from '../../src/endpoint/index.js';
import { Lane, type CallRecord, type LaneConfig } from '../../src/replay/index.js';

/** A discrete-event scheduler over a ManualClock: sleeps resolve in time order, instantly. */
export class VirtualTime {
  readonly clock = new ManualClock(1000);
  private timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = { at: this.clock.nowMs() + Math.max(0, ms), seq: this.seq++, fire: () => resolve() };
      this.timers.push(t);
      // One listener per signal for all sleepers, as the real sleep does (core onAbortOf).
      if (signal)
        onAbortOf(signal, () => {
          this.timers = this.timers.filter((x) => x !== t);
          resolve();
        });
    });

  /** Run until `done` settles (or no timer is left, or `maxMs` of virtual time passed). */
  async run<T>(done: Promise<T>, maxMs = 1e9): Promise<T> {
    let settled = false;
    let value: T;
    done.then((v) => {
      settled = true;
      value = v;
    });
    const end = this.clock.nowMs() + maxMs;
    for (;;) {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (settled) return value!;
      if (!this.timers.length) throw new Error('virtual time: deadlock (no timers and not done)');
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.timers.shift()!;
      if (t.at > end) throw new Error('virtual time: maxMs exceeded');
      this.clock.setMs(t.at);
      t.fire();
    }
  }
}

/**
 * A fake endpoint on virtual time: TTFT `ttftMs`, then one token every `itlMs`; honours the
 * request's abort signal (partial timings kept, like the real client).
 */
export function fakeSend(vt: VirtualTime, opts: { ttftMs?: number; itlMs?: number; fail?: (req: CompletionRequest) => string | null } = {}) {
  const ttft = opts.ttftMs ?? 100;
  const itl = opts.itlMs ?? 10;
  const sent: { req: CompletionRequest; tSendMs: number }[] = [];
  const send = async (req: CompletionRequest): Promise<RequestResult> => {
    const tSendNs = vt.clock.nowNs();
    sent.push({ req, tSendMs: vt.clock.nowMs() });
    const base: RequestResult = {
      requestId: String(sent.length),
      ok: true,
      errorClass: null,
      errorMessage: null,
      httpStatus: 200,
      retryAfterMs: null,
      tSendNs,
      tFirstByteNs: null,
      tFirstTokenNs: null,
      tLastTokenNs: null,
      tEndNs: tSendNs,
      tokenChunkTimesNs: [],
      tokenChunkPieces: [],
      coalescedReads: 0,
      tHeadersNs: tSendNs,
      tFirstContentNs: null,
      usage: null,
      finishReason: null,
    };
    const failure = opts.fail?.(req) ?? null;
    if (failure) {
      await vt.sleep(5);
      return { ...base, ok: false, errorClass: failure as RequestResult['errorClass'], errorMessage: failure, tEndNs: vt.clock.nowNs() };
    }
    await vt.sleep(ttft, req.signal);
    const n = req.maxTokens;
    for (let i = 0; i < n && !req.signal?.aborted; i++) {
      if (i > 0) await vt.sleep(itl, req.signal);
      if (req.signal?.aborted) break;
      const t = vt.clock.nowNs();
      base.tokenChunkTimesNs.push(t);
      base.tokenChunkPieces.push(1);
      base.tFirstTokenNs ??= t;
      base.tFirstContentNs ??= t;
      base.tLastTokenNs = t;
    }
    base.tEndNs = vt.clock.nowNs();
    if (req.signal?.aborted) return { ...base, ok: false, errorClass: 'aborted', errorMessage: 'aborted' };
    const words = (req.messages ?? []).reduce((s, m) => s + String(m.content).split(/\s+/).filter(Boolean).length + 3, 3);
    const outputText = req.keepOutputText ? Array.from({ length: n }, (_, i) => `gen${i}`).join(' ') : undefined;
    return { ...base, usage: { promptTokens: words, completionTokens: n, cachedTokens: 0 }, finishReason: 'length', ...(outputText ? { outputText } : {}) };
  };
  return { send, sent };
}

/** Run one lane in virtual time against fakeSend until it has recorded `calls` calls. */
export async function runLaneCalls(cfg: LaneConfig, calls: number) {
  const vt = new VirtualTime();
  const { send, sent } = fakeSend(vt);
  const records: CallRecord[] = [];
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const lane = new Lane(cfg, {
    clock: vt.clock,
    sleep: vt.sleep,
    signal: stop.signal,
    send: (call) => send({ ...call.request, signal: stop.signal }),
    onRecord: (r) => {
      records.push(r);
      if (records.length >= calls) stop.abort();
    },
  });
  await vt.run(lane.run());
  return { records, sent };
}
