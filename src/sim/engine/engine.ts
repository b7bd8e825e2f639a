/**
 * The simulated inference engine: pure and clock-agnostic. It models iteration-level continuous
 * batching the way vLLM's v1 scheduler does, at the level of token counts:
 * - each step schedules running sequences first (decode = 1 token, unfinished prefill = a chunk),
 *   then admits waiting ones, under a per-step token budget (chunked prefill) and a sequence cap;
 * - KV is paged; full prompt blocks go into a prefix cache keyed by chained hashes (LRU eviction
 *   of unreferenced blocks); when KV is full the most recently admitted sequence is preempted and
 *   later recomputed;
 * - step time = a + b*batch + c*kvTokens + d*prefillTokens (profile, ms);
 * - power = idle + (max - idle) * utilization, integrated into an energy counter.
 * The driver calls `step(nowMs)`; the returned events happen at `endMs`.
 */
import type { Clock } from '../../core/index.js';
import type { SimProfile } from '../profile.js';
import { KvCache } from './kv.js';

export interface SimRequest {
  id: string;
  promptTokens: number;
  /** Chained hashes of the prompt's full KV blocks (see SimPromptHasher); omit for no prefix caching. */
  blockHashes?: readonly number[];
  /** Tokens to generate before finishing (the front end decides EOS / max_tokens). */
  outputTokens: number;
  /** Reported when the output target is reached. */
  finishReason?: 'stop' | 'length' | 'tool_calls';
}

export type SimFinishReason = 'stop' | 'length' | 'tool_calls' | 'abort';

export interface SimTokenEvent {
  id: string;
  /** Tokens generated for this request in this step (0 while prefilling, else 1). */
  newTokens: number;
  firstToken: boolean;
  finished: boolean;
  finishReason: SimFinishReason | null;
  generatedTokens: number;
  promptTokens: number;
  cachedTokens: number;
}

export interface SimStep {
  startMs: number;
  endMs: number;
  durationMs: number;
  batch: number;
  kvTokens: number;
  prefillTokens: number;
  decodeSeqs: number;
  utilization: number;
  powerW: number;
  preempted: string[];
  events: SimTokenEvent[];
}

export interface SimEngineStats {
  running: number;
  waiting: number;
  kvUsage: number;
  kvUsedBlocks: number;
  kvCachedBlocks: number;
  numBlocks: number;
  prefixCacheQueriesTokens: number;
  prefixCacheHitsTokens: number;
  promptTokensTotal: number;
  generationTokensTotal: number;
  preemptionsTotal: number;
  requestsFinishedTotal: number;
  requestsAbortedTotal: number;
  stepsTotal: number;
  busyMs: number;
}

interface Seq {
  req: SimRequest;
  hashes: readonly number[];
  numTokens: number;
  computed: number;
  generated: number;
  cachedTokens: number;
  admittedOnce: boolean;
  heldHashes: number[];
  privateBlocks: number;
  /** Step counter value when last preempted (an O(1) "still running?" check in the step loop). */
  preemptedAtStep: number;
}

export class SimEngineError extends Error {}

export class SimEngine {
  readonly kv: KvCache;
  private readonly waiting: Seq[] = [];
  private running: Seq[] = [];
  private readonly byId = new Map<string, Seq>();
  private lastEndMs = -Infinity;
  // Energy accounting: accumulated up to accountedMs, plus the current step.
  private energyJAcc = 0;
  private accountedMs: number | null = null;
  private cur: { startMs: number; endMs: number; powerW: number } | null = null;
  private counters = {
    prefixCacheQueriesTokens: 0,
    prefixCacheHitsTokens: 0,
    promptTokensTotal: 0,
    generationTokensTotal: 0,
    preemptionsTotal: 0,
    requestsFinishedTotal: 0,
    requestsAbortedTotal: 0,
    stepsTotal: 0,
    busyMs: 0,
  };

  constructor(
    readonly profile: SimProfile,
    private readonly clock?: Clock,
  ) {
    this.kv = new KvCache(profile.kvCache.numBlocks, profile.kvCache.blockSize, profile.kvCache.enablePrefixCaching);
  }

