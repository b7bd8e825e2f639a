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
  /** What an importer kept, estimated and left out (importers/fidelity.ts). */
  fidelity?: ImportFidelity;
  [k: string]: unknown;
}

/** Per-import account of recorded vs estimated figures, stored in `source.fidelity` and printed. */
export interface ImportFidelity {
  calls: number;
  /** Calls whose input / output token counts came from the source as recorded. */
  tokens: { recordedCalls: number; estimatedCalls: number; recordedInput: number; estimatedInput: number; recordedOutput: number; estimatedOutput: number };
  /** Tool/think waits from the source (recorded, or gaps between recorded timestamps) vs set to the documented default. */
  timings: { recorded: number; defaulted: number };
  /** Calls with a recorded model duration (a label, never pacing). */
  modelDurations: number;
  subAgents: number;
  /** Calls that kept their message content. */
  contentCalls: number;
  /** Calibration against a total the source records (SWE-agent tokens_sent, AgentPerf manifest). */
  calibration?: { field: string; recorded: number; estimatedBefore: number; residual: number };
  leftOut: { what: string; why: string }[];
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
  /** Recorded send time of this call, ms after the trajectory's start (request-level traces; open-loop replay). */
  offset_ms?: number;
  /** Fields of this step that are estimated, not recorded (e.g. ["input_tokens"]). */
  estimated?: string[];
  content?: { messages?: unknown[]; output?: string; [k: string]: unknown };
}

export interface ToolStep {
  type: 'tool';
  name: string;
  duration_ms: number;
  result_tokens?: number;
  status?: 'ok' | 'error' | (string & {});
  /** ["duration_ms"] when the wait is a documented default or derived from a gap, not recorded. */
  estimated?: string[];
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
  /** Model this agent called, when it differs from the trajectory's (sub-agents often use another). */
  model?: string;
  steps: Step[];
}

export interface Trajectory {
  format: typeof TRAJECTORY_FORMAT;
  id: string;
  source: TrajectorySource;
  model?: string;
  labels?: { task?: string; language?: string; success?: boolean; [k: string]: unknown };
  /** Recorded start of this trajectory, ms after the trace's origin (open-loop `--arrivals recorded`). */
  arrival_ms?: number;
  agents: AgentTrace[];
}

/** A trajectory together with where it came from, for error messages and provenance. */
export interface LoadedTrajectory {
  trajectory: Trajectory;
  file: string;
  /** 1-based line in a JSONL file; 1 for a single-JSON file. */
  line: number;
}
