/** Data the EFC scorers read: one stored loop episode (iterations + harness feedback events). */

/** One agent turn as stored in `loop_iterations`. */
export interface EpisodeIteration {
  iteration: number;
  status: string;
  /** What the agent proposed (`{kind:'change', files?, params?}` or `{kind:'stop'}`); null on agent error. */
  proposal: { kind: string; files?: Record<string, string>; params?: Record<string, unknown> } | null;
  /** Exactly the text the agent was shown at the start of this turn. */
  feedbackShown: string;
  tokensIn: number;
  tokensOut: number;
  wallMs: number;
  improved: boolean;
}

/** One harness observation as stored in `feedback_events`: produced by `iteration`, shown at the next turn. */
export interface EpisodeEvent {
  iteration: number;
  seq: number;
  kind: string;
  /** The text shown to the agent (after shaping). */
  text: string;
  /** The true observation plus `mode`, `sourceIteration`, `corrupted` (see loop/feedback.ts). */
  detail: Record<string, unknown>;
}

export interface Episode {
  runId: string;
  task: string;
  agent: string;
  feedbackMode: string;
  iterations: EpisodeIteration[];
  events: EpisodeEvent[];
  /** Outcome of the run (from the run's stored result); null when the run did not finish. */
  success: boolean | null;
  normalizedScore: number | null;
  stopReason: string | null;
  /** Baseline noise (coefficient of variation of the re-measured baseline), when stored. */
  baselineCv: number | null;
  /** Agent context window in tokens, when known (LLM agents); null = only the current turn matters. */
  contextTokens: number | null;
}

export interface AxisScores {
  informativeness: number;
  validity: number;
  nonRedundancy: number;
  retention: number;
}

/** A judge (e.g. a model) may add its own axis scores beside the rule's; it never replaces them. */
export type Judge = (event: EpisodeEvent, episode: Episode) => Partial<AxisScores> | null;

export interface EventScore extends AxisScores {
  iteration: number;
  seq: number;
  kind: string;
  /** How many earlier failing evaluations of the same code state this event repeats (A_t). */
  retryIndex: number;
  /** kappa * I * V * N * M / (1 + 0.35 * A_t). */
  efc: number;
  /** One short reason per axis, so a reader can check the rule's verdict. */
  why: Record<keyof AxisScores, string>;
  judge?: Partial<AxisScores> | null;
}

export interface RawCompute {
  tokens: number;
  /** Evaluations the harness ran for the agent (build/check/measure cycles). */
  toolCalls: number;
  wallSec: number;
}

export interface EpisodeScore {
  runId: string;
  task: string;
  agent: string;
  feedbackMode: string;
  success: boolean | null;
  /** Sum of per-event EFC. */
  efc: number;
  /** Per-axis means over events (NaN-free: 0 when there are no events). */
  axisMeans: AxisScores;
  rawCompute: RawCompute;
  /** EFC per unit of raw compute, each reported (null when that compute is 0). */
  efficiency: { perKTokens: number | null; perToolCall: number | null; perWallSec: number | null };
  events: EventScore[];
}
