/**
 * Model functions for the bench over real HTTP: the simulator (one server per server-side fault,
 * in worker threads) or a user's `--target`. The judge's count of what a call really consumed is
 * taken from the simulator's documented tokenizer (words + chat template), independent of the
 * policy's estimate; against a real target it can only use the server's usage (labelled).
 */
import os from 'node:os';
import { EndpointClient, withRetry, type CompletionRequest, type RequestResult } from '../endpoint/index.js';
import {
  loadProfile, simCountChatTokens, simCountTokens, startSimServerInWorker, type SimProfile, type SimServer, type SimServerOptions,
} from '../sim/index.js';
import type { FaultName } from './bench.js';
import type { ModelFn, ModelReply } from './policies.js';

/** The `small` profile made fast and short-spoken for thousands of tiny trials (illustrative). */
export function benchProfile(): SimProfile {
  const p = loadProfile('small');
  return {
    ...p, name: 'small-budget-bench',
    source: `${p.source} Budget bench variant: near-zero step cost and EOS at the first token, so outputs are set by min_tokens (the turn's wanted length) and max_tokens.`,
    stepTimeMs: { a: 0.2, b: 0.001, c: 0, d: 0.00005 },
    // Room for every agent of every concurrent trial in one batch: the bench measures budgets, not queueing.
    scheduler: { maxNumSeqs: 4096, maxNumBatchedTokens: 1 << 20 },
    generation: { eosMeanTokens: 1 },
  };
}

const SERVER_FAULTS: Partial<Record<FaultName, SimServerOptions>> = {
  retry_5xx: { error500Prob: 0.15 },
  missing_usage: { omitUsage: true },
  ignore_max_tokens: { ignoreMaxTokens: 1.5 },
};

export interface BenchTargets {
  /** Which URL each fault's calls go to. */
  urls: Partial<Record<FaultName, string>>;
  /** Faults that cannot be injected here (server-side faults against a real --target). */
  unsupported: FaultName[];
  simulated: boolean;
  modelFor(fault: FaultName): ModelFn;
  close(): Promise<void>;
}

function toReply(r: RequestResult, messages: CompletionRequest['messages'], simulated: boolean): ModelReply {
  const usage = r.usage ? { promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens } : null;
  const text = r.outputText ?? '';
  // A call that failed before any output used nothing the server bills (5xx after retries, refused).
  const started = r.ok || r.tFirstTokenNs !== null || r.usage !== null;
  const prompt = !started ? 0 : simulated ? simCountChatTokens(messages ?? []) : (usage?.promptTokens ?? 0);
  const completion = !started ? 0 : simulated ? (usage?.completionTokens ?? simCountTokens(text)) : (usage?.completionTokens ?? simCountTokens(text));
  return { ok: r.ok, errorClass: r.errorClass, usage, trueTokens: { prompt, completion }, outputText: text };
}

export async function startBenchTargets(opts: { target?: string; model?: string; seed: number; faults: readonly FaultName[]; cancelProb?: number; shards?: number }): Promise<BenchTargets> {
  const servers: SimServer[] = [];
  const clients = new Map<string, EndpointClient>();
  const urls: BenchTargets['urls'] = {};
  const unsupported: FaultName[] = [];
  const simulated = !opts.target;
  // The simulator's event loop is the bottleneck of a bench: fault-free calls are spread over
  // several simulator workers (one per spare core, up to 4).
  const bases: string[] = [];
  if (opts.target) bases.push(opts.target);
  else {
    const shards = opts.shards ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
    for (let i = 0; i < shards; i++) {
      const s = await startSimServerInWorker({ profile: benchProfile(), port: 0, seed: opts.seed + 1000 * i, tokensPerChunk: 8 });
      servers.push(s);
      bases.push(s.url);
    }
  }
  const base = bases[0];
  let rr = 0;
  for (const f of opts.faults) {
    const sf = SERVER_FAULTS[f];
    if (!sf) { urls[f] = base; continue; }
    if (opts.target) { unsupported.push(f); continue; }
    const s = await startSimServerInWorker({ profile: benchProfile(), port: 0, seed: opts.seed + servers.length, tokensPerChunk: 8, ...sf });
    servers.push(s);
    urls[f] = s.url;
  }
  const clientFor = (url: string): EndpointClient => {
    let c = clients.get(url);
    if (!c) {
      c = new EndpointClient({ baseUrl: url, model: opts.model ?? 'sim-small', timeoutMs: 30_000 });
      clients.set(url, c);
    }
    return c;
  };
  let draws = opts.seed >>> 0;
  const rand = () => ((draws = (Math.imul(draws, 1664525) + 1013904223) >>> 0) / 4294967296);
  return {
    urls, unsupported, simulated,
    modelFor(fault) {
      const url = SERVER_FAULTS[fault] ? (urls[fault] ?? base) : bases[rr++ % bases.length];
      const client = clientFor(url);
      const send = withRetry((req) => client.send(req), { max: 3, baseDelayMs: 2, maxDelayMs: 20 });
      return async (call) => {
        const req: CompletionRequest = {
          api: 'chat', messages: call.messages, maxTokens: call.maxTokens, keepOutputText: true,
          // min_tokens sets the turn's natural length; max_tokens still caps it on an honest server.
          extraBody: { min_tokens: simulated ? call.wantOutputTokens : Math.min(call.wantOutputTokens, call.maxTokens) },
        };
        let timer: NodeJS.Timeout | null = null;
        if (fault === 'cancelled_stream' && rand() < (opts.cancelProb ?? 0.3)) {
          const ac = new AbortController();
          req.signal = ac.signal;
          timer = setTimeout(() => ac.abort(), 1 + Math.floor(rand() * 6));
        }
        try {
          return toReply(await send(req), call.messages, simulated);
        } finally {
          if (timer) clearTimeout(timer);
        }
      };
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
