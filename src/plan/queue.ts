/**
 * A binary min-heap of timed events for the virtual clock. Ties are broken by insertion order,
 * so a run is deterministic for a seed whatever the heap's internal layout.
 */
export interface TimedEvent<T> {
  tMs: number;
  seq: number;
  data: T;
}

export class EventQueue<T> {
  private readonly heap: TimedEvent<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(tMs: number, data: T): void {
    const h = this.heap;
    const e: TimedEvent<T> = { tMs, seq: this.nextSeq++, data };
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  peekMs(): number {
    return this.heap.length ? this.heap[0].tMs : Infinity;
  }

  pop(): TimedEvent<T> | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r], h[l]) ? r : l;
        if (!less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less<T>(a: TimedEvent<T>, b: TimedEvent<T>): boolean {
  return a.tMs < b.tMs || (a.tMs === b.tMs && a.seq < b.seq);
}
