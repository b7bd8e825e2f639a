/**
 * What a coordinator and its load workers say to each other, the same over worker_threads
 * (structured clone, bigints as they are) and over Redis (JSON, see codec.ts). Instants in
 * commands are on the receiver's monotonic clock: a thread shares the coordinator's, a remote
 * worker's transport translates them through the measured clock offset.
 */
import { createHash } from 'node:crypto';
import type { TokenModel, LevelConfig, LevelRun, LevelLive, PhaseProgress, WindowCommand } from '../replay/index.js';
import type { Trajectory } from '../trajectory/index.js';

/** What every worker needs to run lanes like the coordinator would (sent once). */
export interface WorkerInit {
  /** The coordinator's agentdyno version; a worker of another version refuses. */
  version: string;
  url: string;
  model: string;
  apiKeyEnv?: string;
  requestTimeoutMs: number;
  retries: number;
  tokenModel: TokenModel;
  /** Trajectory files as the coordinator named them, and the content hash they must load to. */
  trajectoryFiles: string[];
  trajectoryHash: string;
  /** Run the timing canary (real runs: yes). */
  canary: boolean;
}

/** A level's config without its trajectories (each worker loads its own copy). */
export type LevelPlan = Omit<LevelConfig, 'lane'> & { lane: Omit<LevelConfig['lane'], 'trajectories'> };

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** startAtNs: the common instant every worker starts its lanes at (on its own clock, like every instant here). */
  | { type: 'level'; levelId: number; plan: LevelPlan; startAtNs: bigint }
  | { type: 'window'; levelId: number; command: WindowCommand }
  | { type: 'cut'; levelId: number; atNs: bigint }
  /** Ctrl-C at the coordinator: end the level at once, marked interrupted. */
  | { type: 'stop'; levelId: number }
  | { type: 'exit' };

export type LiveCounts = Pick<LevelLive, 'requestsDone' | 'errors' | 'inFlight' | 'outputTokens' | 'activeLanes'>;

export type FromWorker =
  | { type: 'ready'; version: string; trajectoryHash: string; pid: number; host: string }
  | { type: 'progress'; levelId: number; progress: PhaseProgress }
  | { type: 'tick'; levelId: number; live: LiveCounts }
  | { type: 'result'; levelId: number; run: LevelRun }
  | { type: 'error'; levelId: number | null; code: string; message: string; hint?: string };

/** A trajectory set's identity: the loaded content, not the file names (workers may mount it elsewhere). */
export function trajectorySetHash(trajectories: readonly Trajectory[]): string {
  return createHash('sha256').update(JSON.stringify(trajectories)).digest('hex');
}
