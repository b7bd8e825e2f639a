/**
 * One client model over four wire APIs. Each adapter knows its path, how to build a request body
 * from a CompletionRequest, and how to read its own stream events; the timing rules are applied
 * once, in stream.ts, from what the adapter reports through a WireSink:
 *
 * - TTFT (tFirstTokenNs): the first event carrying visible output of any kind: answer text,
 *   reasoning / thinking text, or a tool call (its name or argument text).
 * - TTFO (tFirstContentNs): the first event carrying non-reasoning output (answer text or a tool call).
 * - Reasoning vs answer tokens: counted from the server's usage where it reports them
 *   (Responses `output_tokens_details.reasoning_tokens`, chat `completion_tokens_details.reasoning_tokens`;
 *   Anthropic reports none, so `reasoningTokens` stays null), never by re-tokenizing text.
 * - Events that carry no output (role-only chunks, `response.created`, `message_start`,
 *   `content_block_start` of an empty block, pings, `*.done` recaps) never move these stamps.
 */
import type { Usage } from '../types.js';

export type WireApi = 'chat' | 'completions' | 'responses' | 'messages';
export const WIRE_APIS: readonly WireApi[] = ['chat', 'completions', 'responses', 'messages'];

/** What one output-carrying event was. */
export type OutputKind = 'reasoning' | 'content' | 'tool';

/** Where an adapter reports what an event meant. */
export interface WireSink {
  /**
   * One output-carrying event. `text`: the answer text, reasoning text or tool-argument text it
   * carried (null when the event says output happened without text, e.g. a bare tool announcement).
   */
  output(kind: OutputKind, text: string | null): void;
  /** A tool call began (its id and name); optional: the recorder wants it, the hot path does not. */
  toolStart?(id: string, name: string): void;
  usage(u: Usage): void;
  finish(reason: string): void;
  /** The API's terminal event (`[DONE]`, `response.completed`, `message_stop`). */
  done(): void;
  /** An error event inside the stream. */
  error(e: unknown): void;
}

/** Reads one API's stream events (JSON-parsed `data:` payloads); may keep state per request. */
export interface WireEventParser {
  event(obj: any, sink: WireSink): void;
}

/** A normalized message: the chat-completions shape every adapter maps onto. */
export interface WireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  /** Reasoning / thinking text the assistant produced (kept when a source carries it). */
  reasoning_content?: string;
}

/** A request body of any API, read into the chat-completions model (the simulator and the proxies use it). */
export interface NormalizedRequest {
  api: WireApi;
  messages: WireMessage[];
  /** The completions API's prompt (messages is then empty). */
  prompt?: unknown;
  maxTokens?: number;
  stream: boolean;
  tools: { type: 'function'; function: { name: string; description?: string; parameters?: unknown } }[];
  /** Chat-style tool_choice: 'auto' | 'none' | 'required' | { type: 'function', function: { name } }. */
  toolChoice?: unknown;
  /** Reasoning / thinking asked for (Anthropic `thinking.budget_tokens`, Responses `reasoning`). */
  reasoningBudget?: number;
}

/** What a whole (non-streamed) response said, in the chat model. */
export interface NormalizedResponse {
  message: WireMessage;
  finishReason?: string;
  /** chat-shaped usage, the recorder's input. */
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };
  model?: string;
}
