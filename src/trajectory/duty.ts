/**
 * Analytic duty cycle of one trajectory replayed alone (pure): the lane program walks the tree in
 * virtual time, each call taking uncached input / prefill speed + output / decode speed (assumed
 * speeds, no queueing), tool and think steps their recorded durations x toolTimeScale (capped);
 * `join: all` waits for the slowest child, `join: none` children only extend the lane's drain.
 */
import type { LlmStep, Trajectory } from './types.js';
import { LaneProgram, type ProgramAction } from './program.js';

export interface DutyCycleOptions {
  /** Multiplies every tool and think duration (1 = as recorded). */
  toolTimeScale?: number;
  /** Assumed decode speed per request, tokens/s (default 50). */
  assumedDecodeTokPerS?: number;
  /** Assumed prefill speed for the uncached part of the prompt, tokens/s (default 5000). */
  assumedPrefillTokPerS?: number;
  /** Cap on one tool/think gap after scaling (AgentX caps idle gaps at 10 s); default no cap. */
  maxGapMs?: number;
  /** Treat the reusable prefix as cached (default true); false prefills the whole prompt every call. */
  prefixCache?: boolean;
}

export interface DutyCycle {
  /** Lane wall time: root agent plus every sub-agent, background ones included (the lane drains them). */
  wallMs: number;
  /** Root agent's own wall time (its last step's end). */
  rootWallMs: number;
  /** Model time summed over all calls of all agents (estimated from the assumptions, not recorded timings). */
  modelMs: number;
  toolMs: number;
  thinkMs: number;
  llmCalls: number;
  /** modelMs / (modelMs + toolMs + thinkMs): share of agent-time spent waiting on the model. */
  modelFraction: number;
  /** modelMs / wallMs: mean requests in flight per lane (> modelFraction when sub-agents overlap). */
  meanInFlightRequests: number;
  assumptions: Required<Omit<DutyCycleOptions, 'maxGapMs'>> & { maxGapMs: number | null };
}

export function dutyCycle(t: Trajectory, opts: DutyCycleOptions = {}): DutyCycle {
  const a = {
    toolTimeScale: opts.toolTimeScale ?? 1,
    assumedDecodeTokPerS: opts.assumedDecodeTokPerS ?? 50,
    assumedPrefillTokPerS: opts.assumedPrefillTokPerS ?? 5000,
    prefixCache: opts.prefixCache ?? true,
    maxGapMs: opts.maxGapMs ?? null,
  };
  const acc = { modelMs: 0, toolMs: 0, thinkMs: 0, llmCalls: 0 };
  // The lane program walks the tree (one tree, from its first turn); calls take the modelled time.
  const prog = new LaneProgram({ lane: 0, seed: 0, trajectories: [t], toolTimeScale: a.toolTimeScale, maxIdleGapMs: a.maxGapMs, midStart: false, errorPauseMs: 0, recycle: false });
  const events = new MinHeap<{ at: number; act: ProgramAction }>();
  let rootEnd = 0;
  let now = 0;
  const push = (acts: ProgramAction[]) => {
    for (const act of acts) {
      if (act.kind === 'call') {
        const s = act.step.step as LlmStep;
        const prefill = a.prefixCache ? act.step.uncachedInputTokens : s.input_tokens;
        const ms = (prefill / a.assumedPrefillTokPerS + s.output_tokens / a.assumedDecodeTokPerS) * 1000;
        acc.modelMs += ms;
        acc.llmCalls++;
        events.push(now + ms, { at: now + ms, act });
      } else if (act.kind === 'wait') {
        if (act.wait === 'tool') acc.toolMs += act.untilMs - act.fromMs;
        else if (act.wait === 'think') acc.thinkMs += act.untilMs - act.fromMs;
        events.push(act.untilMs, { at: act.untilMs, act });
      }
    }
  };
  prog.onAgentEnd = (h, atMs) => {
    if (h.parentId === null) rootEnd = atMs;
  };
  push(prog.start(0));
  for (let e = events.pop(); e; e = events.pop()) {
    now = e.at;
    const act = e.act;
    if (act.kind === 'call') push(prog.callDone(act.agent, true, now));
    else if (act.kind === 'wait') push(prog.waitDone(act.agent, now, act.wait));
  }
  const busy = acc.modelMs + acc.toolMs + acc.thinkMs;
  return {
    wallMs: now,
    rootWallMs: rootEnd,
    ...acc,
    modelFraction: busy > 0 ? acc.modelMs / busy : 0,
    meanInFlightRequests: now > 0 ? acc.modelMs / now : 0,
    assumptions: a,
  };
}

/** A small binary min-heap on a number key, FIFO among equal keys. */
class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private readonly vals: T[] = [];
  private seq = 0;
  push(key: number, v: T): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.seqs.push(this.seq++);
    this.vals.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): T | undefined {
    const n = this.keys.length;
    if (!n) return undefined;
    const top = this.vals[0];
    this.swap(0, n - 1);
    this.keys.pop();
    this.seqs.pop();
    this.vals.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.keys.length && this.less(l, m)) m = l;
      if (r < this.keys.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
  private less(i: number, j: number): boolean {
    return this.keys[i] < this.keys[j] || (this.keys[i] === this.keys[j] && this.seqs[i] < this.seqs[j]);
  }
  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
    [this.seqs[i], this.seqs[j]] = [this.seqs[j], this.seqs[i]];
    [this.vals[i], this.vals[j]] = [this.vals[j], this.vals[i]];
  }
}
