import { Box, Text } from 'ink';
import { asciiChart } from './chart.js';
import type { FollowedRun } from './dashboard-state.js';
import { bracketText, fmtRate, passText, progressBar } from './progress-state.js';
import { sparkline } from './sparkline.js';
import { BenchDashboard, SuiteDashboard } from './WorkDashboard.js';

const SPARK = 22;
const num = (v: number | null | undefined, unit = '') => (v === null || v === undefined || !Number.isFinite(v) ? '-' : `${fmtRate(v)}${unit}`);

/** The dashboard for one followed run, laid out to fit 80x24. */
export function Dashboard({ run, index, count, paused, width = 80, nowMs }: { run: FollowedRun | null; index: number; count: number; paused: boolean; width?: number; nowMs?: number }) {
  if (!run) return <Text>{'waiting for a run to follow (start a sweep, replay, suite or budget bench; q quits)'}</Text>;
  const kind = run.work.kind ?? run.ref.kind;
  if (kind === 'suite') return <SuiteDashboard run={run} index={index} count={count} paused={paused} width={width} nowMs={nowMs} />;
  if (kind === 'budget-bench') return <BenchDashboard run={run} index={index} count={count} paused={paused} width={width} nowMs={nowMs} />;
  const s = run.progress;
  const lv = s.level;
  const h = s.history;
  const col = (k: keyof (typeof h)[number]) => h.map((p) => p[k] as number | null);
  const last = h[h.length - 1];
  const inWindow = lv?.phase === 'window' && lv.windowS > 0;
  const frac = !lv ? 0 : inWindow ? lv.elapsedS / lv.windowS : lv.phase === 'drain' ? 1 : 0;
  const errs = Object.entries(lv?.live?.errorsByClass ?? {}).map(([k, n]) => `${k} ${n}`).join(', ');
  const series = Object.entries(run.curve).map(([tier, pts]) => ({ name: `${tier} tok/s`, points: pts.map(([n, p]) => [n, p] as [number, number]) }));
  const chart = series.length ? asciiChart(series, { width: Math.max(20, width - 12), height: 4, yMin: 0, yMax: 1, format: (v) => (v <= 1 && v >= 0 && !Number.isInteger(v) ? `${Math.round(v * 100)}%` : String(+v.toPrecision(3))) }).trimEnd() : '(no level finished yet)';
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        <Text bold>{s.title || run.ref.kind}</Text>
        <Text>{` ${run.ref.id}`}</Text>
        {s.simulated ? <Text color="yellow" bold>{' SIMULATED'}</Text> : null}
        <Text dimColor>{`  ${s.status}  run ${index + 1}/${count}`}</Text>
        {paused ? <Text color="magenta" bold>{'  PAUSED'}</Text> : null}
      </Text>
      <Text>
        {lv ? `N=${lv.concurrency} (level ${lv.index + 1})  ${lv.phase.padEnd(6)} ` : s.phase ? s.phase.text : `levels done ${s.finished.length}`}
        {lv ? <Text color="cyan">{progressBar(frac, 20, '█', '░')}</Text> : null}
        {lv ? (inWindow ? ` ${Math.floor(lv.elapsedS)}/${Math.round(lv.windowS)} s` : ` ${Math.floor(lv.elapsedS)} s`) : ''}
      </Text>
      <Text>{lv ? `active ${lv.activeAgents}  req ${lv.requestsDone}  err ${lv.errors}  ${num(lv.outputTokPerS)} tok/s  power ${num(lv.powerW, ' W')}  energy ${num(lv.live?.energyJ, ' J')}` : ' '}</Text>
      {s.tiers.map((t) => (
        <Text key={t.sloTokPerS}>{`SLO ${fmtRate(t.sloTokPerS).padStart(4)} tok/s  pass ${passText(t).padStart(4)}${lv?.phase === 'window' ? ' (so far)' : '         '}  bracket ${bracketText(t)}`}</Text>
      ))}
      <Text>{`tok/s    ${sparkline(col('outputTokPerS'), SPARK).padEnd(SPARK)} ${num(last?.outputTokPerS).padStart(6)}  W    ${sparkline(col('powerW'), SPARK).padEnd(SPARK)} ${num(last?.powerW).padStart(6)}`}</Text>
      <Text>{`TTFT p50 ${sparkline(col('ttftP50Ms'), SPARK).padEnd(SPARK)} ${num(last?.ttftP50Ms).padStart(6)}  p99  ${sparkline(col('ttftP99Ms'), SPARK).padEnd(SPARK)} ${num(last?.ttftP99Ms).padStart(6)} ms`}</Text>
      <Text>{`TPOT p50 ${sparkline(col('tpotP50Ms'), SPARK).padEnd(SPARK)} ${num(last?.tpotP50Ms).padStart(6)}  p99  ${sparkline(col('tpotP99Ms'), SPARK).padEnd(SPARK)} ${num(last?.tpotP99Ms).padStart(6)} ms`}</Text>
      <Text>{`client timing lag p99 ${sparkline(col('clientLagP99Ms'), SPARK).padEnd(SPARK)} ${num(last?.clientLagP99Ms, ' ms')}${lv?.live?.canaryLagP99Ms != null ? `  canary p99 ${num(lv.live.canaryLagP99Ms, ' ms')}` : ''}`}</Text>
      <Text color={errs ? 'red' : undefined}>{`errors by class: ${errs || 'none'}`}</Text>
      <Text dimColor>{'pass rate vs N (levels finished):'}</Text>
      <Text>{chart}</Text>
      <Text color={s.messages.length && s.messages[s.messages.length - 1].level === 'warn' ? 'yellow' : undefined}>{s.messages.length ? s.messages[s.messages.length - 1].text.slice(0, width) : ' '}</Text>
      <Text dimColor>{'q quit  n/p next/previous run  space pause'}</Text>
    </Box>
  );
}
