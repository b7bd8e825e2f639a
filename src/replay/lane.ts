/**
 * The HTTP driver of the lane program (DESIGN 4, Load model). Which trajectory, start turn,
 * warm-up, tool waits, spawn/join and recycling are the lane program's (trajectory/program.ts,
 * shared with the virtual-time planner); this file turns its actions into requests and sleeps:
 * - each tree gets its own cache-bust marker right after the shared system prompt;
 * - the warm-up request carries the context before the start turn (max_tokens 1);
 * - recorded history (default): the next turn appends synthetic text of the recorded output length,
 *   and the output length is forced; `generated` appends what the server produced;
 * - content `recorded`: a step that kept its messages sends them (marker inserted after the system
 *   message, content.ts); steps without content fall back to synthetic text of the recorded size.
 * - api `completions`: the same messages go to /v1/completions rendered as one prompt string
 *   (completions-prompt.ts), whose prefix structure is the chat one's.
 * Everything external (clock, sleeps, sending) is injected, so lanes run on a ManualClock in tests.
 */
import type { Clock, Rng } from '../core/index.js';
import type { ChatMessage, CompletionRequest, RequestResult } from '../endpoint/index.js';
import { LaneProgram, laneRng as programLaneRng, type AgentHandle, type LlmStep, type ProgramAction, type Trajectory, type WalkedStep } from '../trajectory/index.js';
import { AgentPrompt, cacheBustMarker, type TokenModel } from './prompt.js';
import { recordedMessages, recordedOutput, withMarker, type ContentMode } from './content.js';
import { promptFields, type ApiMode } from './completions-prompt.js';

export type HistoryMode = 'recorded' | 'generated';

export interface LaneCall {
  lane: number;
  /** Which tree of this lane (0 = the first, possibly mid-trajectory). */
  cycle: number;
  trajectoryId: string;
  agentId: string;
  /** Index of the step in the agent's steps. */
  step: number;
  llmTurn: number;
  warmup: boolean;
  /** When the call was due (end of the previous call + the scaled tool/think wait). */
  tSchedNs: bigint;
  request: CompletionRequest;
  promptTokensTarget: number;
  /** The trace's theoretical prefix-cache hit for this call. */
  expectedCachedTokens: number;
  outputTokensTarget: number;
  /** What the prompt is: the step's recorded messages, or synthetic text of its recorded size. */
  contentSource: 'recorded' | 'synthetic';
}

export interface CallRecord extends Omit<LaneCall, 'request'> {
  result: RequestResult;
  /** The load worker that made the call (merged levels: --workers, --redis); its own canary judges its timing. */
  worker?: string;
}

/** A recorded idle stretch of a lane (the judge reads tool waits to excuse idle lanes). */
export interface LaneIdle {
  lane: number;
  kind: 'tool' | 'think' | 'error-pause' | 'stagger' | 'between-trees';
  startNs: bigint;
  endNs: bigint;
}

export interface LaneEnv {
  clock: Clock;
  /** Every wait the lane program asked for, as scheduled. */
  onIdle?(idle: LaneIdle): void;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  send(call: LaneCall): Promise<RequestResult>;
  onRecord(rec: CallRecord): void;
  /** Abort = stop the lane: no new calls, waits end early. */
  signal: AbortSignal;
}

export interface LaneConfig {
  lane: number;
  seed: number;
  trajectories: readonly Trajectory[];
  tokenModel: TokenModel;
  toolTimeScale: number;
  /** Cap on one scaled tool/think gap (AgentX uses 10 s); null = no cap. */
  maxIdleGapMs: number | null;
  /** Start the first tree at a random root turn with one warm-up request. */
  midStart: boolean;
  /** Range of the start turn as a fraction of the root's turns (default [0, 1)). */
  startRange?: [number, number];
  history: HistoryMode;
  /** Send recorded messages where a step kept them (default synthetic). */
  content?: ContentMode;
  /** chat (default): /v1/chat/completions with messages; completions: /v1/completions with the rendered prompt. */
  api?: ApiMode;
  /** Force the output length (max_tokens = min_tokens = recorded, ignore_eos). */
  forceOutputLength: boolean;
  /** Pause after a failed call, so a dead endpoint does not spin the lane. */
  errorPauseMs: number;
  /** Start the lane after a seeded share of this ramp (staggered starts, no barrier herd); default 0. */
  rampMs?: number;
}

interface RecordedContext {
  messages: ChatMessage[];
  output: string | null;
  inputTokens: number;
  outputTokens: number;
}

