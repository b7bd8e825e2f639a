/**
 * The simulator's tokenizer: one token per whitespace-separated word, so clients can synthesize
 * prompts of an exact length. Chat requests add a fixed template overhead per message plus a
 * fixed assistant-prompt overhead, like real chat templates, so clients must calibrate.
 *
 * Prefix-cache hashing is done in the same single pass over the characters (no word strings are
 * allocated): FNV-1a per word, chained per KV block, so a 120k-word prompt hashes in O(n).
 */

/** Template tokens added per chat message (role markers). */
export const SIM_CHAT_TOKENS_PER_MESSAGE = 3;
/** Template tokens added once per chat request (the assistant generation prompt). */
export const SIM_CHAT_TOKENS_PER_REQUEST = 3;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function isSpace(c: number): boolean {
  // ASCII whitespace plus the common Unicode spaces JS's \s covers.
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000 || c === 0x1680 || c === 0x202f || c === 0x205f;
}

/** Words of a text: the sim's tokens. */
export function simTokenize(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** Number of sim tokens in a text (no allocation of the word list). */
export function simCountTokens(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const sp = isSpace(text.charCodeAt(i));
    if (!sp && !inWord) n++;
    inWord = !sp;
  }
  return n;
}

export interface SimChatMessage {
  role: string;
  content?: unknown;
  [k: string]: unknown;
}

/** Text of a chat message's content: a string, or an array of `{type:'text', text}` parts. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join(' ');
  }
  return '';
}

/** Tool calls on an assistant message count as their function name plus argument words. */
function toolCallText(m: SimChatMessage): string {
  const calls = m.tool_calls;
  if (!Array.isArray(calls)) return '';
  return calls
    .map((c) => {
      const f = (c as { function?: { name?: unknown; arguments?: unknown } })?.function;
      return `${typeof f?.name === 'string' ? f.name : ''} ${typeof f?.arguments === 'string' ? f.arguments : ''}`;
    })
    .join(' ');
}

/** Prompt tokens of a chat request: words of every message + template overhead. */
export function simCountChatTokens(messages: readonly SimChatMessage[]): number {
  let n = SIM_CHAT_TOKENS_PER_REQUEST;
  for (const m of messages) {
    n += SIM_CHAT_TOKENS_PER_MESSAGE + simCountTokens(messageText(m.content));
    const tc = toolCallText(m);
    if (tc) n += simCountTokens(tc);
  }
  return n;
}

/**
 * Incremental token counter + chained block hasher. Feed text and template tokens in order;
 * `blockHashes` holds one hash per full block, each depending on every token before it.
 */
export class SimPromptHasher {
  tokens = 0;
  readonly blockHashes: number[] = [];
  private blockHash: number;
  constructor(readonly blockSize: number) {
    this.blockHash = FNV_OFFSET;
  }

  private endToken(h: number): void {
    // Mix the token's hash into the block hash (FNV-1a over the 4 bytes of h).
    let b = this.blockHash;
    b = Math.imul(b ^ (h & 0xff), FNV_PRIME);
    b = Math.imul(b ^ ((h >>> 8) & 0xff), FNV_PRIME);
    b = Math.imul(b ^ ((h >>> 16) & 0xff), FNV_PRIME);
    b = Math.imul(b ^ (h >>> 24), FNV_PRIME);
    this.blockHash = b;
    this.tokens++;
    if (this.tokens % this.blockSize === 0) {
      const full = this.blockHash >>> 0;
      this.blockHashes.push(full);
      // The next block starts from this one's hash: a chain, like vLLM's parent-hash blocks.
      this.blockHash = Math.imul(full ^ 0x9e, FNV_PRIME);
    }
  }

  /** Feed free text (words become tokens). */
  text(text: string): this {
    let wh = FNV_OFFSET;
    let inWord = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        if (inWord) this.endToken(wh >>> 0);
        inWord = false;
        wh = FNV_OFFSET;
      } else {
        inWord = true;
        wh = Math.imul(wh ^ c, FNV_PRIME);
      }
    }
    if (inWord) this.endToken(wh >>> 0);
    return this;
  }

  /** Feed one special (template) token, e.g. `<|im_start|>user`. */
  special(name: string): this {
    let h = 0x1234567;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
    this.endToken(h >>> 0);
    return this;
  }

  /** Feed token ids (completions `prompt` given as an integer array). */
  ids(ids: readonly number[]): this {
    for (const id of ids) this.endToken(Math.imul((id | 0) ^ 0x5bd1e995, FNV_PRIME) >>> 0);
    return this;
  }
}

/**
 * Tool and output schemas of a chat request as the template renders them into the prompt (vLLM
 * puts `tools` into the chat template; OpenAI counts `tools` and `response_format` schemas in
 * prompt_tokens): the letter/digit runs of their JSON, one sim token each. That is never more than
 * a BPE tokenizer counts for the same JSON (every such run starts at least one BPE token).
 */
export function simSchemaText(body: Record<string, unknown>): string {
  const parts: unknown[] = [];
  if (Array.isArray(body.tools) && body.tools.length > 0) parts.push(body.tools);
  if (Array.isArray(body.functions) && body.functions.length > 0) parts.push(body.functions);
  const rf = body.response_format as { type?: unknown; json_schema?: unknown } | undefined;
  if (rf && typeof rf === 'object' && rf.type === 'json_schema') parts.push(rf.json_schema);
  return parts.length ? JSON.stringify(parts).replace(/[^\p{L}\p{N}]+/gu, ' ').trim() : '';
}

/**
 * Token count and block hashes of a chat request, consistent with `simCountChatTokens` when there
 * are no schemas; `schemas` (from `simSchemaText`) come first between two template tokens.
 */
export function hashChatPrompt(messages: readonly SimChatMessage[], blockSize: number, schemas = ''): SimPromptHasher {
  const h = new SimPromptHasher(blockSize);
  if (schemas) h.special('<|tools|>').text(schemas).special('<|/tools|>');
  for (const m of messages) {
    h.special('<|start|>').special(String(m.role)).special('<|sep|>');
    h.text(messageText(m.content));
    const tc = toolCallText(m);
    if (tc) h.text(tc);
  }
  h.special('<|start|>').special('assistant').special('<|sep|>');
  return h;
}

/** Token count and block hashes of a completions prompt (string or token-id array). */
export function hashCompletionPrompt(prompt: string | readonly number[], blockSize: number): SimPromptHasher {
  const h = new SimPromptHasher(blockSize);
  return typeof prompt === 'string' ? h.text(prompt) : h.ids(prompt);
}
