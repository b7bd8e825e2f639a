/** Human output for fits: a table, a verdict sentence, and an SVG plot (hand-written string). */
import { renderTable } from '../ui/index.js';
import { coordinate, COORDINATES, type Coordinate, type FitPoint, type FitResult } from './fit.js';
import { sigmoid } from './regress.js';

const LABEL: Record<Coordinate, string> = {
  efc: 'ln(1+EFC)',
  efcPerDemand: 'ln(1+EFC/D_task)',
  tokens: 'ln(1+tokens)',
  toolCalls: 'ln(1+tool calls)',
  wallSec: 'ln(1+wall s)',
};

const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));
const ci = (c: [number, number] | null) => (c ? `[${f3(c[0])}, ${f3(c[1])}]` : '-');

export function fitTable(r: FitResult): string {
  const rows = COORDINATES.map((c) => {
    const f = r.fits[c];
    return [LABEL[c], f3(f.logistic.r2), ci(f.ci), f3(f.logistic.mae), f3(f.powerLaw.r2), ci(f.powerLawCi), f3(f.powerLaw.mae), `${f3(f.powerLaw.eInf)} + ${f3(f.powerLaw.a)} z^-${f3(f.powerLaw.alpha)}`];
  });
  return renderTable(['coordinate', 'logistic R2', '95% CI', 'MAE', 'power-law R2', '95% CI', 'MAE', 'E(z) fit'], rows);
}

/** One sentence that says which way it came out, with the intervals, whichever way that is. */
export function verdict(r: FitResult): string {
  const e = r.fits.efcPerDemand;
  const w = r.fits[r.raw];
  const d = r.deltaR2;
  const head = `On ${r.n} runs over ${r.tasks} task(s) (success rate ${f3(r.successRate)}), logistic R2 of success vs ${LABEL.efcPerDemand} is ${f3(e.logistic.r2)} ${ci(e.ci)} and vs ${LABEL[r.raw]} is ${f3(w.logistic.r2)} ${ci(w.ci)}; difference ${f3(d.estimate)} ${ci(d.ci)}.`;
  let tail: string;
  if (!d.ci) tail = 'Too few varied bootstrap replicates for an interval: no conclusion.';
  else if (d.ci[0] > 0) tail = 'EFC/demand explains success better than raw compute (interval above 0).';
  else if (d.ci[1] < 0) tail = 'Raw compute explains success better than EFC/demand (interval below 0).';
  else tail = 'The interval includes 0: no clear winner on these runs.';
  return `${head} ${tail} (Our EFC implementation on our runs; not a reproduction of the paper's figures.)`;
}

/** Two panels: success (jittered 0/1) vs ln(1+EFC/D) and vs the raw coordinate, with logistic curves. */
export function fitSvg(points: readonly FitPoint[], r: FitResult): string {
  const W = 360;
  const H = 240;
  const pad = 40;
  const panels: Coordinate[] = ['efcPerDemand', r.raw];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  panels.forEach((c, k) => {
    const xs = points.map((p) => coordinate(p, c));
    const lo = Math.min(0, ...xs);
    const hi = Math.max(lo + 1e-6, ...xs);
    const ox = k * W;
    const sx = (x: number) => ox + pad + ((x - lo) / (hi - lo)) * (W - 2 * pad);
    const sy = (y: number) => H - pad - y * (H - 2 * pad);
    const f = r.fits[c];
    parts.push(`<rect x="${ox + pad}" y="${pad}" width="${W - 2 * pad}" height="${H - 2 * pad}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${ox + W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${esc(LABEL[c])}</text>`);
    parts.push(`<text x="${ox + W / 2}" y="16" text-anchor="middle" font-size="12">logistic R2 ${f3(f.logistic.r2)} ${esc(ci(f.ci))}</text>`);
    parts.push(`<text x="${ox + 6}" y="${sy(1) + 4}" font-size="10">1</text><text x="${ox + 6}" y="${sy(0) + 4}" font-size="10">0</text>`);
    points.forEach((p, i) => {
      const jitter = (((i * 2654435761) >>> 0) % 100) / 100 - 0.5;
      parts.push(`<circle cx="${sx(xs[i]).toFixed(1)}" cy="${(sy(p.success ? 1 : 0) + jitter * 14).toFixed(1)}" r="3" fill="${p.success ? '#2a7' : '#c44'}" fill-opacity="0.6"/>`);
    });
    const curve: string[] = [];
    for (let j = 0; j <= 60; j++) {
      const x = lo + ((hi - lo) * j) / 60;
      curve.push(`${sx(x).toFixed(1)},${sy(sigmoid(f.logistic.b0 + f.logistic.b1 * x)).toFixed(1)}`);
    }
    parts.push(`<polyline points="${curve.join(' ')}" fill="none" stroke="#36c" stroke-width="2"/>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" font-family="sans-serif">\n<title>agentdyno efc fit: success vs EFC/demand and raw compute (our implementation)</title>\n${parts.join('\n')}\n</svg>\n`;
}
