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

describe('sleep on a shared signal', () => {
  it('thousands of sleepers add one abort listener to the signal and all wake on abort', async () => {
    const { getEventListeners } = await import('node:events');
    const { sleep } = await import('../../src/core/index.js');
    const ac = new AbortController();
    await sleep(1, ac.signal); // a sleep that ended by its timer
    const sleeps = Array.from({ length: 3000 }, () => sleep(60_000, ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    await Promise.all(sleeps); // resolves at once, not after 60 s
    await sleep(60_000, ac.signal); // already aborted: at once
  });
});
