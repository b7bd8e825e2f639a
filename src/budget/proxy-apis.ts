/**
 * What a request to each API can cost at most, before it is sent: the prompt text it carries (every
 * message, tool schema, output schema and batch element), how many sequences it generates (`n`,
 * `best_of`, batch prompts) and the per-sequence output cap. What cannot be bounded from the body
 * (server-side tools that run their own loops, images of unknown cost, context stored upstream that
 * the proxy never saw) is refused with E_BUDGET_UNBOUNDED rather than guessed.
 */
import { AgentdynoError } from '../core/index.js';

export type ProxyApi = 'chat' | 'completions' | 'responses' | 'messages' | 'embeddings';

const ROUTES: Record<string, ProxyApi> = {
  'chat/completions': 'chat', completions: 'completions', responses: 'responses', messages: 'messages', embeddings: 'embeddings',
};

/** The budgeted API a POST path names (`/v1/chat/completions`, or the same without `/v1`). */
export function apiOfPath(path: string): ProxyApi | null {
  const m = /^(?:\/v1)?\/(chat\/completions|completions|responses|messages|embeddings)\/?$/.exec(path);
  return m ? ROUTES[m[1]] : null;
}

/** Template text the server adds that the body does not show (estimates, documented in docs/budget-proxy.md). */
export const OVERHEAD = {
  /** Once per request: BOS, default system preamble (Llama 3 adds ~25 tokens), generation prompt. */
  request: 32,
  /** Once when tools are declared: the template's tool-use instructions (Hermes-style ~100; Anthropic documents 346). */
  tools: { chat: 128, responses: 128, messages: 512 },
  /** Each Anthropic-defined client tool (bash, text_editor, computer, memory) carries its own long definition. */
  anthropicClientTool: 1024,
} as const;

export interface CallBound {
  api: ProxyApi;
  /** Texts to count with the estimator (each adds the per-message overhead). */
  texts: string[];
  /** Tokens known without counting: token-id prompts, stored context, template overheads, images. */
  fixedTokens: number;
  /** Sequences generated, each up to `maxTokens` (n x batch prompts; 0 for embeddings). */
  sequences: number;
  /** Requested output cap per sequence; null when the body sets none. */
  maxTokens: number | null;
  /** Output that max_tokens does not cap but is billed as output (rejected prediction tokens). */
  extraOutputTexts: string[];
}

export interface BoundOptions {
  /** Tokens to reserve per image part; unset: requests with images are refused. */
  imageTokens?: number;
  /** Prompt + output tokens of a response the proxy forwarded earlier (Responses `previous_response_id`). */
  previousResponseTokens?: (id: string) => number | undefined;
}

export function unbounded(what: string, where: string, hint: string): AgentdynoError {
  return new AgentdynoError(`the budget proxy cannot bound the cost of this request: ${what}`, { code: 'E_BUDGET_UNBOUNDED', where, hint });
}

function invalid(what: string, where: string): AgentdynoError {
  return new AgentdynoError(what, { code: 'E_INPUT_INVALID', where, hint: 'Fix the request body; nothing was reserved or sent.' });
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const json = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function positiveInt(body: Record<string, unknown>, key: string, where: string, min = 1): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalid(`${key} must be an integer >= ${min}, got ${JSON.stringify(v)}.`, `${where}.${key}`);
  return v;
}

