import { describe, expect, it } from 'vitest';
import { informativeness, nonRedundancy, normalizeText, retention, scoreEpisode, similarity, validity, type Episode, type EpisodeEvent, type EpisodeIteration } from '../../src/efc/index.js';

const RICH = 'runtime_ms median 30.10 (95% CI 29.80-30.40, mean 30.12, 3 repeats, noise cv 1.0%); best so far 40.00 (CI 39.5-40.5, iteration 0) — IMPROVED beyond noise (lower is better)';
const meas = (iteration: number, over: Partial<EpisodeEvent> = {}, detail: Record<string, unknown> = {}): EpisodeEvent => ({
  iteration,
  seq: 0,
  kind: 'measurement',
  text: RICH,
  detail: { value: 30.1, ciLow: 29.8, ciHigh: 30.4, mean: 30.12, repeats: 3, cv: 0.01, improved: true, mode: 'rich', sourceIteration: iteration, corrupted: false, ...detail },
  ...over,
});
const iter = (iteration: number, over: Partial<EpisodeIteration> = {}): EpisodeIteration => ({
  iteration,
  status: 'ok',
  proposal: { kind: 'change', params: { x: iteration } },
  feedbackShown: '',
  tokensIn: 0,
  tokensOut: 0,
  wallMs: 1000,
  improved: false,
  ...over,
});
function episode(iterations: EpisodeIteration[], events: EpisodeEvent[]): Episode {
  // Each turn is shown the events of the iteration before it, as the loop engine does.
  for (const it of iterations) if (!it.feedbackShown) it.feedbackShown = ['[budget] ...', ...events.filter((e) => e.iteration === it.iteration - 1).map((e) => e.text)].join('\n');
  return { runId: 'r', task: 't', agent: 'a', feedbackMode: 'rich', iterations, events, success: true, normalizedScore: 0.5, stopReason: 'iterations', baselineCv: 0.01, contextTokens: null };
}

describe('informativeness', () => {
  it('ranks a value with noise over a bare value over a verdict over nothing', () => {
    const rich = informativeness(meas(1)).score;
    const bare = informativeness(meas(1, { text: 'runtime_ms median 30.10' })).score;
    const terse = informativeness(meas(1, { text: 'measured: better' }, { mode: 'terse' })).score;
    const none = informativeness({ iteration: 0, seq: 0, kind: 'error', text: 'no result yet', detail: { mode: 'stale', sourceIteration: -1, corrupted: true } }).score;
    expect(rich).toBeGreaterThan(bare);
    expect(bare).toBeGreaterThan(terse);
    expect(terse).toBeGreaterThan(none);
    expect(none).toBe(0);
  });
  it('credits a build failure with its compiler output above a bare "build failed"', () => {
    const d = { ok: false, failure: 'build_error', mode: 'rich', sourceIteration: 1, corrupted: false };
    const rich = informativeness({ iteration: 1, seq: 0, kind: 'build_output', text: "build FAILED (build_error, exit 2) in 30 ms:\nsolve.c:3: error: expected ';'", detail: d });
    const terse = informativeness({ iteration: 1, seq: 0, kind: 'build_output', text: 'build failed', detail: d });
    expect(rich.score).toBeGreaterThan(terse.score);
  });
});

describe('validity', () => {
  const ep = episode([iter(1), iter(2)], [meas(1)]);
  it('is lower for a noise-corrupted value than for the clean one', () => {
    const clean = validity(meas(1), ep).score;
    const noisy = validity(meas(1, {}, { mode: 'noisy', corrupted: true, noiseFactor: 1.3, shownValue: 39.1 }), ep).score;
    expect(clean).toBe(1);
    expect(noisy).toBeLessThan(clean);
    expect(noisy).toBeCloseTo(0.01 / 0.3, 2); // tolerance (1 % cv) over a 30 % deviation
  });
  it('is zero for a stale result shown as current, and lower for few repeats or a wide CI', () => {
    expect(validity(meas(2, {}, { mode: 'stale', corrupted: true, sourceIteration: 1 }), ep).score).toBe(0);
    expect(validity(meas(1, {}, { repeats: 1 }), ep).score).toBeCloseTo(1 / 3, 5);
    expect(validity(meas(1, {}, { ciLow: 20, ciHigh: 40 }), ep).score).toBeLessThan(0.5);
  });
  it('re-checks a verdict on a later evaluation of the same candidate', () => {
    const v = (iteration: number, reward: number): EpisodeEvent => ({ iteration, seq: 1, kind: 'verifier', text: `score: reward ${reward}`, detail: { reward, mode: 'rich', sourceIteration: iteration, corrupted: false } });
    const same = { kind: 'change', params: { x: 1 } };
    const agree = episode([iter(1, { proposal: same }), iter(2, { proposal: same })], [v(1, 0.4), v(2, 0.3)]);
    const disagree = episode([iter(1, { proposal: same }), iter(2, { proposal: same })], [v(1, 0.4), v(2, 0)]);
    const none = episode([iter(1), iter(2)], [v(1, 0.4), v(2, 0.3)]);
    expect(validity(agree.events[0], agree).score).toBe(1);
    expect(validity(disagree.events[0], disagree).score).toBe(0.3);
    expect(validity(none.events[0], none).score).toBe(0.8);
  });
});

