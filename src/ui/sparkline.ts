/** One-line charts for the terminal: ▁▂▃▄▅▆▇█ scaled to the series' own min..max (nulls as spaces). */
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly (number | null)[], width: number): string {
  const v = values.slice(-width);
  const xs = v.filter((x): x is number => x !== null && Number.isFinite(x));
  if (xs.length === 0) return ' '.repeat(Math.min(width, v.length));
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return v
    .map((x) => {
      if (x === null || !Number.isFinite(x)) return ' ';
      const k = hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[k];
    })
    .join('');
}