/** Collects prompt text and fixed tokens while walking a body. */
class Prompt {
  texts: string[] = [];
  fixed: number = OVERHEAD.request;
  constructor(private readonly o: BoundOptions) {}
  text(s: unknown): void {
    const t = json(s);
    if (t) this.texts.push(t);
  }
  image(where: string): void {
    if (this.o.imageTokens === undefined) throw unbounded('it carries an image, whose token cost depends on the model and the image size.', where, 'Start the proxy with --image-tokens N (tokens to reserve per image), or send text only.');
    this.fixed += this.o.imageTokens;
  }
  /** Content parts of every API: text-like parts are text, images cost `imageTokens`, files and audio are refused. */
  parts(content: unknown, where: string): void {
    if (content === undefined || content === null) return;
    if (typeof content === 'string') return this.text(content);
    if (!Array.isArray(content)) return this.text(content);
    content.forEach((p, i) => this.part(p, `${where}[${i}]`));
  }
  private part(p: unknown, where: string): void {
    if (typeof p === 'string') return this.text(p);
    if (!isObj(p)) return this.text(p);
    const type = String(p.type ?? 'text');
    if (type === 'image_url' || type === 'input_image' || type === 'image') return this.image(where);
    if (type === 'input_audio' || type === 'input_file' || type === 'file' || type === 'container_upload') {
      throw unbounded(`it carries a ${type} part, whose token cost the proxy cannot know from the body.`, where, 'Send its text instead.');
    }
    if (type === 'document') {
      const src = isObj(p.source) ? p.source : {};
      if (src.type === 'text') return this.text(src.data);
      if (src.type === 'content') return this.parts(src.content, `${where}.source.content`);
      throw unbounded('it carries a document that is not plain text (a PDF or URL).', where, 'Send the document as text.');
    }
    if (type === 'tool_result' || type === 'search_result') {
      this.text(p.title);
      return this.parts(p.content, `${where}.content`);
    }
    if (type === 'redacted_thinking') return void (this.fixed += String(p.data ?? '').length);
    if (type === 'thinking') return this.text(p.thinking);
    if (type === 'text' || type === 'input_text' || type === 'output_text') return this.text(p.text);
    if (type === 'refusal') return this.text(p.refusal);
    if (type === 'tool_use') return (this.text(p.name), this.text(p.input));
    // Anything else (server tool results, future types): its JSON text, which over-counts.
    const { cache_control: _c, signature: _s, ...rest } = p;
    this.text(rest);
  }
}

function outputSchema(prompt: Prompt, rf: unknown): void {
  if (!isObj(rf)) return;
  if (rf.type === 'json_schema') prompt.text(rf.json_schema ?? rf.schema ?? rf);
  else if (rf.type === 'json_object') prompt.fixed += 16;
}

