import { describe, expect, it } from 'vitest';
import { SampledChannel } from '../../src/power/channel.js';

const info = { source: 'test', boundary: 'test', comparabilityClass: 'user-declared' as const, simulated: false };
const ms = (t: number) => BigInt(t) * 1_000_000n;

describe('SampledChannel.trace (report power chart)', () => {
  it('power readings come back as they are, inside the span only', () => {
    const ch = new SampledChannel({ info, kind: 'power-instant', periodMs: 100 });
    for (const [t, w] of [[0, 100], [100, 110], [200, 120], [300, 130]]) ch.push(w, t);
    expect(ch.trace(ms(100), ms(200)).map((p) => [Number(p.tNs / 1_000_000n), p.watts])).toEqual([[100, 110], [200, 120]]);
  });
  it('an energy counter becomes mean power between reads; a read close beside another does not draw a spike', () => {
    const ch = new SampledChannel({ info, kind: 'energy-counter', periodMs: 1000 });
    // 200 W steady; an edge read 5 ms after t=2000 catches a 3 J counter step: 3 J / 5 ms would draw 600 W.
    for (const [t, j] of [[0, 0], [1000, 200], [2000, 400], [2005, 403], [3000, 600]]) ch.push(j, t);
    const w = ch.trace(ms(500), ms(3000)).map((p) => Math.round(p.watts));
    expect(w).toEqual([200, 200, 200]);
    // A counter reset starts over instead of drawing a negative power.
    ch.push(5, 4000);
    ch.push(205, 5000);
    expect(ch.trace(ms(3500), ms(5000)).map((p) => Math.round(p.watts))).toEqual([200]);
  });
});
