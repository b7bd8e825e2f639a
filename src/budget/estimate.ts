/**
 * Input-token estimates made before a call. The server's count is only known afterwards, so the
 * estimate must not fall short: previous usage (exact, from the server) plus the new text counted
 * with a tokenizer (gpt-tokenizer, o200k) times a margin, or a character-based count with a wide
 * margin when the server's tokenizer is unknown. Every commit records the gap.
 */
import { countTokens } from 'gpt-tokenizer';

export interface EstimatorOptions {
  /**
   * 'tokenizer': gpt-tokenizer count x margin; 'chars': (chars+1)/2, about 2x a typical BPE count;
   * 'bytes': UTF-8 bytes, a hard upper bound for byte-level BPE tokenizers (each token covers >= 1 byte).
   */
  method?: 'tokenizer' | 'chars' | 'bytes';
  /** Multiplier on the new-text count (default 1.25 for tokenizer, 1 for chars which is already wide). */
  margin?: number;
  /** Fixed tokens added per message for chat-template overhead (default 8). */
  perMessageOverhead?: number;
}

export interface InputEstimate {
  tokens: number;
  method: 'tokenizer' | 'chars' | 'bytes';
  /** Exact part carried over from the previous call's reported prompt + completion. */
  fromPreviousUsage: number;
  fromNewText: number;
}

// Special-token text (`<|endoftext|>`) is counted as plain text: servers tokenize user text so.
const PLAIN = { disallowedSpecial: new Set<string>() };
/** Longest run of non-space characters given to the BPE at once (its merge loop is quadratic in it). */
const MAX_RUN = 64;

/**
 * BPE count in linear time: long texts are cut at whitespace every ~2k characters and inside any
 * run of 64 non-space characters. A cut can only add tokens (none spans it), so this never
 * counts fewer than the whole text would; without it 100k CJK characters take over a minute.
 */
export function countBpeTokens(text: string): number {
  let n = 0, start = 0, run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (i - start >= 2048) { n += countTokens(text.slice(start, i), PLAIN); start = i; }
      run = 0;
    } else if (++run >= MAX_RUN) {
      n += countTokens(text.slice(start, i + 1), PLAIN);
      start = i + 1;
      run = 0;
    }
  }
  if (start < text.length) n += countTokens(text.slice(start), PLAIN);
  return n;
}

export function countNewTextTokens(texts: readonly string[], opts: EstimatorOptions = {}): number {
  const method = opts.method ?? 'tokenizer';
  const margin = opts.margin ?? (method === 'tokenizer' ? 1.25 : 1);
  const overhead = opts.perMessageOverhead ?? 8;
  let n = 0;
  for (const t of texts) {
    const raw = method === 'tokenizer' ? countBpeTokens(t) : method === 'bytes' ? Buffer.byteLength(t, 'utf8') : Math.ceil((t.length + 1) / 2);
    n += Math.ceil(raw * margin) + overhead;
  }
  return n;
}

/**
 * Estimate the prompt of the next turn: the previous turn's prompt and reply are already known
 * exactly from its usage; only the text appended since needs counting.
 */
export function estimateInputTokens(
  previous: { promptTokens: number; completionTokens: number } | null,
  newTexts: readonly string[],
  opts: EstimatorOptions = {},
): InputEstimate {
  const fromPreviousUsage = previous ? previous.promptTokens + previous.completionTokens : 0;
  const fromNewText = countNewTextTokens(newTexts, opts);
  return { tokens: fromPreviousUsage + fromNewText, method: opts.method ?? 'tokenizer', fromPreviousUsage, fromNewText };
}

/** Tracks estimate-vs-actual gaps so a bench or a run can report how good the estimator was. */
export class EstimateGaps {
  readonly gaps: number[] = [];
  faults = 0;
  record(estimate: number, actual: number): void {
    this.gaps.push(estimate - actual);
    if (actual > estimate) this.faults++;
  }
}
