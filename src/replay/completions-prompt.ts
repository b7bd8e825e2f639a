/**
 * `--api completions` (vLLM `bench serve`'s default backend, and servers that expose only
 * /v1/completions): each lane call's messages are rendered into one prompt string with a fixed,
 * documented plain-text template, so everything upstream (synthetic prompts, recorded content,
 * cache-bust markers, append-only growth, generated history) stays the same as in chat mode.
 *
 * The template (COMPLETIONS_TEMPLATE), per message then once at the end:
 *
 *     <|role|>\n<content>\n          for each message, in order
 *     <|assistant|>\n                 the assistant cue (the generation prompt)
 *
 * The cue is exactly how the next assistant message starts, so a turn's whole prompt (cue included)
 * is a string prefix of the next turn's prompt: the server's prefix cache sees the same sharing as
 * in chat mode (shared system prompt, then the lane's marker, then append-only growth).
 * Multi-part content renders its text parts joined by newlines (other parts are dropped); an
 * assistant message's tool calls render as `name(arguments)` lines after its text.
 * The token overheads of the template (per message, per request) are calibrated like a chat template.
 */
import type { ChatMessage, CompletionRequest } from '../endpoint/index.js';

/** Which wire API replay speaks; responses and messages carry the same messages as chat (endpoint/wire maps them). */
export type ApiMode = 'chat' | 'completions' | 'responses' | 'messages';

/** One-line description of the template, for settings lines and docs. */
export const COMPLETIONS_TEMPLATE = '"<|role|>\\n<content>\\n" per message, then the assistant cue "<|assistant|>\\n"';

/** Text of a message's content: a string, the text parts of an array, '' for null/absent. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const p of content) {
    if (typeof p === 'string') parts.push(p);
    else if (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string') parts.push((p as { text: string }).text);
  }
  return parts.join('\n');
}

function toolCallLines(m: ChatMessage): string[] {
  const calls = m.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.map((c) => {
    const f = (c as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
    return `${typeof f?.name === 'string' ? f.name : 'tool'}(${typeof f?.arguments === 'string' ? f.arguments : ''})`;
  });
}

/** One message as the template renders it (`<|role|>\ncontent\n`). */
export function renderMessage(m: ChatMessage): string {
  const lines = [contentText(m.content), ...toolCallLines(m)].filter((s, i) => i === 0 || s.length > 0);
  return `<|${String(m.role)}|>\n${lines.join('\n')}\n`;
}

/** The completions prompt for a message list: every message, then the assistant cue. */
export function renderCompletionPrompt(messages: readonly ChatMessage[]): string {
  let s = '';
  for (const m of messages) s += renderMessage(m);
  return `${s}<|assistant|>\n`;
}

/** The request body fields that carry the prompt: `messages` for chat, a rendered `prompt` for completions. */
export function promptFields(api: ApiMode, messages: ChatMessage[]): Pick<CompletionRequest, 'api' | 'messages' | 'prompt'> {
  return api === 'completions' ? { api, prompt: renderCompletionPrompt(messages) } : { api, messages };
}

/** The path a mode posts to, for messages and errors. */
export const apiPath = (api: ApiMode): string => ({ chat: '/v1/chat/completions', completions: '/v1/completions', responses: '/v1/responses', messages: '/v1/messages' })[api];