function hashStr(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Scale-out (DESIGN 7): the global lane indices shard `index` of `count` runs in an N-lane level
 * (i % count === index). Lanes keep their global index, so seeds, trajectory choice and cache-bust
 * markers are the ones a single N-lane run would use for them.
 */
export function shardLanes(concurrency: number, index: number, count: number): number[] {
  const lanes: number[] = [];
  for (let i = index; i < concurrency; i += count) lanes.push(i);
  return lanes;
}

/** Lane i always draws the same trajectories and start turn for a given seed (the lane program's). */
export const laneRng: (seed: number, lane: number) => Rng = programLaneRng;

interface AgentCtx {
  prompt: AgentPrompt;
  prevOut: { text: string; tokens: number } | null;
  /** The last fast-forwarded step's recorded context (for a warm-up made of real text). */
  prevRecorded: RecordedContext | null;
  marker: string;
}

export class Lane {
  /** Resolves when the lane's warm-up request is done (at once when there is none). */
  readonly warmedUp: Promise<void>;
  /** Resolves when the lane has finished its first full (non-warm-up) call, or stopped. */
  readonly firstFullCall: Promise<void>;
  private markWarm!: () => void;
  private markFull!: () => void;
  inFlight = 0;
  readonly program: LaneProgram;
  private readonly agents = new Map<number, AgentCtx>();
  private readonly t0Ns: bigint;
  private cycle = -1;

  constructor(
    readonly cfg: LaneConfig,
    private readonly env: LaneEnv,
  ) {
    this.warmedUp = new Promise((r) => (this.markWarm = r));
    this.firstFullCall = new Promise((r) => (this.markFull = r));
    this.program = new LaneProgram({
      lane: cfg.lane,
      seed: cfg.seed,
      trajectories: cfg.trajectories,
      toolTimeScale: cfg.toolTimeScale,
      maxIdleGapMs: cfg.maxIdleGapMs,
      midStart: cfg.midStart,
      startRange: cfg.startRange,
      errorPauseMs: cfg.errorPauseMs,
    });
    this.t0Ns = env.clock.nowNs();
  }

  get treesStarted(): number {
    return this.program.treesStarted;
  }
  get treesCompleted(): number {
    return this.program.treesCompleted;
  }

  /** The program's clock: ms since the lane was made (exact for ns stamps within hours). */
  private nowMs(): number {
    return Number(this.env.clock.nowNs() - this.t0Ns) / 1e6;
  }
  private toNs(ms: number): bigint {
    return this.t0Ns + BigInt(Math.round(ms * 1e6));
  }

  /** Drive the program until the lane is stopped (signal) and everything in flight has ended. */
  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = 0;
      let failed = false;
      let warmSeen = false;
      const settle = () => {
        if (pending > 0) return;
        this.markWarm();
        this.markFull();
        resolve();
      };
      const dispatch = (acts: ProgramAction[]) => {
        if (!warmSeen && acts.some((a) => a.kind === 'call')) {
          warmSeen = true;
          if (!acts.some((a) => a.kind === 'call' && a.warmup)) this.markWarm();
        }
        for (const act of acts) {
          if (this.env.signal.aborted || failed) break;
          pending++;
          this.exec(act).then(
            (next) => {
              pending--;
              if (!this.env.signal.aborted && !failed) {
                try {
                  dispatch(next);
                } catch (e) {
                  failed = true;
                  reject(e);
                  return;
                }
              }
              settle();
            },
            (e) => {
              pending--;
              failed = true;
              reject(e);
            },
          );
        }
      };
      try {
        dispatch(this.program.startAfterStagger(this.nowMs(), this.cfg.rampMs ?? 0));
      } catch (e) {
        reject(e);
        return;
      }
      settle();
    }).finally(() => {
      this.markWarm();
      this.markFull();
    });
  }

  /** Carry out one action; returns the program's next actions. */
  private async exec(act: ProgramAction): Promise<ProgramAction[]> {
    if (act.kind === 'lane-wait' || act.kind === 'wait') {
      this.env.onIdle?.({ lane: this.cfg.lane, kind: act.wait, startNs: this.toNs(act.fromMs), endNs: this.toNs(act.untilMs) });
      const ms = act.untilMs - this.nowMs();
      if (ms > 0) await this.env.sleep(ms, this.env.signal);
      if (act.kind === 'lane-wait') return act.wait === 'stagger' ? this.program.start(this.nowMs()) : this.program.waitDone(null, this.nowMs(), act.wait);
      return this.program.waitDone(act.agent, this.nowMs(), act.wait);
    }
    const ctx = await this.ctxOf(act.agent, act.skipped);
    if (act.warmup) {
      try {
        await this.send(this.warmUpCall(act.agent, act.step, ctx));
      } finally {
        this.markWarm();
      }
      return this.program.callDone(act.agent, true, this.nowMs());
    }
    const result = await this.send(this.realCall(act.agent, act.step, act.dueMs, ctx));
    this.markFull();
    const cfg = this.cfg;
    const s = act.step.step as LlmStep;
    ctx.prevOut =
      cfg.history === 'generated' && result.ok && result.outputText !== undefined && result.usage
        ? { text: result.outputText, tokens: result.usage.completionTokens }
        : ctx.prompt.syntheticOutput(s.output_tokens, s);
    return this.program.callDone(act.agent, result.ok, this.nowMs());
  }

  /** The agent's prompt state, made on its first call; fast-forwarded steps build the context they would have left. */
  private async ctxOf(h: AgentHandle, skipped: readonly WalkedStep[]): Promise<AgentCtx> {
    let ctx = this.agents.get(h.id);
    if (!ctx) {
      const cfg = this.cfg;
      const marker = cacheBustMarker(cfg.seed, cfg.lane, h.cycle);
      const seed = (hashStr(h.agent.id) ^ Math.imul(cfg.lane + 1, 0x2545f491) ^ Math.imul(h.cycle + 1, 0x68e31da4)) >>> 0;
      ctx = { prompt: new AgentPrompt(cfg.tokenModel, h.agent.system_prompt_tokens, marker, seed), prevOut: null, prevRecorded: null, marker };
      // A lane holds one tree at a time: drop the prompts of the previous tree's agents.
      if (h.cycle !== this.cycle) {
        this.agents.clear();
        this.cycle = h.cycle;
      }
      this.agents.set(h.id, ctx);
    }
    const useRecorded = this.cfg.content === 'recorded';
    for (let i = 0; i < skipped.length; i++) {
      // Yield now and then, so a 200k-step agent leaves Ctrl-C / SIGTERM a chance to land.
      if (i % 512 === 511) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.env.signal.aborted) break;
      }
      const w = skipped[i];
      const s = w.step as LlmStep;
      ctx.prompt.forStep(s, ctx.prevOut);
      ctx.prevOut = ctx.prompt.syntheticOutput(s.output_tokens, s);
      const rm = useRecorded ? recordedMessages(s) : null;
      ctx.prevRecorded = rm ? { messages: rm, output: recordedOutput(s), inputTokens: s.input_tokens, outputTokens: s.output_tokens } : null;
    }
    return ctx;
  }

  private realCall(h: AgentHandle, w: WalkedStep, dueMs: number, ctx: AgentCtx): LaneCall {
    const cfg = this.cfg;
    const s = w.step as LlmStep;
    // The synthetic prompt grows on every step, so a later step without content still gets one.
    const synthetic = ctx.prompt.forStep(s, ctx.prevOut);
    const recorded = cfg.content === 'recorded' ? recordedMessages(s) : null;
    const messages = recorded ? withMarker(recorded, ctx.marker) : synthetic;
    const maxTokens = Math.max(1, s.output_tokens);
    return {
      lane: cfg.lane,
      cycle: h.cycle,
      trajectoryId: h.trajectory.id,
      agentId: h.agent.id,
      step: w.index,
      llmTurn: w.llmTurn,
      warmup: false,
      tSchedNs: this.toNs(dueMs),
      request: { ...promptFields(cfg.api ?? 'chat', messages), maxTokens, forceOutputLength: cfg.forceOutputLength, keepOutputText: cfg.history === 'generated' },
      promptTokensTarget: s.input_tokens,
      expectedCachedTokens: w.prefixTokens,
      outputTokensTarget: maxTokens,
      contentSource: recorded ? 'recorded' : 'synthetic',
    };
  }

  /** One request carrying the context before the start turn (ending with the previous output), max_tokens 1. */
  private warmUpCall(h: AgentHandle, w: WalkedStep, ctx: AgentCtx): LaneCall {
    const pm = this.cfg.tokenModel.perMessage;
    const { prompt, prevOut, prevRecorded } = ctx;
    // Recorded: the previous call's messages plus its recorded answer, a prefix of the start turn's messages.
    const messages: ChatMessage[] = prevRecorded
      ? [...withMarker(prevRecorded.messages, ctx.marker), ...(prevRecorded.output !== null ? [{ role: 'assistant' as const, content: prevRecorded.output }] : [])]
      : [...prompt.messages, ...(prevOut ? [{ role: 'assistant' as const, content: prevOut.text }] : [])];
    const target = prevRecorded
      ? prevRecorded.inputTokens + (prevRecorded.output !== null ? pm + prevRecorded.outputTokens : 0)
      : Math.round(prompt.tokens + (prevOut ? pm + prevOut.tokens : 0));
    return {
      lane: this.cfg.lane,
      cycle: h.cycle,
      trajectoryId: h.trajectory.id,
      agentId: h.agent.id,
      step: w.index,
      llmTurn: w.llmTurn,
      warmup: true,
      tSchedNs: this.env.clock.nowNs(),
      request: { ...promptFields(this.cfg.api ?? 'chat', messages), maxTokens: 1 },
      promptTokensTarget: target,
      expectedCachedTokens: 0,
      outputTokensTarget: 1,
      contentSource: prevRecorded ? 'recorded' : 'synthetic',
    };
  }

  private async send(call: LaneCall): Promise<RequestResult> {
    this.inFlight++;
    try {
      const result = await this.env.send(call);
      const { request: _req, ...meta } = call;
      this.env.onRecord({ ...meta, result });
      return result;
    } finally {
      this.inFlight--;
    }
  }
}
