import { AgentdynoError } from '../core/index.js';
import type { AgentTrace, LlmStep, Step, Trajectory } from './types.js';

/** Where an llm step's reusable prefix size came from. */
export type PrefixSource = 'cached_tokens' | 'new_input_tokens' | 'implied';

export interface WalkedStep {
  agentId: string;
  /** Index in the agent's `steps`. */
  index: number;
  step: Step;
  /** 0-based count of llm steps before this one in the agent; -1 for non-llm steps. */
  llmTurn: number;
  /**
   * llm steps only: prompt tokens a prefix cache could serve. Recorded `cached_tokens` if present, else
   * `input_tokens - new_input_tokens`, else implied from append-only growth: the previous call's input +
   * output (capped at this input), or the system prompt for the agent's first call.
   */
  prefixTokens: number;
  prefixSource?: PrefixSource;
  /** llm steps only: tokens to prefill beyond the prefix (input_tokens - prefixTokens). */
  uncachedInputTokens: number;
  /** llm steps only: `new_input_tokens` if recorded, else implied the same way as the prefix (without cached_tokens). */
  newInputTokens: number;
}

export function rootAgent(t: Trajectory): AgentTrace {
  const root = t.agents.find((a) => a.parent === null);
  if (!root) throw new AgentdynoError(`trajectory ${JSON.stringify(t.id)} has no root agent`, { code: 'E_TRAJECTORY_INVALID', where: '$.agents', hint: 'Validate it with `agentdyno trajectories validate`.' });
  return root;
}

export function findAgent(t: Trajectory, agentId: string): AgentTrace {
  const a = t.agents.find((x) => x.id === agentId);
  if (!a) throw new AgentdynoError(`trajectory ${JSON.stringify(t.id)} has no agent ${JSON.stringify(agentId)}`, { code: 'E_TRAJECTORY_INVALID', where: '$.agents' });
  return a;
}

/** The agent's steps in order, each llm step annotated with its prefix / new-input token split. */
export function walkAgent(t: Trajectory, agentId: string): WalkedStep[] {
  const agent = findAgent(t, agentId);
  const out: WalkedStep[] = [];
  let prev: LlmStep | undefined;
  let turn = 0;
  agent.steps.forEach((step, index) => {
    if (step.type !== 'llm') {
      out.push({ agentId, index, step, llmTurn: -1, prefixTokens: 0, uncachedInputTokens: 0, newInputTokens: 0 });
      return;
    }
    const implied = prev
      ? Math.min(step.input_tokens, prev.input_tokens + prev.output_tokens)
      : Math.min(step.input_tokens, agent.system_prompt_tokens);
    const newInput = step.new_input_tokens ?? step.input_tokens - implied;
    let prefix: number;
    let prefixSource: PrefixSource;
    if (step.cached_tokens !== undefined) [prefix, prefixSource] = [step.cached_tokens, 'cached_tokens'];
    else if (step.new_input_tokens !== undefined) [prefix, prefixSource] = [step.input_tokens - step.new_input_tokens, 'new_input_tokens'];
    else [prefix, prefixSource] = [implied, 'implied'];
    out.push({ agentId, index, step, llmTurn: turn++, prefixTokens: prefix, prefixSource, uncachedInputTokens: step.input_tokens - prefix, newInputTokens: newInput });
    prev = step;
  });
  return out;
}

/** LLM calls in the whole trajectory (all agents), or only in `agentId`. */
export function llmTurnCount(t: Trajectory, agentId?: string): number {
  let n = 0;
  for (const a of t.agents) {
    if (agentId !== undefined && a.id !== agentId) continue;
    for (const s of a.steps) if (s.type === 'llm') n++;
  }
  return n;
}

export interface DutyCycleOptions {
  /** Multiplies every tool and think duration (1 = as recorded). */
  toolTimeScale?: number;
  /** Assumed decode speed per request, tokens/s (default 50). */
  assumedDecodeTokPerS?: number;
  /** Assumed prefill speed for the uncached part of the prompt, tokens/s (default 5000). */
  assumedPrefillTokPerS?: number;
  /** Cap on one tool/think gap after scaling (AgentX caps idle gaps at 10 s); default no cap. */
  maxGapMs?: number;
  /** Treat the reusable prefix as cached (default true); false prefills the whole prompt every call. */
  prefixCache?: boolean;
}

