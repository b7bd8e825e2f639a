/**
 * Prompt synthesis (DESIGN 4): chat prompts built to a trajectory's recorded token counts, keeping
 * the recorded prefix structure: a system prompt shared by every lane, then a per-lane-tree
 * cache-bust marker at the start of the first user message, then append-only growth (assistant
 * output, then the new input as a user message). When a step has `hash_ids`, the filler word at
 * token position p comes from block hash_ids[p / block_size], so equal block ids give equal text.
 *
 * Token counts follow a TokenModel calibrated per endpoint (`calibrateTokenModel`): tokens per
 * filler word, template tokens per message and per request, and the marker's size. Against the
 * simulator (one token per word) the counts are exact; elsewhere the achieved error is measured.
 */
import type { ChatMessage } from '../endpoint/index.js';
import type { LlmStep } from '../trajectory/index.js';

export interface TokenModel {
  tokensPerWord: number;
  perMessage: number;
  perRequest: number;
  markerTokens: number;
  /** How the model was obtained. */
  source: 'tokenize' | 'usage-probe' | 'assumed';
  /** Largest |achieved - target| / target seen in the calibration checks (0 = exact). */
  maxRelError: number | null;
}

/** Used only when an endpoint offers neither /tokenize nor usage; always labelled. */
export const ASSUMED_TOKEN_MODEL: TokenModel = { tokensPerWord: 1, perMessage: 3, perRequest: 3, markerTokens: 1, source: 'assumed', maxRelError: null };

// Short common words: about one token each in BPE vocabularies, one word = one sim token.
const VOCAB = (
  'the of and to in is for on that with as it be at by this from or an are was not but all can have will one ' +
  'out if no so up use do new more file line test code run add fix set get make when than then also into each ' +
  'call data time type name list value error check read write path build main func node app log case loop step ' +
  'key map item port host user text note task plan work part link send load save open find keep move copy sort ' +
  'view form rule size mode flag next last base core unit spec diff edit tool cell grid page word byte pack sync ' +
  'bind hook span mark tree root leaf hash lock wait done fail pass skip warn info kind role test dict slot ring ' +
  'heap pool job rate cost sum max min avg low high fast slow true null void int char bool long real vec math net'
).split(' ');

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

const VOCAB_BYTES = VOCAB.map((w) => Buffer.from(w, 'latin1'));
/** Bytes per word at most, with its separator. */
const WORD_MAX = Math.max(...VOCAB.map((w) => w.length)) + 1;
let scratch = Buffer.allocUnsafe(1 << 16);
/** System messages by what determines their text (shared, never changed in place). */
const systemMessages = new Map<string, ChatMessage>();

/** Deterministic filler word for (stream, position). */
export function fillerWord(stream: number, pos: number): string {
  return VOCAB[mix(stream, pos) % VOCAB.length];
}

/** The seed of the stream every lane's system prompt is drawn from (shared across lanes on purpose). */
export const SHARED_SYSTEM_STREAM = 0x5157;

/**
 * Marks a step whose `hash_ids` are a trace's record of shared content (a Mooncake request): its
 * blocks are rendered first, so requests with a common block prefix send a common token prefix, and
 * the cache-bust marker moves to the end of the blocks. Unmarked steps (synthetic hash ids, closed-loop
 * lanes replaying one trajectory) keep the marker at the start of the first user message.
 */
export const TRACE_BLOCKS: unique symbol = Symbol('agentdyno.traceBlocks');
export type TraceBlockStep = LlmStep & { [TRACE_BLOCKS]?: true };

export function markTraceBlocks(step: LlmStep): TraceBlockStep {
  return step.hash_ids?.length && step.block_size ? { ...step, [TRACE_BLOCKS]: true } : step;
}

/** Whether a step's hash ids are a trace's shared blocks (marked by the arrival schedule). */
export function isTraceBlockStep(step: LlmStep): boolean {
  return Boolean((step as TraceBlockStep)[TRACE_BLOCKS] && step.hash_ids?.length && step.block_size);
}

/** Token position where a marked step's blocks end (null: not marked, or no blocks). */
function traceBlocksEnd(step: LlmStep): number | null {
  if (!(step as TraceBlockStep)[TRACE_BLOCKS] || !step.hash_ids?.length || !step.block_size) return null;
  return Math.min(step.input_tokens, step.hash_ids.length * step.block_size);
}

export function cacheBustMarker(seed: number, lane: number, cycle: number): string {
  const hex = (mix(mix(seed, lane), cycle).toString(16).padStart(8, '0') + mix(lane, cycle ^ seed).toString(16).padStart(8, '0')).slice(0, 12);
  return `[rid:${hex}]`;
}

