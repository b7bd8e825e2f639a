/** The dashboard for a suite (task progress, per-task status/score/iterations) or a budget bench (policy progress, violations), fitting 80x24. */
import { Box, Text } from 'ink';
import type { FollowedRun } from './dashboard-state.js';
import { fmtRate, progressBar } from './progress-state.js';
import { elapsedS, type PolicyView, type TaskView, type WorkState } from './work-state.js';

const ROWS = 14;
const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
const score = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(3));
const pct = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)}%`);

function elapsedText(w: WorkState, running: boolean, nowMs: number | undefined): string {
  // While running, elapsed runs on with the wall clock between events; once ended, to the last event.
  const e = running && nowMs !== undefined && w.startedMs !== null ? Math.max(0, (nowMs - w.startedMs) / 1000) : elapsedS(w);
  return e === null ? '-' : `${Math.floor(e)} s`;
}

function Header({ run, index, count, paused, width }: { run: FollowedRun; index: number; count: number; paused: boolean; width: number }) {
  const s = run.progress;
  // One line: the title gives way (a suite's folder can be long), the id and status stay.
  const room = Math.max(8, width - run.ref.id.length - `  ${s.status}  run ${index + 1}/${count}`.length - (s.simulated ? 11 : 0) - (paused ? 8 : 0) - 1);
  const title = s.title || run.ref.kind;
  return (
    <Text>
      <Text bold>{title.length > room ? title.slice(0, room - 1) + '…' : title}</Text>
      <Text>{` ${run.ref.id}`}</Text>
      {s.simulated ? <Text color="yellow" bold>{' SIMULATED'}</Text> : null}
      <Text dimColor>{`  ${s.status}  run ${index + 1}/${count}`}</Text>
      {paused ? <Text color="magenta" bold>{'  PAUSED'}</Text> : null}
    </Text>
  );
}

function Footer({ run, width }: { run: FollowedRun; width: number }) {
  const m = run.progress.messages;
  const last = m[m.length - 1];
  return (
    <>
      <Text color={last?.level === 'warn' ? 'yellow' : undefined}>{last ? last.text.slice(0, width) : ' '}</Text>
      <Text dimColor>{'q quit  n/p next/previous run  space pause'}</Text>
    </>
  );
}

const taskColor = (t: TaskView) => (t.status === 'success' ? 'green' : t.status === 'failed' ? 'red' : t.status === 'miss' ? 'yellow' : 'cyan');

export function SuiteDashboard({ run, index, count, paused, width, nowMs }: { run: FollowedRun; index: number; count: number; paused: boolean; width: number; nowMs?: number }) {
  const w = run.work;
  const done = w.tasks.filter((t) => t.status !== 'running').length;
  const running = w.tasks.filter((t) => t.status === 'running');
  const total = w.total ?? w.tasks.length;
  const isRunning = run.progress.status === 'running';
  // Running tasks first, then the newest finished ones: what changes is what stays on screen.
  const shown = [...running, ...w.tasks.filter((t) => t.status !== 'running').reverse()].slice(0, ROWS);
  const idW = Math.max(12, width - 56);
  return (
    <Box flexDirection="column" width={width}>
      <Header run={run} index={index} count={count} paused={paused} width={width} />
      <Text>
        {`tasks ${done}/${total} done  `}
        <Text color="cyan">{progressBar(total ? done / total : 0, 20, '█', '░')}</Text>
        {`  ${running.length} running  elapsed ${elapsedText(w, isRunning, nowMs)}`}
      </Text>
      <Text>{`succeeded ${w.tasks.filter((t) => t.status === 'success').length}  missed ${w.tasks.filter((t) => t.status === 'miss').length}  failed ${w.tasks.filter((t) => t.status === 'failed').length}`}</Text>
      <Text dimColor>{`${fit('task', idW)} ${'status'.padEnd(7)} ${'iter'.padStart(4)} ${'norm'.padStart(7)} ${'tokens'.padStart(8)} ${'wall s'.padStart(7)}  stop`}</Text>
      {shown.length === 0 ? <Text>{'(no task started yet)'}</Text> : null}
      {shown.map((t) => {
        const wall = t.wallS ?? (t.status === 'running' && nowMs !== undefined && isRunning ? (nowMs - t.startedMs) / 1000 : null);
        return (
          <Text key={t.taskId}>
            {`${fit(t.taskId, idW)} `}
            <Text color={taskColor(t)}>{t.status.padEnd(7)}</Text>
            {` ${String(t.iterations).padStart(4)} ${score(t.normalizedScore).padStart(7)} ${String(t.tokens).padStart(8)} ${(wall === null ? '-' : wall.toFixed(1)).padStart(7)}  ${(t.error ?? t.stopReason ?? '').slice(0, 14)}`}
          </Text>
        );
      })}
      {w.tasks.length > ROWS ? <Text dimColor>{`+${w.tasks.length - ROWS} more tasks`}</Text> : null}
      <Text dimColor>{'norm: normalized score (baseline 0, ref 1); best accepted so far while running'}</Text>
      <Footer run={run} width={width} />
    </Box>
  );
}

function policyLine(p: PolicyView): string {
  const bar = progressBar(p.trials ? p.trialsDone / p.trials : 0, 10, '█', '░');
  const over = p.overProvisioning === null ? '-' : `${fmtRate(p.overProvisioning)}x`;
  const comp = p.completion === null ? '-' : `${(p.completion * 100).toFixed(1)}%`;
  return `${p.policy.padEnd(9)} ${bar} ${`${p.trialsDone}/${p.trials}`.padStart(9)} ${String(p.violations).padStart(5)} ${(p.serverFaultViolations === null ? '-' : String(p.serverFaultViolations)).padStart(6)} ${pct(p.maxOvershootPct).padStart(7)} ${pct(p.p95OvershootPct).padStart(7)} ${over.padStart(6)} ${comp.padStart(6)}`;
}

export function BenchDashboard({ run, index, count, paused, width, nowMs }: { run: FollowedRun; index: number; count: number; paused: boolean; width: number; nowMs?: number }) {
  const w = run.work;
  const done = w.policies.filter((p) => p.ended).length;
  const total = w.total ?? w.policies.length;
  const current = w.policies.find((p) => !p.ended);
  return (
    <Box flexDirection="column" width={width}>
      <Header run={run} index={index} count={count} paused={paused} width={width} />
      <Text>
        {`policies ${done}/${total} done  `}
        <Text color="cyan">{progressBar(total ? done / total : 0, 20, '█', '░')}</Text>
        {`  ${current ? `now ${current.policy}` : ''}  elapsed ${elapsedText(w, run.progress.status === 'running', nowMs)}`}
      </Text>
      <Text dimColor>{`${'policy'.padEnd(9)} ${'trials'.padEnd(20)} ${'viol'.padStart(5)} ${'server'.padStart(6)} ${'max ov'.padStart(7)} ${'p95 ov'.padStart(7)} ${'o-prov'.padStart(6)} ${'compl'.padStart(6)}`}</Text>
      {w.policies.length === 0 ? <Text>{'(no policy started yet)'}</Text> : null}
      {w.policies.slice(0, ROWS).map((p) => (
        <Text key={p.policy} color={p.violations > 0 ? 'red' : p.ended ? 'green' : undefined}>{policyLine(p)}</Text>
      ))}
      <Text dimColor>{'viol: trials whose true spend exceeded the budget (so far while running);'}</Text>
      <Text dimColor>{'server: of those, the server ignored max_tokens; o-prov: reserved/used tokens'}</Text>
      <Footer run={run} width={width} />
    </Box>
  );
}
