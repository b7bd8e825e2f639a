/**
 * An agent lane (DESIGN 4, Load model): replays one trajectory tree at a time and recycles to the
 * next trajectory only when the whole tree, background sub-agents included, has drained.
 * - sub-agents run inside the lane: `join: all` waits for them, `join: none` runs in the background;
 * - tool and think steps wait their recorded duration x toolTimeScale (capped), end-to-start;
 * - the first tree can start mid-trajectory at a random root turn, after one warm-up request that
 *   carries the preceding context (max_tokens 1), so the measured window is not a cold start;
 * - each tree gets its own cache-bust marker right after the shared system prompt;
 * - recorded history (default): the next turn appends synthetic text of the recorded output length,
 *   and the output length is forced; `generated` appends what the server produced;
 * - content `recorded`: a step that kept its messages sends them (marker inserted after the system
 *   message, content.ts); steps without content fall back to synthetic text of the recorded size.
 * - api `completions`: the same messages go to /v1/completions rendered as one prompt string
 *   (completions-prompt.ts), whose prefix structure is the chat one's.
 * Everything external (clock, sleeps, sending) is injected, so lanes run on a ManualClock in tests.
 */
import { Rng, type Clock } from '../core/index.js';
import type { ChatMessage, CompletionRequest, RequestResult } from '../endpoint/index.js';
import { findAgent, rootAgent, walkAgent, type Trajectory } from '../trajectory/index.js';
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
}

export interface LaneEnv {
  clock: Clock;
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

/** Lane i always draws the same trajectories and start turn for a given seed, whatever the level. */
export function laneRng(seed: number, lane: number): Rng {
  return new Rng((Math.imul(seed ^ 0x27d4eb2d, 0x165667b1) + Math.imul(lane + 1, 0x9e3779b1)) >>> 0);
}

export class Lane {
  /** Resolves when the lane's warm-up request is done (at once when there is none). */
  readonly warmedUp: Promise<void>;
  private markWarm!: () => void;
  treesStarted = 0;
  treesCompleted = 0;
  inFlight = 0;
  private readonly rng: Rng;

  constructor(
    readonly cfg: LaneConfig,
    private readonly env: LaneEnv,
  ) {
    this.warmedUp = new Promise((r) => (this.markWarm = r));
    this.rng = laneRng(cfg.seed, cfg.lane);
    if (!cfg.trajectories.length) throw new RangeError('a lane needs at least one trajectory');
  }

  async run(): Promise<void> {
    const { trajectories } = this.cfg;
    let t = trajectories[this.rng.int(0, trajectories.length - 1)];
    let startTurn = 0;
    if (this.cfg.midStart) {
      const turns = walkAgent(t, rootAgent(t).id).filter((w) => w.step.type === 'llm').length;
      const [lo, hi] = this.cfg.startRange ?? [0, 1];
      startTurn = Math.min(turns - 1, Math.max(0, Math.floor((lo + (hi - lo) * this.rng.next()) * turns)));
    }
    if (startTurn === 0) this.markWarm();
    try {
      for (let cycle = 0; !this.env.signal.aborted; cycle++) {
        this.treesStarted++;
        await this.runTree(t, cycle, startTurn);
        if (this.env.signal.aborted) break;
        this.treesCompleted++;
        startTurn = 0;
        t = trajectories[this.rng.int(0, trajectories.length - 1)];
      }
    } finally {
      this.markWarm();
    }
  }

  private async runTree(t: Trajectory, cycle: number, startTurn: number): Promise<void> {
    const marker = cacheBustMarker(this.cfg.seed, this.cfg.lane, cycle);
    const background: Promise<void>[] = [];
    await this.runAgent(t, rootAgent(t).id, cycle, marker, startTurn, background);
    // The lane recycles only when background agents (join: none) have drained too.
    while (background.length) await Promise.all(background.splice(0));
  }

  private waitMs(ms: number): number {
    const scaled = ms * this.cfg.toolTimeScale;
    return this.cfg.maxIdleGapMs === null ? scaled : Math.min(scaled, this.cfg.maxIdleGapMs);
  }

  private async sleepUntil(tNs: bigint): Promise<void> {
    const ms = Number(tNs - this.env.clock.nowNs()) / 1e6;
    if (ms > 0) await this.env.sleep(ms, this.env.signal);
  }