export interface DutyCycle {
  /** Lane wall time: root agent plus every sub-agent, background ones included (the lane drains them). */
  wallMs: number;
  /** Root agent's own wall time (its last step's end). */
  rootWallMs: number;
  /** Model time summed over all calls of all agents (estimated from the assumptions, not recorded timings). */
  modelMs: number;
  toolMs: number;
  thinkMs: number;
  llmCalls: number;
  /** modelMs / (modelMs + toolMs + thinkMs): share of agent-time spent waiting on the model. */
  modelFraction: number;
  /** modelMs / wallMs: mean requests in flight per lane (> modelFraction when sub-agents overlap). */
  meanInFlightRequests: number;
  assumptions: Required<Omit<DutyCycleOptions, 'maxGapMs'>> & { maxGapMs: number | null };
}

/**
 * Analytic duty cycle of one trajectory replayed alone: model time per call is
 * uncached input / prefill speed + output / decode speed (assumed speeds, no queueing), tool and think
 * steps take their recorded durations times `toolTimeScale`; `join: all` waits for the slowest child,
 * `join: none` children only extend the lane's drain.
 */
export function dutyCycle(t: Trajectory, opts: DutyCycleOptions = {}): DutyCycle {
  const a = {
    toolTimeScale: opts.toolTimeScale ?? 1,
    assumedDecodeTokPerS: opts.assumedDecodeTokPerS ?? 50,
    assumedPrefillTokPerS: opts.assumedPrefillTokPerS ?? 5000,
    prefixCache: opts.prefixCache ?? true,
    maxGapMs: opts.maxGapMs ?? null,
  };
  const acc = { modelMs: 0, toolMs: 0, thinkMs: 0, llmCalls: 0 };
  const gap = (ms: number) => {
    const s = ms * a.toolTimeScale;
    return a.maxGapMs === null ? s : Math.min(s, a.maxGapMs);
  };
  const byId = new Map(t.agents.map((x) => [x.id, x]));
  const run = (agentId: string, startMs: number, depth: number): { endMs: number; drainMs: number } => {
    if (depth > t.agents.length) throw new AgentdynoError(`spawn cycle in trajectory ${JSON.stringify(t.id)}`, { code: 'E_TRAJECTORY_INVALID', where: '$.agents' });
    let now = startMs;
    let drain = startMs;
    for (const w of walkAgent(t, agentId)) {
      const s = w.step;
      if (s.type === 'llm') {
        const prefill = a.prefixCache ? w.uncachedInputTokens : s.input_tokens;
        const ms = (prefill / a.assumedPrefillTokPerS + s.output_tokens / a.assumedDecodeTokPerS) * 1000;
        acc.modelMs += ms;
        acc.llmCalls++;
        now += ms;
      } else if (s.type === 'tool') {
        const ms = gap(s.duration_ms);
        acc.toolMs += ms;
        now += ms;
      } else if (s.type === 'think') {
        const ms = gap(s.duration_ms);
        acc.thinkMs += ms;
        now += ms;
      } else {
        const kids = s.agents.filter((id) => byId.has(id)).map((id) => run(id, now, depth + 1));
        for (const k of kids) drain = Math.max(drain, k.drainMs);
        if (s.join === 'all') now = Math.max(now, ...kids.map((k) => k.endMs));
      }
    }
    return { endMs: now, drainMs: Math.max(now, drain) };
  };
  const root = run(rootAgent(t).id, 0, 0);
  const busy = acc.modelMs + acc.toolMs + acc.thinkMs;
  return {
    wallMs: root.drainMs,
    rootWallMs: root.endMs,
    ...acc,
    modelFraction: busy > 0 ? acc.modelMs / busy : 0,
    meanInFlightRequests: root.drainMs > 0 ? acc.modelMs / root.drainMs : 0,
    assumptions: a,
  };
}
