import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { PassThrough } from 'node:stream';
import { DashboardApp, FeedSink, runDashboard, SweepView, initialProgressState, reduceProgress, sparkline, type DashboardSource, type FeedEvent, type ProgressEvent } from '../../src/ui/index.js';

const live = { ttftMs: { p50: 25, p99: 52, n: 9 }, tpotMs: { p50: 11.8, p99: 12.4, n: 9 }, errorsByClass: { http_5xx: 2 }, energyJ: 540, clientLagP99Ms: 12.1, canaryLagP99Ms: null, callsJudged: 9 };
const tick = (concurrency: number, tokps: number, passRate: number | null): ProgressEvent => ({
  type: 'level-tick', concurrency, elapsedS: 2, windowS: 5, phase: 'window', activeAgents: concurrency, requestsDone: 10, errors: 2, outputTokPerS: tokps, powerW: 180 + tokps / 10, tiers: [{ sloTokPerS: 20, passRate, maxPassing: null, minFailing: null }], live: { ...live, ttftMs: { ...live.ttftMs, p50: tokps / 10 } },
});
const script: ProgressEvent[] = [
  { type: 'run-start', runId: 'sweep-a', title: 'agentdyno sweep', target: 'http://127.0.0.1:1', simulated: true },
  { type: 'phase', phase: 'idle-power', text: 'measuring idle power for 1 s before the first level' },
  { type: 'level-start', concurrency: 6, index: 0, phase: 'warmup' },
  tick(6, 300, 1), tick(6, 320, 1), tick(6, 310, 0.83),
  { type: 'level-end', concurrency: 6, valid: true, reasons: [], tiers: [{ sloTokPerS: 20, passRate: 1, maxPassing: 6, minFailing: null }] },
  { type: 'level-start', concurrency: 12, index: 1, phase: 'warmup' },
  tick(12, 600, 0.5), tick(12, 640, 0.5),
  { type: 'level-end', concurrency: 12, valid: true, reasons: [], tiers: [{ sloTokPerS: 20, passRate: 0.5, maxPassing: 6, minFailing: 12 }] },
];

function feed(events: ProgressEvent[]): FeedEvent[] {
  const out: FeedEvent[] = [];
  const sink = new FeedSink((e) => out.push(e), { intervalMs: 0 });
  for (const e of events) sink.emit(e);
  return out;
}

function source(runs: { id: string; status: string; events: FeedEvent[] }[]): DashboardSource {
  return { runs: () => runs.map((r) => ({ id: r.id, kind: 'sweep', status: r.status })), events: (id, after) => runs.find((r) => r.id === id)!.events.filter((e) => e.seq > after) };
}

const wait = (ms = 80) => new Promise((r) => setTimeout(r, ms));
/** Polls the frame until it holds `text` (a loaded machine renders late), at most 3 s. */
async function frameWith(lastFrame: () => string | undefined, text: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const f = lastFrame() ?? '';
    if (f.includes(text)) return f;
    await wait(20);
  }
  return lastFrame() ?? '';
}