  private async runAgent(t: Trajectory, agentId: string, cycle: number, marker: string, startTurn: number, background: Promise<void>[]): Promise<void> {
    const cfg = this.cfg;
    const agent = findAgent(t, agentId);
    const prompt = new AgentPrompt(cfg.tokenModel, agent.system_prompt_tokens, marker, (hashStr(agentId) ^ Math.imul(cfg.lane + 1, 0x2545f491) ^ Math.imul(cycle + 1, 0x68e31da4)) >>> 0);
    let prevOut: { text: string; tokens: number } | null = null;
    const useRecorded = cfg.content === 'recorded';
    // The last fast-forwarded step's recorded context (for a warm-up made of real text).
    let prevRecorded: RecordedContext | null = null;
    let sched = this.env.clock.nowNs();
    let skipping = startTurn > 0;
    for (const w of walkAgent(t, agentId)) {
      if (this.env.signal.aborted) return;
      const s = w.step;
      if (s.type === 'llm') {
        if (skipping && w.llmTurn < startTurn) {
          // Fast-forward: build the context this turn would have left behind, send nothing.
          // Yield now and then, so a 200k-step agent leaves Ctrl-C / SIGTERM a chance to land.
          if (w.llmTurn % 512 === 511) await new Promise<void>((r) => setImmediate(r));
          prompt.forStep(s, prevOut);
          prevOut = prompt.syntheticOutput(s.output_tokens, s);
          const rm = useRecorded ? recordedMessages(s) : null;
          prevRecorded = rm ? { messages: rm, output: recordedOutput(s), inputTokens: s.input_tokens, outputTokens: s.output_tokens } : null;
          continue;
        }
        if (skipping) {
          skipping = false;
          await this.warmUp(t, agentId, cycle, w.index, w.llmTurn, prompt, prevOut, prevRecorded ? { ...prevRecorded, marker } : null);
          sched = this.env.clock.nowNs();
          if (this.env.signal.aborted) return;
        }
        // The synthetic prompt grows on every step, so a later step without content still gets one.
        const synthetic = prompt.forStep(s, prevOut);
        const recorded = useRecorded ? recordedMessages(s) : null;
        const messages = recorded ? withMarker(recorded, marker) : synthetic;
        const maxTokens = Math.max(1, s.output_tokens);
        const call: LaneCall = {
          lane: cfg.lane,
          cycle,
          trajectoryId: t.id,
          agentId,
          step: w.index,
          llmTurn: w.llmTurn,
          warmup: false,
          tSchedNs: sched,
          request: { ...promptFields(cfg.api ?? 'chat', messages), maxTokens, forceOutputLength: cfg.forceOutputLength, keepOutputText: cfg.history === 'generated' },
          promptTokensTarget: s.input_tokens,
          expectedCachedTokens: w.prefixTokens,
          outputTokensTarget: maxTokens,
          contentSource: recorded ? 'recorded' : 'synthetic',
        };
        const result = await this.send(call);
        sched = this.env.clock.nowNs();
        prevOut =
          cfg.history === 'generated' && result.ok && result.outputText !== undefined && result.usage
            ? { text: result.outputText, tokens: result.usage.completionTokens }
            : prompt.syntheticOutput(s.output_tokens, s);
        if (!result.ok && !this.env.signal.aborted && cfg.errorPauseMs > 0) {
          await this.env.sleep(cfg.errorPauseMs, this.env.signal);
          sched = this.env.clock.nowNs();
        }
      } else if (s.type === 'tool' || s.type === 'think') {
        if (skipping) continue;
        sched += BigInt(Math.round(this.waitMs(s.duration_ms) * 1e6));
        await this.sleepUntil(sched);
      } else if (s.type === 'spawn') {
        if (skipping) continue; // spawned before the start turn: in the past
        const kids = s.agents
          .filter((id) => t.agents.some((a) => a.id === id))
          .map((id) => this.runAgent(t, id, cycle, marker, 0, background));
        if (s.join === 'all') {
          await Promise.all(kids);
          sched = this.env.clock.nowNs();
        } else background.push(...kids);
      }
    }
  }

  /** One request carrying the context before the start turn (ending with the previous output), max_tokens 1. */
  private async warmUp(
    t: Trajectory,
    agentId: string,
    cycle: number,
    step: number,
    llmTurn: number,
    prompt: AgentPrompt,
    prevOut: { text: string; tokens: number } | null,
    prevRecorded: (RecordedContext & { marker: string }) | null,
  ): Promise<void> {
    try {
      const pm = this.cfg.tokenModel.perMessage;
      // Recorded: the previous call's messages plus its recorded answer, a prefix of the start turn's messages.
      const messages: ChatMessage[] = prevRecorded
        ? [...withMarker(prevRecorded.messages, prevRecorded.marker), ...(prevRecorded.output !== null ? [{ role: 'assistant' as const, content: prevRecorded.output }] : [])]
        : [...prompt.messages, ...(prevOut ? [{ role: 'assistant' as const, content: prevOut.text }] : [])];
      const target = prevRecorded
        ? prevRecorded.inputTokens + (prevRecorded.output !== null ? pm + prevRecorded.outputTokens : 0)
        : Math.round(prompt.tokens + (prevOut ? pm + prevOut.tokens : 0));
      const call: LaneCall = {
        lane: this.cfg.lane,
        cycle,
        trajectoryId: t.id,
        agentId,
        step,
        llmTurn,
        warmup: true,
        tSchedNs: this.env.clock.nowNs(),
        request: { ...promptFields(this.cfg.api ?? 'chat', messages), maxTokens: 1 },
        promptTokensTarget: target,
        expectedCachedTokens: 0,
        outputTokensTarget: 1,
        contentSource: prevRecorded ? 'recorded' : 'synthetic',
      };
      await this.send(call);
    } finally {
      this.markWarm();
    }
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
