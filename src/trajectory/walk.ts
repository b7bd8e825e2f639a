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

const agentIndex = new WeakMap<Trajectory, Map<string, AgentTrace>>();

/** Agents of a trajectory by id, built once per trajectory object (lookups in a deep tree stay O(1)). */
export function agentsById(t: Trajectory): Map<string, AgentTrace> {
  let m = agentIndex.get(t);
  if (!m) {
    m = new Map();
    for (const a of t.agents) if (!m.has(a.id)) m.set(a.id, a);
    agentIndex.set(t, m);
  }
  return m;
}

export function findAgent(t: Trajectory, agentId: string): AgentTrace {
  const a = agentsById(t).get(agentId);
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


// The analytic duty cycle now runs the lane program (duty.ts); re-exported for existing importers.
export { dutyCycle, type DutyCycle, type DutyCycleOptions } from './duty.js';
