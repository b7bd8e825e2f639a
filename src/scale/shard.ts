/**
 * Scale-out flags (DESIGN 7), pure: `--shard I/K` (or `auto/K`, reading a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX) and `--start-at ISO8601`, the wall-clock time every shard starts its load.
 */
import { AgentdynoError } from '../core/index.js';
import { START_AT_LATE_TOLERANCE_MS, shardLanes } from '../replay/index.js';

export interface ShardSpec {
  index: number;
  count: number;
  /** Global lane indices this shard runs (i % count === index). */
  lanes: number[];
}

/** What a shard run records in its config (`config.shard`). */
export interface ShardConfig {
  index: number;
  count: number;
  /** ISO 8601, or null when the shard started without a synchronized start time. */
  startAt: string | null;
  concurrencyTotal: number;
  lanes: number[];
}

/** At most this far ahead: a typo (a wrong day) should not leave a Job sleeping for days. */
export const START_AT_MAX_AHEAD_MS = 24 * 3600 * 1000;

const SHARD_HINT = 'Write --shard I/K with 0 <= I < K (e.g. --shard 0/4), or --shard auto/K inside a Kubernetes Indexed Job (JOB_COMPLETION_INDEX gives I).';

export function parseShard(spec: string, concurrency: number, env: Record<string, string | undefined> = process.env): ShardSpec {
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new AgentdynoError(`--shard "${spec}" is not of the form I/K`, { code: 'E_USAGE', where: '--shard', hint: SHARD_HINT });
  const count = Number(m[2]);
  let indexText = m[1];
  if (indexText === 'auto') {
    const v = env.JOB_COMPLETION_INDEX;
    if (v === undefined || !/^\d+$/.test(v.trim())) {
      throw new AgentdynoError(`--shard auto/${count} needs the environment variable JOB_COMPLETION_INDEX (a non-negative integer)${v === undefined ? ', which is not set' : `, got "${v}"`}`, { code: 'E_USAGE', where: 'JOB_COMPLETION_INDEX',
        hint: 'Run it as a Kubernetes Indexed Job (completionMode: Indexed sets it), or give the index explicitly: --shard I/K.',
      });
    }
    indexText = v.trim();
  }
  const index = Number(indexText);
  if (count < 1 || index >= count) throw new AgentdynoError(`--shard ${index}/${count}: the index must be below the shard count (0..${Math.max(0, count - 1)})`, { code: 'E_USAGE', where: '--shard', hint: SHARD_HINT });
  if (count > concurrency) {
    throw new AgentdynoError(`--shard ${index}/${count}: ${count} shards for ${concurrency} lanes would leave some shard with no lane`, { code: 'E_USAGE', where: '--shard',
      hint: 'Use at most as many shards as --concurrency lanes.',
    });
  }
  return { index, count, lanes: shardLanes(concurrency, index, count) };
}

/** Parse and check --start-at against `nowMs`: not more than the tolerance in the past, not more than 24 h ahead. */
export function parseStartAt(text: string, nowMs: number): number {
  // Date.parse accepts many shapes; insist on an ISO 8601 date-time with an explicit zone so every machine reads the same instant.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
  const ms = iso.test(text.trim()) ? Date.parse(text.trim()) : NaN;
  if (!Number.isFinite(ms)) {
    throw new AgentdynoError(`--start-at "${text}" is not an ISO 8601 date-time with a time zone`, { code: 'E_USAGE', where: '--start-at',
      hint: 'Give the same UTC instant to every shard, e.g. --start-at 2026-05-01T12:00:00Z (date -u -d "+2 min" +%Y-%m-%dT%H:%M:%SZ).',
    });
  }
  if (ms < nowMs - START_AT_LATE_TOLERANCE_MS) {
    throw new AgentdynoError(`--start-at ${new Date(ms).toISOString()} is ${((nowMs - ms) / 1000).toFixed(1)} s in the past (this machine's clock says ${new Date(nowMs).toISOString()})`, { code: 'E_USAGE', where: '--start-at',
      hint: 'Pick a time far enough ahead for every shard to start and set up (a minute or two), and check that the machines\' clocks are synchronized (NTP).',
    });
  }
  if (ms > nowMs + START_AT_MAX_AHEAD_MS) {
    throw new AgentdynoError(`--start-at ${new Date(ms).toISOString()} is more than 24 h ahead (this machine's clock says ${new Date(nowMs).toISOString()})`, { code: 'E_USAGE', where: '--start-at',
      hint: 'Check the date and time zone; start times more than a day ahead are refused.',
    });
  }
  return ms;
}
