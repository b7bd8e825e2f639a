import { Ajv, type ValidateFunction } from 'ajv';
import { request } from 'undici';
import { AgentBudgetTree, BudgetRefusedError, CommitOut, estimateInputTokens, type Reservation } from '../../budget/index.js';
import { AgentdynoError, errorMessage, redactSecrets, registerSecret } from '../../core/index.js';
import type { Agent, AgentTurn, TurnContext } from '../agent.js';
import { isEditable, safeRel } from '../workspace.js';

export interface LlmAgentOptions {
  /** Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 */
  target: string;
  model: string;
  /** Name of the env var holding the API key (never logged or stored). */
  apiKeyEnv?: string;
  maxTokensPerCall?: number;
  /** Model calls allowed inside one iteration before the harness runs what is there. */
  maxCallsPerTurn?: number;
  temperature?: number;
  timeoutMs?: number;
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}
type Message =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

const SCHEMAS = {
  read_file: { type: 'object', properties: { path: { type: 'string', minLength: 1 } }, required: ['path'], additionalProperties: false },
  write_file: { type: 'object', properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } }, required: ['path', 'content'], additionalProperties: false },
  run_experiment: {
    type: 'object',
    properties: {
      note: { type: 'string' },
      params: { type: 'object', additionalProperties: { type: ['number', 'string'] } },
      expected_value: { type: 'number' },
    },
    additionalProperties: false,
  },
  submit: { type: 'object', properties: { reason: { type: 'string' } }, additionalProperties: false },
} as const;

const DESCRIPTIONS: Record<keyof typeof SCHEMAS, string> = {
  read_file: 'Read a file of the workspace (your current version).',
  write_file: 'Replace the whole content of an editable workspace file. Takes effect at the next run_experiment.',
  run_experiment: 'Build, check and measure the workspace with your edits (and optional params). The result comes back as this call\'s result.',
  submit: 'Stop: you are done. The best measured version counts.',
};

export const LLM_TOOLS = Object.entries(SCHEMAS).map(([name, parameters]) => ({
  type: 'function' as const,
  function: { name, description: DESCRIPTIONS[name as keyof typeof SCHEMAS], parameters },
}));

/** An agent driven by any OpenAI-compatible chat endpoint with tool calls (non-streaming). */
export class LlmAgent implements Agent {
  readonly name = 'llm';
  private readonly messages: Message[] = [];
  private readonly validators: Record<string, ValidateFunction>;
  private pendingRunId: string | null = null;
  private readonly apiKey: string | undefined;

  /** The target without URL credentials (they travel as Basic auth when no key is set). */
  private readonly base: string;
  private readonly basicAuth: string | undefined;