function toolList(body: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = body[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${key} must be an array.`, `${where}.${key}`);
  return v;
}

function chat(body: Record<string, unknown>, o: BoundOptions): CallBound {
  const where = 'chat.completions';
  const prompt = new Prompt(o);
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid('messages must be a non-empty array.', `${where}.messages`);
  body.messages.forEach((m, i) => {
    if (!isObj(m)) throw invalid('each message must be an object.', `${where}.messages[${i}]`);
    if (m.audio !== undefined && m.audio !== null) throw unbounded('an assistant message refers to earlier audio output by id.', `${where}.messages[${i}].audio`, 'Send the transcript as text.');
    const { content, role, name, tool_calls, function_call, tool_call_id } = m;
    prompt.texts.push([role, name, tool_call_id].filter((x) => typeof x === 'string').join(' '));
    prompt.parts(content, `${where}.messages[${i}].content`);
    if (tool_calls !== undefined) prompt.text(tool_calls);
    if (function_call !== undefined) prompt.text(function_call);
  });
  if (body.web_search_options !== undefined) throw unbounded('web_search_options makes the server add search results of unknown size.', `${where}.web_search_options`, 'Drop web_search_options, or search outside the model call.');
  const tools = [...toolList(body, 'tools', where), ...toolList(body, 'functions', where)];
  tools.forEach((t) => prompt.text(t));
  if (tools.length) prompt.fixed += OVERHEAD.tools.chat;
  if (isObj(body.tool_choice) || isObj(body.function_call)) prompt.text(body.tool_choice ?? body.function_call);
  outputSchema(prompt, body.response_format);
  const n = positiveInt(body, 'n', where) ?? 1;
  const maxTokens = minDefined(positiveInt(body, 'max_completion_tokens', where), positiveInt(body, 'max_tokens', where));
  const extra: string[] = [];
  if (isObj(body.prediction)) {
    // Rejected prediction tokens are billed as completion tokens on top of what max_tokens caps.
    const c = body.prediction.content;
    const t = typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => json(isObj(p) ? p.text : p)).join(' ') : '';
    for (let i = 0; i < n; i++) extra.push(t);
  }
  return { api: 'chat', texts: prompt.texts, fixedTokens: prompt.fixed, sequences: n, maxTokens: maxTokens ?? null, extraOutputTexts: extra };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** `prompt` / `input` of completions and embeddings: a string, token ids, or a batch of either. */
function batch(prompt: Prompt, v: unknown, where: string): number {
  const one = (x: unknown, w: string): void => {
    if (typeof x === 'string') prompt.texts.push(x);
    else if (Array.isArray(x) && x.every((t) => typeof t === 'number')) prompt.fixed += x.length;
    else throw invalid('a prompt must be a string or an array of token ids.', w);
  };
  if (typeof v === 'string' || v === undefined) return (one(v ?? '', where), 1);
  if (!Array.isArray(v) || v.length === 0) throw invalid('must be a string, token ids, or a non-empty array of either.', where);
  if (v.every((t) => typeof t === 'number')) return (one(v, where), 1);
  v.forEach((x, i) => one(x, `${where}[${i}]`));
  return v.length;
}

function completions(body: Record<string, unknown>, o: BoundOptions): CallBound {
  const where = 'completions';
  const prompt = new Prompt(o);
  const prompts = batch(prompt, body.prompt, `${where}.prompt`);
  prompt.fixed += OVERHEAD.request * (prompts - 1);
  if (body.suffix !== undefined && body.suffix !== null) prompt.text(body.suffix);
  const n = positiveInt(body, 'n', where) ?? 1;
  const bestOf = positiveInt(body, 'best_of', where) ?? 1;
  // best_of candidates are generated (and billed) even though only n come back.
  const perPrompt = Math.max(n, bestOf);
  return { api: 'completions', texts: prompt.texts, fixedTokens: prompt.fixed, sequences: perPrompt * prompts, maxTokens: positiveInt(body, 'max_tokens', where) ?? null, extraOutputTexts: [] };
}

function embeddings(body: Record<string, unknown>, o: BoundOptions): CallBound {
  const prompt = new Prompt(o);
  prompt.fixed = 0;
  batch(prompt, body.input, 'embeddings.input');
  return { api: 'embeddings', texts: prompt.texts, fixedTokens: prompt.fixed, sequences: 0, maxTokens: 0, extraOutputTexts: [] };
}

const RESPONSES_CLIENT_TOOLS = new Set(['function', 'custom']);

function responses(body: Record<string, unknown>, o: BoundOptions): CallBound {
  const where = 'responses';
  const prompt = new Prompt(o);
  for (const k of ['conversation', 'prompt'] as const) {
    if (body[k] !== undefined && body[k] !== null) throw unbounded(`"${k}" pulls in context stored upstream that the proxy has not seen.`, `${where}.${k}`, 'Send the input items themselves (or chain with previous_response_id of a response made through this proxy).');
  }
  if (typeof body.previous_response_id === 'string') {
    const prev = o.previousResponseTokens?.(body.previous_response_id);
    if (prev === undefined) throw unbounded(`previous_response_id ${body.previous_response_id} was not made through this proxy, so its stored context is unknown.`, `${where}.previous_response_id`, 'Chain only responses made through this proxy, or send the whole input.');
    prompt.fixed += prev;
  }
  prompt.text(body.instructions);
  const input = body.input;
  if (typeof input === 'string') prompt.text(input);
  else if (Array.isArray(input)) {
    input.forEach((item, i) => {
      const w = `${where}.input[${i}]`;
      if (typeof item === 'string') return prompt.text(item);
      if (!isObj(item)) throw invalid('each input item must be an object.', w);
      const type = String(item.type ?? 'message');
      if (type === 'item_reference') throw unbounded('an item_reference points at an item stored upstream.', w, 'Send the item itself.');
      if (type === 'message') {
        prompt.texts.push(String(item.role ?? ''));
        return prompt.parts(item.content, `${w}.content`);
      }
      if (type === 'reasoning') {
        prompt.text(item.summary);
        // Encrypted reasoning goes back into the context; its ciphertext is longer than its tokens.
        prompt.fixed += String(item.encrypted_content ?? '').length;
        return;
      }
      if (type === 'function_call_output' || type === 'custom_tool_call_output' || type === 'computer_call_output') return prompt.parts(item.output, `${w}.output`);
      const { id: _id, status: _s, ...rest } = item;
      prompt.text(rest);
    });
  } else if (input !== undefined && input !== null) throw invalid('input must be a string or an array of items.', `${where}.input`);
  const tools = toolList(body, 'tools', where);
  tools.forEach((t, i) => {
    const type = isObj(t) ? String(t.type ?? 'function') : '';
    if (!RESPONSES_CLIENT_TOOLS.has(type)) throw unbounded(`tool "${type}" runs on the server and adds results of unknown size.`, `${where}.tools[${i}]`, 'Declare function tools and run them on the client.');
    prompt.text(t);
  });
  if (tools.length) prompt.fixed += OVERHEAD.tools.responses;
  if (isObj(body.tool_choice)) prompt.text(body.tool_choice);
  if (isObj(body.text)) outputSchema(prompt, body.text.format);
  if (prompt.texts.length === 0 && prompt.fixed === OVERHEAD.request) throw invalid('input is missing.', `${where}.input`);
  return { api: 'responses', texts: prompt.texts, fixedTokens: prompt.fixed, sequences: 1, maxTokens: positiveInt(body, 'max_output_tokens', where) ?? null, extraOutputTexts: [] };
}

const ANTHROPIC_CLIENT_TOOL = /^(bash|text_editor|computer|memory)_/;

function messages(body: Record<string, unknown>, o: BoundOptions): CallBound {
  const where = 'messages';
  const prompt = new Prompt(o);
  if (body.mcp_servers !== undefined && body.mcp_servers !== null) throw unbounded('mcp_servers run tools on the server.', `${where}.mcp_servers`, 'Call MCP tools from the client.');
  prompt.parts(body.system, `${where}.system`);
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid('messages must be a non-empty array.', `${where}.messages`);
  body.messages.forEach((m, i) => {
    if (!isObj(m)) throw invalid('each message must be an object.', `${where}.messages[${i}]`);
    prompt.texts.push(String(m.role ?? ''));
    prompt.parts(m.content, `${where}.messages[${i}].content`);
  });
  const tools = toolList(body, 'tools', where);
  tools.forEach((t, i) => {
    const type = isObj(t) && typeof t.type === 'string' ? t.type : 'custom';
    if (type !== 'custom') {
      if (!ANTHROPIC_CLIENT_TOOL.test(type)) throw unbounded(`tool "${type}" runs on the server and adds results of unknown size.`, `${where}.tools[${i}]`, 'Use custom tools run by the client.');
      prompt.fixed += OVERHEAD.anthropicClientTool;
    }
    prompt.text(t);
  });
  if (tools.length) prompt.fixed += OVERHEAD.tools.messages;
  if (isObj(body.tool_choice)) prompt.text(body.tool_choice);
  return { api: 'messages', texts: prompt.texts, fixedTokens: prompt.fixed, sequences: 1, maxTokens: positiveInt(body, 'max_tokens', where) ?? null, extraOutputTexts: [] };
}

/** The worst case of `body` for `api`; throws E_BUDGET_UNBOUNDED or E_INPUT_INVALID. */
export function boundRequest(api: ProxyApi, body: Record<string, unknown>, o: BoundOptions = {}): CallBound {
  switch (api) {
    case 'chat': return chat(body, o);
    case 'completions': return completions(body, o);
    case 'responses': return responses(body, o);
    case 'messages': return messages(body, o);
    case 'embeddings': return embeddings(body, o);
  }
}

/**
 * The body to forward: its output cap set to `perSequence` (in the field the client used, or the
 * API's own), thinking budgets kept below it, and streamed usage asked for.
 */
export function clampRequest(api: ProxyApi, body: Record<string, unknown>, perSequence: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  const stream = body.stream === true;
  if (api === 'chat') {
    const fields = ['max_completion_tokens', 'max_tokens'].filter((k) => body[k] !== undefined && body[k] !== null);
    for (const k of fields.length ? fields : ['max_tokens']) out[k] = perSequence;
  } else if (api === 'completions' || api === 'messages') out.max_tokens = perSequence;
  else if (api === 'responses') out.max_output_tokens = perSequence;
  if (stream && (api === 'chat' || api === 'completions')) out.stream_options = { ...(isObj(body.stream_options) ? body.stream_options : {}), include_usage: true };
  if (api === 'messages' && isObj(body.thinking) && typeof body.thinking.budget_tokens === 'number' && body.thinking.budget_tokens >= perSequence) {
    out.thinking = { ...body.thinking, budget_tokens: Math.max(1, perSequence - 1) };
  }
  return out;
}
