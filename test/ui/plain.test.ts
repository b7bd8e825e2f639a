import { describe, expect, it } from 'vitest';
import { PlainProgressPrinter, createProgressSink, type ProgressEvent } from '../../src/ui/index.js';

function fake() {
  const lines: string[] = [];
  return { stream: { write: (s: string) => lines.push(s) }, lines };
}

const tiers = [
  { sloTokPerS: 20, passRate: 1, maxPassing: 8, minFailing: null },
  { sloTokPerS: 60, passRate: 0.5, maxPassing: 4, minFailing: 8 },
];
const tick = (elapsedS: number): ProgressEvent => ({
  type: 'level-tick',
  concurrency: 8,
  elapsedS,
  windowS: 30,
  phase: 'window',
  activeAgents: 8,
  requestsDone: 10 * elapsedS,
  errors: 1,
  outputTokPerS: 321.4,
  powerW: 350,
  tiers,
});

describe('PlainProgressPrinter', () => {
  it('prints level start/end and throttles ticks to one per interval', () => {
    const f = fake();
    let now = 0;
    const p = new PlainProgressPrinter({ stream: f.stream, nowMs: () => now });
    p.emit({ type: 'run-start', runId: 'r1', title: 'sweep', target: 'sim:h100', simulated: true });
    p.emit({ type: 'level-start', concurrency: 8, index: 2, phase: 'warmup' });
    for (let s = 1; s <= 12; s++) {
      now = s * 1000;
      p.emit(tick(s));
    }
    p.emit({ type: 'level-end', concurrency: 8, valid: false, reasons: ['too few requests'], tiers });
    p.emit({ type: 'message', level: 'warn', text: 'power coverage 40%' });
    p.emit({ type: 'run-end', runId: 'r1', status: 'completed' });
    p.close();
    p.emit({ type: 'message', level: 'warn', text: 'after close' });
    expect(f.lines).toEqual([
      'agentdyno: sweep -> sim:h100 [SIMULATED] (run r1)\n',
      'level 3: 8 agents, warmup\n',
      '  8 agents window 5/30 s: 8 active, 50 requests, 1 errors, 321 tok/s, 350 W | 20 tok/s pass 100% bracket [8, -] | 60 tok/s pass 50% bracket [4, 8]\n',
      '  8 agents window 10/30 s: 8 active, 100 requests, 1 errors, 321 tok/s, 350 W | 20 tok/s pass 100% bracket [8, -] | 60 tok/s pass 50% bracket [4, 8]\n',
      'level done: 8 agents INVALID (too few requests) | 20 tok/s pass 100% bracket [8, -] | 60 tok/s pass 50% bracket [4, 8]\n',
      'warning: power coverage 40%\n',
      'run r1 completed\n',
    ]);
  });

  it('minimal (--json) mode drops ticks, level starts and info messages', () => {
    const f = fake();
    const p = new PlainProgressPrinter({ stream: f.stream, minimal: true, nowMs: () => 1e9 });
    p.emit({ type: 'level-start', concurrency: 1, index: 0, phase: 'window' });
    p.emit(tick(29));
    p.emit({ type: 'message', level: 'info', text: 'hello' });
    p.emit({ type: 'level-end', concurrency: 1, valid: true, reasons: [], tiers: [] });
    expect(f.lines).toEqual(['level done: 1 agents valid\n']);
  });

  it('createProgressSink picks the plain printer for non-TTY streams and json', () => {
    const f = fake();
    const stream = Object.assign(f.stream, { isTTY: false }) as unknown as NodeJS.WriteStream;
    expect(createProgressSink({ json: false, stream })).toBeInstanceOf(PlainProgressPrinter);
    const tty = Object.assign({ write: () => true }, { isTTY: true }) as unknown as NodeJS.WriteStream;
    expect(createProgressSink({ json: true, stream: tty })).toBeInstanceOf(PlainProgressPrinter);
  });
});