/**
 * The prompt of one agent instance in a lane tree. Holds its messages (append-only) and the token
 * count the model predicts for them.
 */
export class AgentPrompt {
  readonly messages: ChatMessage[] = [];
  /** Predicted prompt tokens of `messages` (including the per-request overhead). */
  tokens = 0;
  /** Times the recorded input shrank, so the prompt was rebuilt (a real compaction: a cache miss). */
  rebuilds = 0;
  private started = false;

  constructor(
    private readonly model: TokenModel,
    private readonly systemPromptTokens: number,
    private readonly marker: string,
    /** Filler stream for this agent's own content (lane- and agent-specific). */
    private readonly stream: number,
  ) {}

  private words(n: number, startPos: number, step: LlmStep | null, stream: number): string {
    const bs = step?.block_size ?? 0;
    const ids = bs > 0 ? step?.hash_ids : undefined;
    const tpw = this.model.tokensPerWord;
    // Written as bytes into one scratch buffer, decoded once (ASCII words: a flat one-byte string,
    // cheap to JSON-escape and encode): ~2x faster than an array of words and join(' ').
    if (n <= 0) return '';
    const need = n * WORD_MAX;
    if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
    const buf = scratch;
    let o = 0;
    for (let i = 0; i < n; i++) {
      const pos = startPos + Math.round(i * tpw);
      const block = ids ? Math.floor(pos / bs) : -1;
      const w = block >= 0 && block < ids!.length ? VOCAB_BYTES[mix(ids![block], pos % bs) % VOCAB_BYTES.length] : VOCAB_BYTES[mix(stream, pos) % VOCAB_BYTES.length];
      if (i > 0) buf[o++] = 32;
      for (let k = 0; k < w.length; k++) buf[o++] = w[k];
    }
    return buf.toString('latin1', 0, o);
  }

  /**
   * The system message: drawn from the shared stream (or the trace's block ids), so every lane with
   * the same size and ids gets the same text; one message object is shared, so the request body
   * cache (endpoint/body-json.ts) encodes a multi-thousand-token system prompt once, not per lane.
   */
  private systemMessage(sysWords: number, step: LlmStep): ChatMessage {
    const m = this.model;
    const bs = step.block_size ?? 0;
    const ids = bs > 0 && step.hash_ids ? step.hash_ids : null;
    // The blocks the words read (positions perMessage .. perMessage + round((n-1) * tpw)).
    const lastPos = m.perMessage + Math.round((sysWords - 1) * m.tokensPerWord);
    const idKey = ids ? ids.slice(0, Math.min(ids.length, Math.floor(lastPos / bs) + 1)).join(',') : '';
    const key = `${sysWords}|${m.perMessage}|${m.tokensPerWord}|${bs}|${idKey}`;
    let msg = systemMessages.get(key);
    if (msg === undefined) {
      msg = { role: 'system', content: this.words(sysWords, m.perMessage, step, SHARED_SYSTEM_STREAM) };
      if (systemMessages.size >= 256) systemMessages.clear(); // bounded: a few sizes per trajectory set
      systemMessages.set(key, msg);
    }
    return msg;
  }

  private wordsFor(tokens: number): number {
    return Math.max(0, Math.round(tokens / this.model.tokensPerWord));
  }

  private reset(step: LlmStep): void {
    const m = this.model;
    this.messages.length = 0;
    const sysWords = Math.max(1, this.wordsFor(this.systemPromptTokens - m.perMessage));
    // The system prompt is drawn from the shared stream unless the trace's block ids say otherwise.
    this.messages.push(this.systemMessage(sysWords, step));
    this.tokens = m.perRequest + m.perMessage + sysWords * m.tokensPerWord;
    const left = step.input_tokens - this.tokens - m.perMessage - m.markerTokens;
    const userWords = Math.max(1, this.wordsFor(left));
    const userPos = this.tokens - m.perRequest + m.perMessage;
    const blocksEnd = traceBlocksEnd(step);
    if (blocksEnd !== null) {
      // A trace's block ids are shared content: the blocks come first, identical across requests that
      // share them; the cache-bust marker starts the request's own suffix (or ends the prompt).
      const before = Math.min(userWords, Math.max(0, Math.floor((blocksEnd - userPos) / m.tokensPerWord)));
      const head = this.words(before, userPos, step, this.stream);
      const afterPos = userPos + Math.round(before * m.tokensPerWord) + m.markerTokens;
      const tail = this.words(userWords - before, afterPos, step, this.stream);
      this.messages.push({ role: 'user', content: `${head}${head ? ' ' : ''}${this.marker}${tail ? `\n\n${tail}` : ''}` });
    } else {
      this.messages.push({ role: 'user', content: `${this.marker}\n\n${this.words(userWords, userPos + m.markerTokens, step, this.stream)}` });
    }
    this.tokens += m.perMessage + m.markerTokens + userWords * m.tokensPerWord;
  }