describe('non-redundancy', () => {
  it('scores a repeated message below a new one', () => {
    const earlier = [normalizeText(RICH)];
    const repeated = nonRedundancy(meas(2), earlier).score;
    const changed = nonRedundancy(meas(2, { text: RICH.replace('30.10 (95% CI 29.80-30.40, mean 30.12', '21.50 (95% CI 21.20-21.90, mean 21.55') }), earlier).score;
    const other = nonRedundancy({ iteration: 2, seq: 0, kind: 'build_output', text: "build FAILED (build_error, exit 2):\nkernel.c:7: error: 'n' undeclared", detail: {} }, earlier).score;
    expect(repeated).toBeLessThan(0.05);
    expect(changed).toBeGreaterThan(repeated);
    expect(other).toBeGreaterThan(changed);
  });
  it('treats noise-level differences in numbers as the same message', () => {
    const a = normalizeText('median 30.10 ms');
    expect(similarity(a, normalizeText('median 30.12 ms'))).toBe(1);
    expect(similarity(a, normalizeText('median 45.0 ms'))).toBe(0);
  });
});

describe('retention', () => {
  const broken: EpisodeEvent = { iteration: 1, seq: 0, kind: 'build_output', text: 'build FAILED (build_error, exit 2):\nx.c:1: error', detail: { ok: false, mode: 'rich', sourceIteration: 1, corrupted: false } };
  const bad = { kind: 'change', files: { 'x.c': 'not C' } };
  it('scores a forgotten failure (the same broken candidate re-proposed) below a respected one', () => {
    const forgotten = episode([iter(1, { status: 'build_error', proposal: bad }), iter(2, { status: 'build_error', proposal: bad })], [broken]);
    const respected = episode([iter(1, { status: 'build_error', proposal: bad }), iter(2, { proposal: { kind: 'change', files: { 'x.c': 'int main(){}' } } })], [broken]);
    expect(retention(broken, forgotten).score).toBe(0);
    expect(retention(broken, respected).score).toBe(1);
  });
  it('is zero when the run ended before the agent saw the event', () => {
    const ep = episode([iter(1, { status: 'build_error', proposal: bad })], [broken]);
    expect(retention(broken, ep).score).toBe(0);
  });
  it('drops with the share of later turns in which the event fell out of the context window', () => {
    const long = 'x'.repeat(4000); // ~1000 tokens per turn
    const its = [iter(1, { status: 'build_error', proposal: bad }), iter(2), iter(3, { feedbackShown: long }), iter(4, { feedbackShown: long })];
    const ep = episode(its, [broken]);
    ep.contextTokens = 1500;
    const r = retention(broken, ep);
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
  });
});

describe('aggregation', () => {
  it('multiplies the axes (a zero gates the event out) and discounts retries of the same failing candidate', () => {
    const bad = { kind: 'change', files: { 'x.c': 'not C' } };
    const fail = (iteration: number): EpisodeEvent => ({ iteration, seq: 0, kind: 'build_output', text: `build FAILED (build_error, exit 2):\nx.c:${iteration}: error`, detail: { ok: false, mode: 'rich', sourceIteration: iteration, corrupted: false } });
    const ep = episode([iter(1, { status: 'build_error', proposal: bad }), iter(2, { status: 'build_error', proposal: bad }), iter(3), iter(4)], [fail(1), fail(2), meas(3)]);
    const s = scoreEpisode(ep);
    expect(s.events.map((e) => e.retryIndex)).toEqual([0, 1, 0]);
    expect(s.events[0].retention).toBe(0); // re-proposed at iteration 2
    expect(s.events[0].efc).toBe(0);
    const e1 = s.events[1];
    expect(e1.efc).toBeCloseTo((10 * e1.informativeness * e1.validity * e1.nonRedundancy * e1.retention) / 1.35, 9);
    expect(s.efc).toBeCloseTo(s.events.reduce((a, e) => a + e.efc, 0), 9);
    expect(s.rawCompute).toEqual({ tokens: 0, toolCalls: 4, wallSec: 4 });
  });
  it('a judge adds scores beside the rule, never changing EFC', () => {
    const ep = episode([iter(1), iter(2)], [meas(1)]);
    const plain = scoreEpisode(ep);
    const judged = scoreEpisode(ep, { judge: () => ({ informativeness: 0 }) });
    expect(plain.efc).toBeGreaterThan(0); // else a judge that zeroed EFC would go unnoticed
    expect(judged.efc).toBe(plain.efc);
    expect(judged.events[0].judge).toEqual({ informativeness: 0 });
  });
});
