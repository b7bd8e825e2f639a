import { describe, expect, it } from 'vitest';
import { onAbortOf } from '../../src/core/abort-group.js';

describe('onAbortOf: one listener per signal, fanned out', () => {
  it('every subscriber still subscribed is called once, in order; unsubscribed ones are not', () => {
    const ac = new AbortController();
    const calls: number[] = [];
    const unsub = Array.from({ length: 5000 }, (_, i) => onAbortOf(ac.signal, () => calls.push(i)));
    unsub[3]();
    unsub[4999]();
    ac.abort();
    ac.abort();
    expect(calls.length).toBe(4998);
    expect(calls.slice(0, 4)).toEqual([0, 1, 2, 4]);
    expect(calls.at(-1)).toBe(4998);
  });
});
