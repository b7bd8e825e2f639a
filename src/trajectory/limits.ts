/**
 * What replay can do with a trajectory, checked before any load starts (pure, iterative: no
 * recursion that a deep input can overflow). A schema-valid trajectory can still ask for what would
 * crash or hang later: a 1e12-token prompt (a RangeError building it), a 1e9-token answer (out of
 * memory building its synthetic history), content nested so deep that JSON.stringify overflows the
 * stack, a spawn chain thousands deep, or more context than the target serves. Each problem is
 * located (JSON path) and carries code E_TRAJECTORY_LIMIT.
 */
import type { Trajectory } from './types.js';

export const LIMITS = {
  /** Prompt-side counts (input, cached, new input, system prompt, tool result): 10 M tokens, past every served context today. */
  maxPromptTokens: 10_000_000,
  /** One call's output: 1 M tokens (replay synthesizes recorded-length history text of it). */
  maxOutputTokens: 1_000_000,
  /** One tool or think wait: 7 days (timers past 2^31 ms fire at once). */
  maxDurationMs: 7 * 24 * 3600 * 1000,
  /** Nesting of any JSON value (content, labels...): real message content is < 10 deep. */
  maxNestingDepth: 128,
  /** Parent chain length (root = 0). */
  maxSpawnDepth: 256,
  maxStepsPerTrajectory: 1_000_000,
  maxAgentsPerTrajectory: 100_000,
  /** One trajectory file: V8 cannot hold a string much past 512 MiB. */
  maxFileBytes: 512 * 1024 * 1024,
  /** One JSON Lines row (one trajectory). */
  maxLineBytes: 256 * 1024 * 1024,
} as const;

export interface LimitProblem {
  path: string;
  message: string;
  code: 'E_TRAJECTORY_LIMIT';
}

const problem = (path: string, message: string): LimitProblem => ({ path, message, code: 'E_TRAJECTORY_LIMIT' });

/**
 * Depth of the deepest value, iteratively; stops at the first value past `max` and returns its path
 * (so a 1e6-deep array costs one walk down, not a stack overflow). null = within the limit.
 */
export function nestingProblem(value: unknown, max: number = LIMITS.maxNestingDepth): LimitProblem | null {
  if (value === null || typeof value !== 'object') return null;
  // Explicit stack of [value, depth, path]; paths are built only for the way down.
  const stack: [unknown, number, string][] = [[value, 0, '$']];
  while (stack.length) {
    const [v, d, p] = stack.pop()!;
    if (d > max) return problem(p, `nested deeper than ${max} levels: replay cannot serialize it safely; flatten it or drop the content`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const c = v[i];
        if (c !== null && typeof c === 'object') stack.push([c, d + 1, `${p}[${i}]`]);
      }
    } else {
      for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
        if (c !== null && typeof c === 'object') stack.push([c, d + 1, /^[A-Za-z_$][\w$]*$/.test(k) ? `${p}.${k}` : `${p}[${JSON.stringify(k)}]`]);
      }
    }
  }
  return null;
}

export interface LimitOptions {
  /** The target's context length (vLLM/SGLang max_model_len) when it reports one. */
  maxModelLen?: number | null;
}

const PROMPT_FIELDS = ['input_tokens', 'new_input_tokens', 'cached_tokens'] as const;

