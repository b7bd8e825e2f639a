/**
 * One 'abort' listener per AbortSignal, fanned out to a Set. A level aborts thousands of in-flight
 * requests through one shared signal, and Node's EventTarget walks its listener list on every
 * addEventListener (duplicate check): O(in-flight) per request, O(N^2) per level. Here add and
 * remove are O(1). Callbacks run in the order they were added.
 */
const groups = new WeakMap<AbortSignal, Set<() => void>>();

/** Call `fn` once when `signal` aborts; returns the unsubscribe. */
export function onAbortOf(signal: AbortSignal, fn: () => void): () => void {
  let g = groups.get(signal);
  if (g === undefined) {
    const set = new Set<() => void>();
    g = set;
    groups.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        const fns = [...set];
        set.clear();
        for (const f of fns) f();
      },
      { once: true },
    );
  }
  const set = g;
  set.add(fn);
  return () => {
    set.delete(fn);
  };
}
