import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { SweepView, initialProgressState, reduceProgress, type ProgressEvent } from '../../src/ui/index.js';

const events: ProgressEvent[] = [
  { type: 'run-start', runId: 'sweep-1', title: 'SLO sweep', target: 'sim:h100-vllm', simulated: true },
  { type: 'level-start', concurrency: 4, index: 0, phase: 'warmup' },
  {
    type: 'level-tick',
    concurrency: 4,
    elapsedS: 15,
    windowS: 30,
    phase: 'window',
    activeAgents: 4,
    requestsDone: 37,
    errors: 2,
    outputTokPerS: 182.25,
    powerW: 412,
    tiers: [
      { sloTokPerS: 20, passRate: 1, maxPassing: null, minFailing: null },
      { sloTokPerS: 60, passRate: 0.75, maxPassing: null, minFailing: null },
    ],
  },
];

function frameAfter(evs: ProgressEvent[]): string {
  const state = evs.reduce(reduceProgress, initialProgressState());
  const { lastFrame, unmount } = render(<SweepView state={state} />);
  const f = lastFrame() ?? '';
  unmount();
  return f;
}

describe('SweepView', () => {
  it('shows title, SIMULATED, level, window bar, counters and tiers', () => {
    const f = frameAfter(events);
    expect(f).toContain('SLO sweep');
    expect(f).toContain('sim:h100-vllm');
    expect(f).toContain('SIMULATED');
    expect(f).toContain('level 1: 4 agents');
    expect(f).toContain('window');
    expect(f).toContain('15/30 s');
    expect(f).toMatch(/█{12}░{12}/); // half the window
    expect(f).toContain('active 4');
    expect(f).toContain('requests 37');
    expect(f).toContain('errors 2');
    expect(f).toContain('output 182 tok/s');
    expect(f).toContain('power 412 W');
    expect(f).toMatch(/SLO\s+20 tok\/s\s+pass 100%\s+bracket \[-, -\]/);
    expect(f).toMatch(/SLO\s+60 tok\/s\s+pass\s+75%/);
  });

  it('logs finished levels, brackets, warnings and the final status', () => {
    const f = frameAfter([
      ...events,
      {
        type: 'level-end',
        concurrency: 4,
        valid: true,
        reasons: [],
        tiers: [
          { sloTokPerS: 20, passRate: 1, maxPassing: 4, minFailing: null },
          { sloTokPerS: 60, passRate: 0.5, maxPassing: null, minFailing: 4 },
        ],
      },
      { type: 'level-start', concurrency: 8, index: 1, phase: 'warmup' },
      { type: 'level-end', concurrency: 8, valid: false, reasons: ['endpoint errors 30%'], tiers: [] },
      { type: 'message', level: 'warn', text: 'power samples sparse' },
      { type: 'run-end', runId: 'sweep-1', status: 'interrupted' },
    ]);
    expect(f).toMatch(/done\s+4 agents\s+20 tok\/s 100%\s+60 tok\/s\s+50%/);
    expect(f).toContain('INVALID: endpoint errors 30%');
    expect(f).toContain('bracket [4, -]');
    expect(f).toContain('bracket [-, 4]');
    expect(f).toContain('warning: power samples sparse');
    expect(f).toContain('run interrupted');
    expect(f).not.toContain('level 2: 8 agents'); // the run ended: no current level
  });

  it('a real (non-simulated) target carries no SIMULATED label', () => {
    const f = frameAfter([{ type: 'run-start', runId: 'r', title: 'sweep', target: 'http://127.0.0.1:8000', simulated: false }]);
    expect(f).not.toContain('SIMULATED');
  });
});