  private now(ms?: number): number {
    if (ms !== undefined) return ms;
    if (!this.clock) throw new SimEngineError('SimEngine needs a time: pass nowMs or construct it with a Clock');
    return this.clock.nowMs();
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.kv.blockSize);
  }

  /** Queue a request. Throws SimEngineError if it can never fit (context or whole KV). */
  submit(req: SimRequest, nowMs?: number): void {
    const t = this.now(nowMs);
    if (this.accountedMs === null) this.accountedMs = t;
    if (this.byId.has(req.id)) throw new SimEngineError(`duplicate request id ${req.id}`);
    if (req.promptTokens < 1) throw new SimEngineError('prompt must have at least 1 token');
    if (req.promptTokens >= this.profile.maxModelLen)
      throw new SimEngineError(`prompt of ${req.promptTokens} tokens exceeds max_model_len ${this.profile.maxModelLen}`);
    if (this.blocksFor(req.promptTokens + 1) > this.kv.numBlocks)
      throw new SimEngineError(`prompt of ${req.promptTokens} tokens cannot fit in the KV cache (${this.kv.numBlocks} blocks of ${this.kv.blockSize})`);
    const seq: Seq = {
      req,
      hashes: req.blockHashes ?? [],
      numTokens: req.promptTokens,
      computed: 0,
      generated: 0,
      cachedTokens: 0,
      admittedOnce: false,
      heldHashes: [],
      privateBlocks: 0,
      preemptedAtStep: -1,
    };
    this.byId.set(req.id, seq);
    this.waiting.push(seq);
  }

  /** Drop a request (client went away): frees its KV at once. Returns false if unknown/finished. */
  abort(id: string): boolean {
    const seq = this.byId.get(id);
    if (!seq) return false;
    this.byId.delete(id);
    const wi = this.waiting.indexOf(seq);
    if (wi >= 0) this.waiting.splice(wi, 1);
    const ri = this.running.indexOf(seq);
    if (ri >= 0) this.running.splice(ri, 1);
    this.releaseSeq(seq);
    this.counters.requestsAbortedTotal++;
    return true;
  }

  hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  /** The earliest time the next step may start (the end of the previous one). */
  nextStepAtMs(): number {
    return this.lastEndMs;
  }

  private releaseSeq(seq: Seq): void {
    this.kv.release(seq.heldHashes, seq.privateBlocks);
    seq.heldHashes = [];
    seq.privateBlocks = 0;
  }

  private preempt(seq: Seq, preempted: string[]): void {
    this.running.splice(this.running.indexOf(seq), 1);
    this.releaseSeq(seq);
    // Recompute: everything known so far (prompt + generated) must be prefilled again.
    seq.computed = 0;
    seq.preemptedAtStep = this.counters.stepsTotal;
    this.waiting.unshift(seq);
    this.counters.preemptionsTotal++;
    preempted.push(seq.req.id);
  }

  /** Grow a sequence's KV to hold `tokens`; preempts from the back of the running list if needed. */
  private reserve(seq: Seq, tokens: number, preempted: string[]): boolean {
    const need = this.blocksFor(tokens) - seq.heldHashes.length - seq.privateBlocks;
    while (!this.kv.allocate(need)) {
      const victim = this.running[this.running.length - 1];
      if (!victim) return false;
      this.preempt(victim, preempted);
      if (victim === seq) return false;
    }
    seq.privateBlocks += Math.max(0, need);
    return true;
  }

  /** Schedule and run one iteration starting at max(nowMs, end of the previous step). Null when idle. */
  step(nowMs?: number): SimStep | null {
    const now = this.now(nowMs);
    if (!this.hasWork()) return null;
    const startMs = Math.max(now, this.lastEndMs);
    const { maxNumBatchedTokens, maxNumSeqs } = this.profile.scheduler;
    let budget = maxNumBatchedTokens;
    const preempted: string[] = [];
    const scheduled: { seq: Seq; k: number }[] = [];

    for (const seq of [...this.running]) {
      if (budget <= 0) break;
      if (seq.preemptedAtStep === this.counters.stepsTotal) continue; // preempted by an earlier sequence this step
      const k = Math.min(seq.numTokens - seq.computed, budget);
      if (!this.reserve(seq, seq.computed + k, preempted)) continue;
      scheduled.push({ seq, k });
      budget -= k;
    }
    // Like vLLM: admit new work only when nothing had to be preempted this step.
    if (preempted.length === 0) {
      while (budget > 0 && this.waiting.length > 0 && this.running.length < maxNumSeqs) {
        const seq = this.waiting[0];
        let acquired = 0;
        if (seq.computed === 0 && seq.heldHashes.length === 0) {
          acquired = this.kv.matchPrefix(seq.hashes);
          // Always compute at least the last token, so the model has something to sample from.
          if (acquired * this.kv.blockSize >= seq.numTokens) acquired = Math.floor((seq.numTokens - 1) / this.kv.blockSize);
          this.kv.acquirePrefix(seq.hashes, acquired);
          seq.heldHashes = seq.hashes.slice(0, acquired);
          seq.computed = acquired * this.kv.blockSize;
        }
        const k = Math.min(seq.numTokens - seq.computed, budget);
        const need = this.blocksFor(seq.computed + k) - seq.heldHashes.length - seq.privateBlocks;
        if (!this.kv.allocate(need)) {
          this.releaseSeq(seq);
          seq.computed = 0;
          break;
        }
        seq.privateBlocks += Math.max(0, need);
        if (!seq.admittedOnce) {
          seq.admittedOnce = true;
          seq.cachedTokens = seq.computed;
          this.counters.promptTokensTotal += seq.req.promptTokens;
          this.counters.prefixCacheQueriesTokens += seq.numTokens;
          this.counters.prefixCacheHitsTokens += seq.computed;
        }
        this.waiting.shift();
        this.running.push(seq);
        scheduled.push({ seq, k });
        budget -= k;
      }
    }

    if (scheduled.length === 0) {
      // Nothing could run (should not happen: a lone request always fits). Avoid a hot loop.
      this.lastEndMs = startMs;
      return null;
    }

    const { a, b, c, d } = this.profile.stepTimeMs;
    let kvTokens = 0;
    let prefillTokens = 0;
    let decodeSeqs = 0;
    for (const { seq, k } of scheduled) {
      kvTokens += seq.computed + k;
      const isDecode = k === 1 && seq.generated > 0 && seq.computed === seq.numTokens - 1;
      if (isDecode) decodeSeqs++;
      else prefillTokens += k;
    }
    const durationMs = a + b * scheduled.length + c * kvTokens + d * prefillTokens;
    const endMs = startMs + durationMs;
    const { idleW, maxW, busyFloor } = this.profile.power;
    const utilization = Math.min(1, busyFloor + (1 - busyFloor) * (durationMs > 0 ? 1 - a / durationMs : 0));
    const powerW = idleW + (maxW - idleW) * utilization;
    this.foldEnergy(startMs);
    this.cur = { startMs, endMs, powerW };
    this.lastEndMs = endMs;
    this.counters.stepsTotal++;
    this.counters.busyMs += durationMs;

    const events: SimTokenEvent[] = [];
    for (const { seq, k } of scheduled) {
      seq.computed += k;
      // Full prompt blocks now computed become prefix-cache entries.
      const fullPromptBlocks = Math.min(Math.floor(Math.min(seq.computed, seq.req.promptTokens) / this.kv.blockSize), seq.hashes.length);
      while (seq.heldHashes.length < fullPromptBlocks && seq.privateBlocks > 0) {
        const h = seq.hashes[seq.heldHashes.length];
        this.kv.promote(h);
        seq.heldHashes.push(h);
        seq.privateBlocks--;
      }
      if (seq.computed < seq.numTokens) {
        events.push(this.event(seq, 0, false, null));
        continue;
      }
      // All known tokens are in KV: the model samples one more.
      seq.generated++;
      seq.numTokens++;
      this.counters.generationTokensTotal++;
      let reason: SimFinishReason | null = null;
      if (seq.generated >= seq.req.outputTokens) reason = seq.req.finishReason ?? 'length';
      else if (seq.numTokens >= this.profile.maxModelLen) reason = 'length';
      if (reason) {
        this.running.splice(this.running.indexOf(seq), 1);
        this.byId.delete(seq.req.id);
        this.releaseSeq(seq);
        this.counters.requestsFinishedTotal++;
      }
      events.push(this.event(seq, 1, seq.generated === 1, reason));
    }
    return {
      startMs,
      endMs,
      durationMs,
      batch: scheduled.length,
      kvTokens,
      prefillTokens,
      decodeSeqs,
      utilization,
      powerW,
      preempted,
      events,
    };
  }

  private event(seq: Seq, newTokens: number, firstToken: boolean, reason: SimFinishReason | null): SimTokenEvent {
    return {
      id: seq.req.id,
      newTokens,
      firstToken,
      finished: reason !== null,
      finishReason: reason,
      generatedTokens: seq.generated,
      promptTokens: seq.req.promptTokens,
      cachedTokens: seq.cachedTokens,
    };
  }

  private foldEnergy(toMs: number): void {
    if (this.accountedMs === null) this.accountedMs = toMs;
    if (this.cur) {
      this.energyJAcc += (this.cur.powerW * (this.cur.endMs - this.cur.startMs)) / 1000;
      this.accountedMs = this.cur.endMs;
      this.cur = null;
    }
    if (toMs > this.accountedMs) {
      this.energyJAcc += (this.profile.power.idleW * (toMs - this.accountedMs)) / 1000;
      this.accountedMs = toMs;
    }
  }

  /** Modelled power at a time: the running step's power, or idle. */
  powerW(nowMs?: number): number {
    const t = this.now(nowMs);
    if (this.cur && t >= this.cur.startMs && t < this.cur.endMs) return this.cur.powerW;
    return this.profile.power.idleW;
  }

  /** Energy used since the engine first saw a request (or since `startAccounting`), in joules. */
  energyJ(nowMs?: number): number {
    const t = this.now(nowMs);
    if (this.accountedMs === null) return 0;
    let e = this.energyJAcc;
    let from = this.accountedMs;
    if (this.cur) {
      const upto = Math.min(t, this.cur.endMs);
      if (upto > this.cur.startMs) e += (this.cur.powerW * (upto - this.cur.startMs)) / 1000;
      from = this.cur.endMs;
    }
    if (t > from) e += (this.profile.power.idleW * (t - from)) / 1000;
    return e;
  }

  /** Start the energy counter at a time (the server calls this at start-up so idle time counts). */
  startAccounting(nowMs?: number): void {
    if (this.accountedMs === null) this.accountedMs = this.now(nowMs);
  }

  stats(): SimEngineStats {
    return {
      running: this.running.length,
      waiting: this.waiting.length,
      kvUsage: this.kv.usage(),
      kvUsedBlocks: this.kv.usedBlocks(),
      kvCachedBlocks: this.kv.cachedBlockCount(),
      numBlocks: this.kv.numBlocks,
      ...this.counters,
    };
  }
}
