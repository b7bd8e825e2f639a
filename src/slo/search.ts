/**
 * Concurrency search (DESIGN 4, pure). Levels grow geometrically until every tier has failed
 * (or the cap is reached), then the widest unresolved tier bracket is bisected until
 * minFailing - maxPassing <= max(1, resolution * maxPassing); then the boundary level (max passing)
 * is replicated. Every tier is resolved from the same levels. The answer per tier is a bracket
 * [max passing, min failing] with a cliff and a non-monotone flag, never a single fitted point.
 */

export interface SearchOptions {
  startConcurrency: number;
  /** Geometric growth factor (> 1). */
  growth: number;
  maxConcurrency: number;
  /** Relative bracket width at which a tier counts as resolved (e.g. 0.25). */
  resolution: number;
  /** Extra runs of each tier's max-passing level once its bracket is resolved. */
  replicates: number;
  /** Hard cap on levels run. */
  maxLevels: number;
  /** Pass-rate drop across the final bracket that counts as a cliff (default 0.5). */
  cliffDrop?: number;
  /** Pass rate a passing level has at least (for the cliff rule); default 0.95. */
  passThreshold?: number;
}

/** One run of one level, as the search sees it. */
export interface LevelOutcome {
  concurrency: number;
  valid: boolean;
  /** Per tier, in tier order. */
  pass: boolean[];
  passRates: (number | null)[];
  /** Per tier: false when the tier could not be judged at this level (client timing); absent = all valid. */
  tierValid?: boolean[];
}

/** A level with all its runs folded together: passes a tier only if every run is valid and passes. */
export interface FoldedLevel {
  concurrency: number;
  runs: number;
  valid: boolean;
  pass: boolean[];
  /** Lowest pass rate over the runs (conservative). */
  passRates: (number | null)[];
  /** Runs disagreed on some tier's verdict. */
  unstable: boolean;
}

export interface TierBracket {
  tierIndex: number;
  /** Largest passing level below the smallest failing one; 0 when even the lowest level tried fails at 1. */
  maxPassing: number | null;
  minFailing: number | null;
  resolved: boolean;
  /** A passing level exists above minFailing. */
  nonMonotone: boolean;
  /** Pass rate fell from >= passThreshold to far below within the final bracket. */
  cliff: boolean;
  /** Why the bracket is open or odd, in words. */
  notes: string[];
}

export function foldLevels(outcomes: readonly LevelOutcome[], tierCount: number): FoldedLevel[] {
  const by = new Map<number, LevelOutcome[]>();
  for (const o of outcomes) by.set(o.concurrency, [...(by.get(o.concurrency) ?? []), o]);
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([concurrency, runs]) => {
      const pass: boolean[] = [];
      const passRates: (number | null)[] = [];
      let unstable = false;
      for (let t = 0; t < tierCount; t++) {
        const verdicts = runs.map((r) => r.valid && r.tierValid?.[t] !== false && r.pass[t] === true);
        pass.push(verdicts.every(Boolean));
        if (verdicts.some(Boolean) && !verdicts.every(Boolean)) unstable = true;
        const rates = runs.map((r) => r.passRates[t]).filter((x): x is number => x !== null && x !== undefined);
        passRates.push(rates.length ? Math.min(...rates) : null);
      }
      return { concurrency, runs: runs.length, valid: runs.every((r) => r.valid), pass, passRates, unstable };
    });
}

const widthLimit = (lo: number, resolution: number): number => Math.max(1, Math.ceil(resolution * lo));

export function tierBracket(levels: readonly FoldedLevel[], tierIndex: number, opts: SearchOptions): TierBracket {
  const notes: string[] = [];
  const failing = levels.filter((l) => !l.pass[tierIndex]);
  const minFailing = failing.length ? failing[0].concurrency : null;
  const passingBelow = levels.filter((l) => l.pass[tierIndex] && (minFailing === null || l.concurrency < minFailing));
  let maxPassing = passingBelow.length ? passingBelow[passingBelow.length - 1].concurrency : null;
  const nonMonotone = minFailing !== null && levels.some((l) => l.pass[tierIndex] && l.concurrency > minFailing);
  if (nonMonotone) notes.push(`non-monotone: a level above ${minFailing} passes again`);
  let resolved: boolean;
  if (minFailing === null) {
    const top = levels.length ? levels[levels.length - 1].concurrency : 0;
    resolved = top >= opts.maxConcurrency;
    if (resolved) notes.push(`no failing level up to the cap ${opts.maxConcurrency}: the true maximum may be higher`);
  } else if (maxPassing === null) {
    resolved = minFailing <= 1;
    if (resolved) {
      maxPassing = 0;
      notes.push('fails already at concurrency 1');
    }
  } else {
    resolved = minFailing - maxPassing <= widthLimit(maxPassing, opts.resolution);
  }
  const failLevel = minFailing === null ? undefined : levels.find((l) => l.concurrency === minFailing);
  if (failLevel && !failLevel.valid) notes.push(`the min failing level ${minFailing} is invalid (see its reasons), so it bounds the search but is not a measured failure`);
  const passLevel = maxPassing ? levels.find((l) => l.concurrency === maxPassing) : undefined;
  const thr = opts.passThreshold ?? 0.95;
  const drop = opts.cliffDrop ?? 0.5;
  const pr = passLevel?.passRates[tierIndex] ?? null;
  const fr = failLevel?.passRates[tierIndex] ?? null;
  const cliff = resolved && pr !== null && fr !== null && pr >= thr - 1e-9 && pr - fr >= drop;
  if (passLevel?.unstable) notes.push(`replicates of level ${maxPassing} disagreed`);
  return { tierIndex, maxPassing, minFailing, resolved, nonMonotone, cliff, notes };
}

/** The next concurrency to run, or null when every tier is resolved and replicated (or the cap is hit). */
export function nextLevel(outcomes: readonly LevelOutcome[], tierCount: number, opts: SearchOptions): number | null {
  if (outcomes.length >= opts.maxLevels) return null;
  const levels = foldLevels(outcomes, tierCount);
  if (!levels.length) return Math.min(opts.startConcurrency, opts.maxConcurrency);
  const brackets = Array.from({ length: tierCount }, (_, t) => tierBracket(levels, t, opts));
  const top = levels[levels.length - 1].concurrency;
  // 1. Geometric growth while some tier has not failed yet.
  if (brackets.some((b) => b.minFailing === null) && top < opts.maxConcurrency) {
    return Math.min(opts.maxConcurrency, Math.max(top + 1, Math.ceil(top * opts.growth)));
  }
  // 2. Bisect the widest open bracket (relative to its lower end).
  const open = brackets
    .filter((b) => !b.resolved && b.minFailing !== null)
    .map((b) => {
      const lo = b.maxPassing ?? 0;
      return { b, lo, hi: b.minFailing as number, rel: ((b.minFailing as number) - lo) / Math.max(1, lo) };
    })
    .sort((x, y) => y.rel - x.rel);
  for (const o of open) {
    // Below the lowest level tried: halve (geometric) rather than step linearly down to 1.
    const mid = o.lo === 0 ? Math.max(1, Math.floor(o.hi / opts.growth)) : Math.floor((o.lo + o.hi) / 2);
    if (mid > o.lo && mid < o.hi && !levels.some((l) => l.concurrency === mid)) return mid;
  }
  // 3. Replicate each tier's boundary level.
  for (const b of brackets) {
    if (!b.maxPassing) continue;
    const l = levels.find((x) => x.concurrency === b.maxPassing);
    if (l && l.runs < 1 + opts.replicates) return b.maxPassing;
  }
  return null;
}