describe('dashboard', () => {
  it('fits 80x24 and shows level, live pass rate, sparklines, errors, lag and the pass-rate-vs-N curve', async () => {
    const evs = feed(script.slice(0, -1));
    const { lastFrame, unmount } = render(<DashboardApp source={source([{ id: 'sweep-a', status: 'running', events: evs }])} opts={{ intervalMs: 30, width: 80 }} />);
    const f = await frameWith(lastFrame, '* 20 tok/s');
    unmount();
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(f).toContain('SIMULATED');
    expect(f).toContain('N=12 (level 2)  window');
    expect(f).toMatch(/pass\s+50% \(so far\)/);
    expect(f).toContain('http_5xx 2');
    expect(f).toContain('energy 540 J');
    expect(f).toMatch(/tok\/s\s+[▁▂▃▄▅▆▇█]{5}/);
    expect(f).toContain('client timing lag p99');
    expect(f).toContain('* 20 tok/s'); // one finished level drawn
  });

  it('keys: n/p switch runs, space pauses (new events wait), q quits', async () => {
    const a = { id: 'sweep-b', status: 'running', events: feed(script.slice(0, 4)) };
    const b = { id: 'sweep-a', status: 'completed', events: feed(script) };
    const { lastFrame, stdin, unmount } = render(<DashboardApp source={source([a, b])} opts={{ intervalMs: 30 }} />);
    expect(await frameWith(lastFrame, 'sweep-b')).toContain('sweep-b');
    await wait(150); // ink attaches its key listener after the first frame
    stdin.write('n');
    expect(await frameWith(lastFrame, 'run 2/2')).toContain('sweep-a');
    stdin.write('p');
    expect(await frameWith(lastFrame, 'run 1/2')).toContain('sweep-b');
    stdin.write(' ');
    expect(await frameWith(lastFrame, 'PAUSED')).toContain('PAUSED');
    a.events = feed(script.slice(0, 8));
    await wait(200);
    expect(lastFrame()).toContain('N=6'); // paused: still the old level
    stdin.write(' ');
    expect(await frameWith(lastFrame, 'N=12')).toContain('N=12');
    stdin.write('q');
    await wait();
    unmount();
  });

  it('sparkline scales to the series and keeps gaps', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, null, 5], 3)).toBe('▄ ▄');
    expect(sparkline([1, 2, 3], 2)).toBe('▁█');
  });
});

describe('live view fixes', () => {
  const frame = (evs: ProgressEvent[]) => {
    const { lastFrame, unmount } = render(<SweepView state={evs.reduce(reduceProgress, initialProgressState())} />);
    const f = lastFrame() ?? '';
    unmount();
    return f;
  };
  it('the idle-power phase line goes away once a level starts', () => {
    expect(frame(script.slice(0, 2))).toContain('measuring idle power');
    expect(frame(script.slice(0, 3))).not.toContain('measuring idle power');
  });
  it('shows the live pass rate, power and live figures during the window', () => {
    const f = frame(script.slice(0, 5));
    expect(f).toMatch(/pass\s+100%/);
    expect(f).toContain('power 212 W');
    expect(f).toContain('TTFT p50/p99 32.0/52.0 ms');
    expect(f).toContain('errors: http_5xx 2');
  });
});

describe('FeedSink', () => {
  it('numbers events, keeps the run id, and writes live ticks at most once per interval', () => {
    let now = 0;
    const out: FeedEvent[] = [];
    const sink = new FeedSink((e) => out.push(e), { intervalMs: 1000, nowMs: () => now });
    sink.emit(script[0]);
    for (let i = 0; i < 5; i++) {
      now += 400;
      sink.emit(script[3]);
    }
    sink.emit(script[6]);
    expect(out.map((e) => e.type)).toEqual(['run-start', 'level-tick', 'level-tick', 'level-end']);
    expect(out.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(out.every((e) => e.runId === 'sweep-a' && e.format === 'agentdyno.events.v1')).toBe(true);
  });
  it('a failing writer is reported once and never throws into the run', () => {
    const errors: string[] = [];
    const sink = new FeedSink(() => { throw new Error('disk full'); }, { onError: (e) => errors.push(e.message) });
    for (const e of script) sink.emit(e);
    expect(errors).toEqual(['disk full']);
  });

  it('on a terminal with CI set, prints plain lines and says why (Ink would never redraw there)', async () => {
    const tty = () => Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const out = tty();
    const err = new PassThrough();
    let printed = '';
    let said = '';
    out.on('data', (b: Buffer) => (printed += b.toString()));
    err.on('data', (b: Buffer) => (said += b.toString()));
    const evs = feed([...script, { type: 'run-end', status: 'completed' } as ProgressEvent]);
    await runDashboard(source([{ id: 'sweep-a', status: 'completed', events: evs }]), {
      stdout: out as unknown as NodeJS.WriteStream, stdin: tty() as unknown as NodeJS.ReadStream, stderr: err, env: { CI: 'true' }, intervalMs: 10,
    });
    expect(said).toMatch(/CI is set/);
    expect(printed.match(/^level done: /gm)?.length).toBe(2);
  });
});