/** Token counts, durations, size and spawn depth of a schema-valid trajectory. */
export function limitProblems(t: Trajectory, opts: LimitOptions = {}): LimitProblem[] {
  const out: LimitProblem[] = [];
  const L = LIMITS;
  if (t.agents.length > L.maxAgentsPerTrajectory) out.push(problem('$.agents', `${t.agents.length} agents: more than the ${L.maxAgentsPerTrajectory.toLocaleString('en-US')} one trajectory may hold`));
  let steps = 0;
  const maxLen = opts.maxModelLen ?? null;
  const big = (n: number) => n.toLocaleString('en-US');
  for (let i = 0; i < t.agents.length; i++) {
    const a = t.agents[i];
    const at = `$.agents[${i}]`;
    steps += a.steps.length;
    if (a.system_prompt_tokens > L.maxPromptTokens) out.push(problem(`${at}.system_prompt_tokens`, `${big(a.system_prompt_tokens)} tokens: more than the ${big(L.maxPromptTokens)} replay can synthesize`));
    for (let j = 0; j < a.steps.length; j++) {
      const s = a.steps[j];
      const sp = `${at}.steps[${j}]`;
      if (s.type === 'llm') {
        for (const f of PROMPT_FIELDS) {
          const v = s[f];
          if (typeof v === 'number' && v > L.maxPromptTokens) out.push(problem(`${sp}.${f}`, `${big(v)} tokens: more than the ${big(L.maxPromptTokens)} replay can synthesize`));
        }
        if (s.output_tokens > L.maxOutputTokens) out.push(problem(`${sp}.output_tokens`, `${big(s.output_tokens)} tokens: more than the ${big(L.maxOutputTokens)} one call may ask for`));
        else if (maxLen !== null && s.input_tokens <= L.maxPromptTokens && s.input_tokens + s.output_tokens > maxLen) {
          out.push(problem(`${sp}.input_tokens`, `input ${big(s.input_tokens)} + output ${big(s.output_tokens)} tokens exceed the target's context of ${big(maxLen)} (max_model_len): every such call would fail`));
        }
      } else if (s.type === 'tool' || s.type === 'think') {
        if (s.duration_ms > L.maxDurationMs) out.push(problem(`${sp}.duration_ms`, `${big(s.duration_ms)} ms: more than the ${L.maxDurationMs / 86_400_000} days one wait may last`));
        if (s.type === 'tool' && typeof s.result_tokens === 'number' && s.result_tokens > L.maxPromptTokens) out.push(problem(`${sp}.result_tokens`, `${big(s.result_tokens)} tokens: more than the ${big(L.maxPromptTokens)} replay can synthesize`));
      }
    }
  }
  if (steps > L.maxStepsPerTrajectory) out.push(problem('$.agents', `${big(steps)} steps: more than the ${big(L.maxStepsPerTrajectory)} one trajectory may hold`));
  const deep = spawnDepthProblem(t);
  if (deep) out.push(deep);
  return out;
}

/**
 * Longest parent chain, iteratively with memoized depths (linear in agents). Unknown parents and
 * cycles are the tree check's to report: here they end the chain.
 */
export function spawnDepthProblem(t: Trajectory, max: number = LIMITS.maxSpawnDepth): LimitProblem | null {
  const index = new Map<string, number>();
  t.agents.forEach((a, i) => {
    if (!index.has(a.id)) index.set(a.id, i);
  });
  const depth = new Int32Array(t.agents.length).fill(-1);
  const chain: number[] = [];
  for (let i = 0; i < t.agents.length; i++) {
    if (depth[i] >= 0) continue;
    chain.length = 0;
    let cur = i;
    let base = 0;
    const onChain = new Set<number>();
    for (;;) {
      if (depth[cur] >= 0) {
        base = depth[cur] + 1;
        break;
      }
      if (onChain.has(cur)) break; // cycle: reported by the tree check
      onChain.add(cur);
      chain.push(cur);
      const parent = t.agents[cur].parent;
      const pi = parent === null ? undefined : index.get(parent);
      if (pi === undefined) break;
      cur = pi;
    }
    for (let k = chain.length - 1; k >= 0; k--) depth[chain[k]] = base + (chain.length - 1 - k);
  }
  let worst = -1;
  for (let i = 0; i < depth.length; i++) if (worst < 0 || depth[i] > depth[worst]) worst = i;
  if (worst >= 0 && depth[worst] > max) {
    return problem(`$.agents[${worst}].parent`, `spawn chain ${depth[worst]} deep (agent ${JSON.stringify(t.agents[worst].id)}): more than the ${max} replay follows`);
  }
  return null;
}
