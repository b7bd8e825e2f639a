/**
 * Budgets for other frameworks. `withBudget(client, handle)` wraps an OpenAI-style client (any
 * object with `chat.completions.create(body)`, e.g. the official `openai` package): each call
 * reserves before it is sent, clamps `max_tokens`, and commits the reported usage (the whole
 * reservation when there is none). Streaming calls must ask for `stream_options.include_usage`.
 */
import type { BudgetHandle, Reservation } from './ledger.js';
import { countNewTextTokens, type EstimatorOptions } from './estimate.js';

export interface ChatCreateLike {
  chat: { completions: { create(body: Record<string, unknown>, opts?: unknown): Promise<unknown> } };
}

interface UsageLike { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } }

function messagesText(body: Record<string, unknown>): string[] {
  const msgs = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  return msgs.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')));
}

export function usageFrom(u: UsageLike | null | undefined): { promptTokens: number; completionTokens: number } | null {
  if (!u || typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return null;
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
}

/**
 * A client whose `chat.completions.create` is budgeted by `handle`. Non-streaming responses are
 * committed on return; streams are committed when the last chunk has been read (or forfeited
 * if the consumer stops early, since tokens may have been generated).
 */
export function withBudget<C extends ChatCreateLike>(client: C, handle: BudgetHandle, opts: { defaultMaxTokens?: number; estimator?: EstimatorOptions } = {}): C {
  const create = async (body: Record<string, unknown>, reqOpts?: unknown): Promise<unknown> => {
    const requested = (body.max_completion_tokens ?? body.max_tokens ?? opts.defaultMaxTokens ?? 1024) as number;
    const res: Reservation = handle.reserve({ inputTokens: countNewTextTokens(messagesText(body), opts.estimator), maxTokens: requested });
    const sent = { ...body, [body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens']: res.maxTokens };
    let out: unknown;
    try {
      out = await client.chat.completions.create(sent, reqOpts);
    } catch (e) {
      // The request failed: we cannot know whether the server used tokens, so a transport error
      // with a response status (4xx before generation) releases; anything else forfeits.
      const status = (e as { status?: number }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) res.release();
      else res[Symbol.dispose]();
      throw e;
    }
    if (out && typeof (out as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const stream = out as AsyncIterable<{ usage?: UsageLike | null }>;
      return {
        async *[Symbol.asyncIterator]() {
          let usage: UsageLike | null = null;
          try {
            for await (const chunk of stream) {
              if (chunk?.usage) usage = chunk.usage;
              yield chunk;
            }
            res.settle(usageFrom(usage));
          } finally {
            res[Symbol.dispose]();
          }
        },
      };
    }
    res.settle(usageFrom((out as { usage?: UsageLike }).usage));
    return out;
  };
  return new Proxy(client, {
    get(target, prop, recv) {
      if (prop !== 'chat') return Reflect.get(target, prop, recv);
      const chat = target.chat;
      return new Proxy(chat, {
        get(t, p, r) {
          if (p !== 'completions') return Reflect.get(t, p, r);
          return new Proxy(t.completions, { get: (tc, pc, rc) => (pc === 'create' ? create : Reflect.get(tc, pc, rc)) });
        },
      });
    },
  });
}
