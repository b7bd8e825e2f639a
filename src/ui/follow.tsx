/**
 * `agentdyno dashboard`: follows runs through a source of stored live events (the command builds it
 * from the store; ui never reads the store itself). Ink on a TTY (q quit, n/p switch run, space pause),
 * plain lines otherwise.
 */
import { render, useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { applyEvents, newFollowed, type FollowedRun, type RunRef } from './dashboard-state.js';
import { Dashboard } from './Dashboard.js';
import { fromFeedEvent, type FeedEvent } from './feeds/events.js';
import { PlainProgressPrinter } from './plain.js';

export interface DashboardSource {
  /** Runs that can be followed (sweeps, replays, suites, budget benches), newest first. */
  runs(): RunRef[];
  /** Stored live events of `runId` after `afterSeq`, in order. */
  events(runId: string, afterSeq: number): FeedEvent[];
}

export interface DashboardOptions {
  /** Follow this run; default: the newest running one (and the next one when it ends, with follow). */
  runId?: string;
  follow?: boolean;
  intervalMs?: number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WritableStream;
  /** Environment to read CI from (default process.env). */
  env?: Record<string, string | undefined>;
  plain?: boolean;
  /** Wall clock for a running suite's or bench's elapsed time between events (tests pass a fixed one). */
  nowMs?: () => number;
  /** Columns to lay out for (default the terminal's, at most 100). */
  width?: number;
}

function pickInitial(runs: RunRef[], o: DashboardOptions): number {
  if (o.runId) return runs.findIndex((r) => r.id === o.runId);
  const running = runs.findIndex((r) => r.status === 'running');
  return running >= 0 ? running : runs.length ? 0 : -1;
}

/** The ink app: polls the source, folds events, handles keys. Exported for tests (ink-testing-library). */
export function DashboardApp({ source, opts }: { source: DashboardSource; opts: DashboardOptions }) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [runs, setRuns] = useState<RunRef[]>(() => source.runs());
  const [index, setIndex] = useState(() => pickInitial(runs, opts));
  const [paused, setPaused] = useState(false);
  const [, setTick] = useState(0);
  const followed = useRef(new Map<string, FollowedRun>());

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
    else if (input === 'n') setIndex((i) => (runs.length ? (i + 1) % runs.length : i));
    else if (input === 'p') setIndex((i) => (runs.length ? (i - 1 + runs.length) % runs.length : i));
    else if (input === ' ') setPaused((p) => !p);
  });

  // The poll reads the latest runs/index/pause through refs, so one interval lives as long as the app.
  const live = useRef({ runs, index, paused });
  live.current = { runs, index, paused };
  useEffect(() => {
    const poll = () => {
      const list = source.runs();
      const { runs: before, paused: isPaused } = live.current;
      // The functional update sees a key press made since the last render (never undoes it).
      const reindex = (i: number) => {
        const current = before[i]?.id;
        let j = current ? list.findIndex((r) => r.id === current) : pickInitial(list, opts);
        // --follow: when the followed run has ended and a newer one runs, move to it.
        if (opts.follow && j >= 0 && list[j].status !== 'running') {
          const newer = list.findIndex((r, k) => k < j && r.status === 'running');
          if (newer >= 0) j = newer;
        }
        return j >= 0 ? j : pickInitial(list, opts);
      };
      if (!isPaused) {
        for (const ref of list.slice(0, 8)) {
          const f = followed.current.get(ref.id) ?? newFollowed(ref);
          followed.current.set(ref.id, applyEvents({ ...f, ref }, source.events(ref.id, f.lastSeq)));
        }
      }
      setRuns(list);
      setIndex(reindex);
      setTick((t) => t + 1);
    };
    poll();
    const t = setInterval(poll, opts.intervalMs ?? 500);
    return () => clearInterval(t);
  }, []);

  const ref = runs[index];
  const run = ref ? (followed.current.get(ref.id) ?? null) : null;
  return <Dashboard run={run} index={Math.max(0, index)} count={runs.length} paused={paused} width={opts.width ?? Math.min(stdout?.columns || 80, 100)} nowMs={(opts.nowMs ?? Date.now)()} />;
}

/** Plain lines (not a TTY): the followed run's events as the sweep prints them, until it ends. */
async function plainFollow(source: DashboardSource, o: DashboardOptions): Promise<void> {
  const out = o.stdout ?? process.stdout;
  const printer = new PlainProgressPrinter({ stream: out, tickIntervalMs: 5000 });
  let current: RunRef | undefined;
  let seq = 0;
  for (;;) {
    const runs = source.runs();
    if (!current) {
      const i = pickInitial(runs, o);
      current = i >= 0 ? runs[i] : undefined;
      if (!current) out.write('waiting for a run to follow\n');
    }
    if (current) {
      let ended = false;
      for (const f of source.events(current.id, seq)) {
        seq = f.seq;
        const e = fromFeedEvent(f);
        printer.emit(e);
        if (e.type === 'run-end') ended = true;
      }
      const status = runs.find((r) => r.id === current!.id)?.status;
      if (ended || (status && status !== 'running')) {
        if (!o.follow) return;
        current = undefined;
        seq = 0;
      }
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
  }
}

/** The check Ink makes (its is-in-ci dependency): CI or CONTINUOUS_INTEGRATION set and not "0"/"false". */
export function ciEnvironment(env: Record<string, string | undefined>): boolean {
  const set = (k: string) => env[k] !== undefined && env[k] !== '0' && env[k] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

export async function runDashboard(source: DashboardSource, o: DashboardOptions = {}): Promise<void> {
  const stdout = o.stdout ?? process.stdout;
  if (o.plain || !stdout.isTTY || !(o.stdin ?? process.stdin).isTTY) return plainFollow(source, o);
  if (ciEnvironment(o.env ?? process.env)) {
    // Ink draws only the final frame when CI is set (is-in-ci): a live view would stay blank until the run ends.
    (o.stderr ?? process.stderr).write('dashboard: CI is set in the environment, so the live view would not redraw; printing plain lines (unset CI for the live view)\n');
    return plainFollow(source, o);
  }
  const app = render(<DashboardApp source={source} opts={o} />, { stdout, stdin: o.stdin ?? process.stdin, exitOnCtrlC: true, patchConsole: false, maxFps: 5 });
  await app.waitUntilExit();
}
