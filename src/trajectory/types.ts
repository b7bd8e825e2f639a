/**
 * `agentdyno.trajectory.v1` (DESIGN 3.1). Token counts are required; content, timings and block
 * hashes are optional. Recorded model timings (`ttft_ms`, `duration_ms` on llm steps) are labels and
 * never pace replay; tool and think durations do.
 */
export const TRAJECTORY_FORMAT = 'agentdyno.trajectory.v1' as const;

export type SourceKind =
  | 'synthetic' | 'proxy' | 'swe-agent' | 'mini-swe-agent' | 'openhands' | 'claude-code' | 'codex'
  | 'openai-chat-log' | 'mooncake' | 'weka' | 'aa-replay' | 'dynamo' | (string & {});

export interface TrajectorySource {
  kind: SourceKind;
  license?: string;
  url?: string;
  /** Which fields are estimated rather than recorded, e.g. ["timings"], ["tokens"]. */
  estimated?: string[];
  [k: string]: unknown;
}

export interface LlmStep {
  type: 'llm';
  /** Whole prompt size of this call, in tokens. */
  input_tokens: number;
  /**
   * Tokens appended since the agent's previous call (tool results, user text); for the agent's first
   * call, the tokens after its system prompt.
   */
  new_input_tokens?: number;
  output_tokens: number;
  /** Prefix-cache hit the recording saw (or the trace implies). */
  cached_tokens?: number;
  /** Block-level prefix hashes (Mooncake-style): equal ids mean an identical block of `block_size` tokens. */
  hash_ids?: number[];
  block_size?: number;
  ttft_ms?: number;
  duration_ms?: number;
  content?: { messages?: unknown[]; output?: string; [k: string]: unknown };
}

export interface ToolStep {
  type: 'tool';
  name: string;
  duration_ms: number;
  result_tokens?: number;
  status?: 'ok' | 'error' | (string & {});
}

export interface ThinkStep {
  type: 'think';
  duration_ms: number;
}

export interface SpawnStep {
  type: 'spawn';
  agents: string[];
  /** "all": the parent waits for every spawned agent; "none": background, the lane still drains it. */
  join: 'all' | 'none';
}

export type Step = LlmStep | ToolStep | ThinkStep | SpawnStep;

export interface AgentTrace {
  id: string;
  parent: string | null;
  system_prompt_tokens: number;
  steps: Step[];
}

export interface Trajectory {
  format: typeof TRAJECTORY_FORMAT;
  id: string;
  source: TrajectorySource;
  model?: string;
  labels?: { task?: string; language?: string; success?: boolean; [k: string]: unknown };
  agents: AgentTrace[];
}

/** A trajectory together with where it came from, for error messages and provenance. */
export interface LoadedTrajectory {
  trajectory: Trajectory;
  file: string;
  /** 1-based line in a JSONL file; 1 for a single-JSON file. */
  line: number;
}