  /**
   * Grow the prompt to `step` (recorded input_tokens). `previousOutput` is the assistant text of the
   * agent's previous call with its token count (recorded history: synthetic text of the recorded
   * length; generated history: what the server produced). Returns the messages to send (a copy of
   * the array; the strings are shared).
   */
  forStep(step: LlmStep, previousOutput: { text: string; tokens: number } | null): ChatMessage[] {
    const m = this.model;
    if (!this.started || previousOutput === null) {
      this.started = true;
      this.reset(step);
      return [...this.messages];
    }
    const afterAssistant = this.tokens + m.perMessage + previousOutput.tokens;
    const left = step.input_tokens - afterAssistant - m.perMessage;
    if (left < 0) {
      // The recorded context shrank (compaction/truncation): rebuild from the system prompt.
      this.rebuilds++;
      this.reset(step);
      return [...this.messages];
    }
    this.messages.push({ role: 'assistant', content: previousOutput.text });
    const userWords = Math.max(1, this.wordsFor(left));
    const startPos = afterAssistant - m.perRequest + m.perMessage;
    this.messages.push({ role: 'user', content: this.words(userWords, startPos, step, this.stream) });
    this.tokens = afterAssistant + m.perMessage + userWords * m.tokensPerWord;
    return [...this.messages];
  }

  /** Synthetic assistant text of `tokens` tokens at the current end of the prompt (recorded history). */
  syntheticOutput(tokens: number, step: LlmStep | null): { text: string; tokens: number } {
    const n = Math.max(1, this.wordsFor(tokens));
    const startPos = this.tokens - this.model.perRequest + this.model.perMessage;
    return { text: this.words(n, startPos, step, this.stream ^ 0xa55a), tokens };
  }
}

/** Counts chat prompt tokens on the endpoint (via /tokenize or a usage probe); null = unavailable. */
export type ChatTokenCounter = (messages: ChatMessage[]) => Promise<number | null>;

const filler = (n: number, stream: number): string => Array.from({ length: n }, (_, i) => fillerWord(stream, i)).join(' ');

/**
 * Learn the endpoint's TokenModel from a few counts, then check it on synthesized prompts of
 * several sizes and report the largest relative error. Returns null when the counter is unavailable.
 */
export async function calibrateTokenModel(count: ChatTokenCounter, source: TokenModel['source']): Promise<TokenModel | null> {
  const W1 = 200;
  const W2 = 1200;
  const c1 = await count([{ role: 'user', content: filler(W1, 7) }]);
  if (c1 === null) return null;
  const c2 = await count([{ role: 'user', content: filler(W2, 7) }]);
  const c3 = await count([
    { role: 'system', content: filler(W1, 7) },
    { role: 'user', content: filler(W1, 7) },
  ]);
  const c4 = await count([{ role: 'user', content: `${cacheBustMarker(1, 2, 3)}\n\n${filler(W1, 7)}` }]);
  if (c2 === null || c3 === null || c4 === null) return null;
  const tokensPerWord = (c2 - c1) / (W2 - W1);
  const perMessage = Math.max(0, Math.round(c3 - c1 - W1 * tokensPerWord));
  const perRequest = Math.max(0, Math.round(c1 - W1 * tokensPerWord - perMessage));
  const markerTokens = Math.max(0, Math.round(c4 - c1));
  const model: TokenModel = { tokensPerWord, perMessage, perRequest, markerTokens, source, maxRelError: null };
  // Check: synthesize two-turn prompts and compare.
  let maxRel = 0;
  for (const [sys, input, out, next] of [
    [800, 2000, 150, 3500],
    [2400, 9000, 600, 12000],
  ]) {
    const p = new AgentPrompt(model, sys, cacheBustMarker(9, 0, 0), 11);
    const first = { type: 'llm' as const, input_tokens: input, output_tokens: out };
    const m1 = p.forStep(first, null);
    const n1 = await count(m1);
    const m2 = p.forStep({ type: 'llm', input_tokens: next, output_tokens: 10 }, p.syntheticOutput(out, first));
    const n2 = await count(m2);
    if (n1 === null || n2 === null) return null;
    maxRel = Math.max(maxRel, Math.abs(n1 - input) / input, Math.abs(n2 - next) / next);
  }
  model.maxRelError = maxRel;
  return model;
}
