import { Box, Text } from 'ink';
import { bracketText, fmtRate, liveLine, passText, progressBar, type ProgressState } from './progress-state.js';
import { levelText } from './types.js';

const LOG_LINES = 8;

/** The live sweep view: header, current level with its window bar, per-tier rows, finished levels. */
export function SweepView({ state, width }: { state: ProgressState; width?: number }) {
  const lv = state.level;
  const inWindow = lv?.phase === 'window' && lv.windowS > 0;
  const frac = !lv ? 0 : inWindow ? lv.elapsedS / lv.windowS : lv.phase === 'drain' ? 1 : 0;
  const shown = state.finished.slice(-LOG_LINES);
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Text bold>{state.title || 'agentdyno'}</Text>
        <Text> → {state.target}</Text>
        {state.simulated ? <Text color="yellow" bold>{'  SIMULATED'}</Text> : null}
        {state.runId ? <Text dimColor>{`  (${state.runId})`}</Text> : null}
      </Box>
      {state.finished.length > shown.length ? <Text dimColor>{`… ${state.finished.length - shown.length} earlier levels`}</Text> : null}
      {shown.map((f, i) => (
        <Text key={`${f.concurrency}-${i}`} color={f.valid ? undefined : 'red'}>
          {f.unit === 'req/s' ? `done ${String(f.concurrency).padStart(5)} req/s  ` : `done ${String(f.concurrency).padStart(5)} agents  `}
          {f.tiers.map((t) => `${fmtRate(t.sloTokPerS)} tok/s ${passText(t).padStart(4)}`).join('  ')}
          {f.valid ? '' : `  INVALID: ${f.reasons.join('; ')}`}
        </Text>
      ))}
      {lv ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            <Text bold>{`level ${lv.index + 1}: ${levelText(lv.concurrency, lv.unit)}`}</Text>
            {`  ${lv.phase}  `}
            <Text color="cyan">{progressBar(frac, 24, '█', '░')}</Text>
            {inWindow ? ` ${Math.floor(lv.elapsedS)}/${Math.round(lv.windowS)} s` : ` ${Math.floor(lv.elapsedS)} s`}
          </Text>
          <Text>
            {`active ${lv.activeAgents}  requests ${lv.requestsDone}  `}
            <Text color={lv.errors > 0 ? 'red' : undefined}>{`errors ${lv.errors}`}</Text>
            {`  output ${fmtRate(lv.outputTokPerS)} tok/s  power ${lv.powerW === null ? '-' : `${fmtRate(lv.powerW)} W`}`}
          </Text>
          {lv.live ? <Text dimColor>{liveLine(lv.live)}</Text> : null}
        </Box>
      ) : null}
      {state.tiers.length > 0 ? (
        <Box flexDirection="column" marginTop={lv ? 0 : 1}>
          {state.tiers.map((t) => (
            <Text key={t.sloTokPerS}>
              {`SLO ${fmtRate(t.sloTokPerS).padStart(5)} tok/s  pass ${passText(t).padStart(4)}  bracket ${bracketText(t)}`}
            </Text>
          ))}
        </Box>
      ) : null}
      {state.phase ? <Text color="cyan">{state.phase.text}</Text> : null}
      {state.messages.map((m, i) => (
        <Text key={i} color={m.level === 'warn' ? 'yellow' : undefined}>
          {m.level === 'warn' ? `warning: ${m.text}` : m.text}
        </Text>
      ))}
      {state.status !== 'running' ? (
        <Text bold color={state.status === 'completed' ? 'green' : 'red'}>{`run ${state.status}`}</Text>
      ) : null}
    </Box>
  );
}

