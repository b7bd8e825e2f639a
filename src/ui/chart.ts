/**
 * A tiny terminal line chart (plain ASCII, so it survives logs and pipes): e.g. score vs budget in
 * `results show`. Points are joined by straight lines; each series gets its own marker.
 */
export type ChartPoint = { x: number; y: number } | readonly [number, number];

export interface ChartSeries {
  name?: string;
  points: readonly ChartPoint[];
  /** One character; defaults to *, o, +, x, # in turn. */
  marker?: string;
}

export interface ChartOptions {
  /** Plot area in characters (default 60 x 12), axis labels come on top of this. */
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Fix the axes instead of fitting the data (e.g. yMin 0, yMax 1 for scores). */
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** Formats axis numbers (default: up to 3 significant digits). */
  format?: (v: number) => string;
}

const MARKERS = ['*', 'o', '+', 'x', '#'];

const xy = (p: ChartPoint): [number, number] => (Array.isArray(p) ? [p[0], p[1]] : [(p as { x: number }).x, (p as { y: number }).y]);

function defaultFormat(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

export function asciiChart(input: readonly ChartPoint[] | readonly ChartSeries[], opts: ChartOptions = {}): string {
  const series: ChartSeries[] =
    input.length > 0 && typeof input[0] === 'object' && !Array.isArray(input[0]) && 'points' in (input[0] as object)
      ? (input as readonly ChartSeries[]).map((s) => ({ ...s }))
      : [{ points: input as readonly ChartPoint[] }];
  const width = Math.max(8, Math.trunc(opts.width ?? 60));
  const height = Math.max(3, Math.trunc(opts.height ?? 12));
  const fmt = opts.format ?? defaultFormat;

  const data = series.map((s) =>
    s.points
      .map(xy)
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .sort((a, b) => a[0] - b[0]),
  );
  const all = data.flat();
  if (all.length === 0) return '(no data)\n';
  let xMin = opts.xMin ?? Math.min(...all.map((p) => p[0]));
  let xMax = opts.xMax ?? Math.max(...all.map((p) => p[0]));
  let yMin = opts.yMin ?? Math.min(...all.map((p) => p[1]));
  let yMax = opts.yMax ?? Math.max(...all.map((p) => p[1]));
  if (xMax === xMin) (xMin -= 0.5), (xMax += 0.5);
  if (yMax === yMin) (yMin -= 0.5), (yMax += 0.5);

  const grid: string[][] = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  const col = (x: number) => Math.round(((x - xMin) / (xMax - xMin)) * (width - 1));
  const row = (y: number) => height - 1 - Math.round(((y - yMin) / (yMax - yMin)) * (height - 1));
  const inside = (r: number, c: number) => r >= 0 && r < height && c >= 0 && c < width;
  const put = (r: number, c: number, ch: string, force = false) => {
    if (inside(r, c) && (force || grid[r][c] === ' ')) grid[r][c] = ch;
  };

  data.forEach((pts, si) => {
    const marker = (series[si].marker ?? MARKERS[si % MARKERS.length]).slice(0, 1) || '*';
    // Lines first (one cell per column, vertical runs filled), markers on top.
    for (let i = 1; i < pts.length; i++) {
      const [x0, y0] = pts[i - 1];
      const [x1, y1] = pts[i];
      const c0 = col(x0);
      const c1 = col(x1);
      let prevR = row(y0);
      for (let c = c0; c <= c1; c++) {
        const t = c1 === c0 ? 1 : (c - c0) / (c1 - c0);
        const r = row(y0 + (y1 - y0) * t);
        const step = r > prevR ? 1 : -1;
        for (let rr = prevR; rr !== r; rr += step) put(rr, c, ':');
        put(r, c, '.');
        prevR = r;
      }
    }
    for (const [x, y] of pts) put(row(y), col(x), marker, true);
  });

  const yTop = fmt(yMax);
  const yBot = fmt(yMin);
  const yMid = height >= 5 ? fmt((yMax + yMin) / 2) : '';
  const lw = Math.max(yTop.length, yBot.length, yMid.length);
  const lines: string[] = [];
  if (opts.yLabel) lines.push(opts.yLabel);
  for (let r = 0; r < height; r++) {
    let label = '';
    if (r === 0) label = yTop;
    else if (r === height - 1) label = yBot;
    else if (yMid && r === Math.round((height - 1) / 2)) label = yMid;
    lines.push(`${label.padStart(lw)} |${grid[r].join('').trimEnd()}`);
  }
  lines.push(`${' '.repeat(lw)} +${'-'.repeat(width)}`);
  const xl = fmt(xMin);
  const xr = fmt(xMax);
  const gapW = Math.max(1, width - xl.length - xr.length);
  lines.push(`${' '.repeat(lw + 2)}${xl}${' '.repeat(gapW)}${xr}`);
  if (opts.xLabel) lines.push(`${' '.repeat(lw + 2)}${opts.xLabel.padStart(Math.trunc((width + opts.xLabel.length) / 2))}`);
  const named = series.filter((s) => s.name);
  if (named.length > 0) {
    lines.push(
      `${' '.repeat(lw + 2)}` +
        series
          .map((s, i) => (s.name ? `${(s.marker ?? MARKERS[i % MARKERS.length]).slice(0, 1)} ${s.name}` : ''))
          .filter(Boolean)
          .join('   '),
    );
  }
  return lines.join('\n') + '\n';
}