  constructor(private readonly o: LlmAgentOptions) {
    const ajv = new Ajv({ allErrors: true });
    this.validators = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));
    this.apiKey = process.env[o.apiKeyEnv ?? 'OPENAI_API_KEY'] || undefined;
    // Registered so that an endpoint echoing the key (error bodies) never reaches feedback or the store.
    registerSecret(this.apiKey);
    let base = o.target;
    try {
      const u = new URL(o.target);
      if (u.username || u.password) {
        const user = decodeURIComponent(u.username), pass = decodeURIComponent(u.password);
        registerSecret(pass || user);
        this.basicAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
        registerSecret(this.basicAuth.slice(6));
        u.username = '';
        u.password = '';
        base = u.toString();
      }
    } catch {
      /* not a URL: the request fails with a clear error */
    }
    this.base = base.replace(/\/+$/, '');
  }

  async propose(ctx: TurnContext): Promise<AgentTurn> {
    if (this.messages.length === 0) {
      this.messages.push({
        role: 'system',
        content:
          'You optimize code in a sandboxed workspace. Use the tools: read_file, write_file (editable files only), run_experiment (build+check+measure; the result is its reply), submit (stop). ' +
          'Every result starts with your remaining budget. Correctness is checked before every measurement; only improvements beyond measurement noise count.',
      });
      this.messages.push({
        role: 'user',
        content: `${ctx.task.instruction}\n\nEditable: ${ctx.task.editable.join(', ') || '(none)'}\nParameters: ${JSON.stringify(ctx.task.params)}\nFiles: ${ctx.task.files.join(', ')}\n\n${ctx.feedback}`,
      });
    } else if (this.pendingRunId) {
      this.messages.push({ role: 'tool', tool_call_id: this.pendingRunId, content: ctx.feedback });
      this.pendingRunId = null;
    } else {
      this.messages.push({ role: 'user', content: ctx.feedback });
    }
    const files: Record<string, string> = {};
    let tokensIn = 0;
    let tokensOut = 0;
    const calls: { tool: string; ok: boolean; error?: string }[] = [];
    const maxCalls = this.o.maxCallsPerTurn ?? 8;
    // Outside a loop (no ledger given) the turn gets a tree of its own over what remains.
    const budget = ctx.budget ?? new AgentBudgetTree({ tokens: Math.max(0, ctx.remaining.tokens) });
    for (let call = 0; call < maxCalls; call++) {
      // Reserve before the call: the prompt as the last call's usage (exact) + the messages added since
      // (GPT tokenizer x 1.25), and the output cap; the cap sent is what was reserved.
      let r: Reservation;
      try {
        r = budget.reserve(budget.mainAgent, this.inputEstimate(), this.o.maxTokensPerCall ?? 4096);
      } catch (e) {
        if (!(e instanceof BudgetRefusedError)) throw e;
        // A spent budget ends the turn cleanly: what is staged is run, else the agent stops, with the reason.
        const reason = `token budget spent: ${e.message}`;
        this.messages.push({ role: 'user', content: `The harness stopped this turn: ${reason}` });
        const log = { calls, budgetRefused: reason };
        if (Object.keys(files).length) return { proposal: { kind: 'change', files, note: `stopped by the budget: ${reason}` }, tokensIn, tokensOut, log };
        return { proposal: { kind: 'stop', reason }, tokensIn, tokensOut, log };
      }
      const reply = await this.complete(r.maxTokens).catch((e: unknown) => {
        // Refused or unreachable before generating: nothing used. A broken answer may have generated: charged whole.
        if ((e as { sent?: boolean }).sent) budget.forfeit(r);
        else budget.release(r);
        throw e;
      });
      const settled = new CommitOut();
      r.settle(reply.usage, settled);
      this.last = reply.usage ? { tokens: reply.usage.promptTokens + reply.usage.completionTokens, messages: this.messages.length } : null;
      const charged = settled.result.charged.tokens;
      // What the ledger charged is what the turn cost (the whole reservation when usage was missing).
      tokensIn += reply.usage ? reply.usage.promptTokens : charged;
      tokensOut += reply.usage ? reply.usage.completionTokens : 0;
      const msg = reply.message;
      this.messages.push({ role: 'assistant', content: msg.content ?? null, ...(msg.tool_calls?.length ? { tool_calls: msg.tool_calls } : {}) });
      if (!msg.tool_calls?.length) {
        this.messages.push({ role: 'user', content: 'Please act through the tools (write_file, run_experiment, submit).' });
        continue;
      }
      let ended: AgentTurn | null = null;
      for (const tc of msg.tool_calls) {
        if (ended) {
          this.messages.push({ role: 'tool', tool_call_id: tc.id, content: 'ignored: an earlier call in this message already ended the turn' });
          continue;
        }
        const name = tc.function?.name;
        const validate = this.validators[name];
        let args: Record<string, unknown>;
        const fail = (error: string) => {
          calls.push({ tool: String(name), ok: false, error });
          this.messages.push({ role: 'tool', tool_call_id: tc.id, content: `error: ${error}` });
        };
        if (!validate) {
          fail(`unknown tool "${name}"; tools are ${Object.keys(SCHEMAS).join(', ')}`);
          continue;
        }
        try {
          args = JSON.parse(tc.function.arguments || '{}') as Record<string, unknown>;
        } catch {
          fail('arguments are not valid JSON');
          continue;
        }
        if (!validate(args)) {
          fail(`invalid arguments for ${name}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
          continue;
        }
        if (name === 'read_file') {
          const p = String(args.path);
          const content = p in files ? files[p] : ctx.readFile(p);
          if (content === null) fail(`no such file: ${p}`);
          else (calls.push({ tool: name, ok: true }), this.messages.push({ role: 'tool', tool_call_id: tc.id, content: content.slice(0, 20_000) }));
        } else if (name === 'write_file') {
          const rel = safeRel(String(args.path));
          if (!rel || !isEditable(rel, ctx.task.editable)) fail(`${String(args.path)} is not editable (editable: ${ctx.task.editable.join(', ') || 'none'})`);
          else {
            files[rel] = String(args.content);
            calls.push({ tool: name, ok: true });
            this.messages.push({ role: 'tool', tool_call_id: tc.id, content: `ok: ${rel} staged (${String(args.content).length} chars)` });
          }
        } else if (name === 'run_experiment') {
          calls.push({ tool: name, ok: true });
          this.pendingRunId = tc.id;
          const claimed = typeof args.expected_value === 'number' ? { expected_value: args.expected_value } : undefined;
          ended = { proposal: { kind: 'change', files, params: args.params as Record<string, number | string> | undefined, note: args.note as string | undefined, claimed }, tokensIn, tokensOut, log: { calls } };
        } else if (name === 'submit') {
          calls.push({ tool: name, ok: true });
          this.messages.push({ role: 'tool', tool_call_id: tc.id, content: 'submitted' });
          ended = { proposal: { kind: 'stop', reason: (args.reason as string | undefined) ?? 'agent submitted' }, tokensIn, tokensOut, log: { calls } };
        }
      }
      if (ended) return { ...ended, tokensIn, tokensOut };
    }
    // Out of calls for this turn: run whatever is staged, and say so next turn.
    this.messages.push({ role: 'user', content: 'Call limit for this turn reached: the harness ran your staged edits.' });
    return { proposal: { kind: 'change', files, note: 'call limit reached' }, tokensIn, tokensOut, log: { calls, callLimit: true } };
  }

  /** The last call's prompt + completion tokens (server usage) and how many messages it covered. */
  private last: { tokens: number; messages: number } | null = null;

  private inputEstimate(): number {
    const prev = this.last;
    const fresh = (prev ? this.messages.slice(prev.messages) : this.messages).map((m) => JSON.stringify(m));
    // The reply just received is in the previous usage (completion) and again as a new message: a safe double count.
    return estimateInputTokens(prev ? { promptTokens: prev.tokens, completionTokens: 0 } : null, prev ? fresh : [...fresh, JSON.stringify(LLM_TOOLS)]).tokens;
  }

  private async complete(maxTokens: number): Promise<{ message: { content?: string | null; tool_calls?: ToolCall[] }; usage: { promptTokens: number; completionTokens: number } | null }> {
    const url = `${this.base}/chat/completions`;
    const body = { model: this.o.model, messages: this.messages, tools: LLM_TOOLS, tool_choice: 'auto', max_tokens: maxTokens, temperature: this.o.temperature ?? 0.2, stream: false };
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : this.basicAuth ? { authorization: this.basicAuth } : {}) },
        body: JSON.stringify(body),
        headersTimeout: this.o.timeoutMs ?? 300_000,
        bodyTimeout: this.o.timeoutMs ?? 300_000,
      });
    } catch (e) {
      throw new AgentdynoError(`cannot reach the model endpoint (${redactSecrets(errorMessage(e))}).`, { code: 'E_AGENT', where: url, hint: 'Check --target (the base URL ending in /v1) and that the server is up.' });
    }
    // Whatever the endpoint sends may echo the key (error bodies do): masked before anyone sees it.
    const text = redactSecrets(await res.body.text());
    if (res.statusCode >= 400) throw new AgentdynoError(`the model endpoint answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`, { code: 'E_AGENT', where: url });
    let json: { choices?: { message?: { content?: string | null; tool_calls?: ToolCall[] } }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } };
    try {
      json = JSON.parse(text);
    } catch {
      throw Object.assign(new AgentdynoError(`the model endpoint sent non-JSON: ${text.slice(0, 200)}`, { code: 'E_AGENT', where: url }), { sent: true });
    }
    const message = json.choices?.[0]?.message ?? { content: '' };
    // Usage from the server when given; else null, and the ledger charges the whole reservation.
    const u = json.usage;
    const usage = typeof u?.prompt_tokens === 'number' && typeof u.completion_tokens === 'number' ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens } : null;
    return { message, usage };
  }
}
