/**
 * `agentdyno report` on real stored runs of every kind (test/report/fixtures.ts): one self-contained
 * HTML page each, Markdown with the SVGs beside it, a comparison page; then each page in headless
 * Chromium (Debian's, through puppeteer-core): no console errors, no request leaves the file, every
 * chart drew marks; screenshots under results/report-screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPage, chartsOf, loadRun } from '../../src/report/index.js';
import { openStore } from '../../src/store/index.js';
import { CHROMIUM, openInChromium } from './browser.js';
import { cli, fixtureRuns, ROOT, type FixtureRuns } from './fixtures.js';

let fx: FixtureRuns;
const OUT = path.join(ROOT, 'results', 'report-screenshots');
const pages: Record<string, { file: string; charts: number }> = {};

beforeAll(async () => {
  fx = await fixtureRuns();
  fs.mkdirSync(OUT, { recursive: true });
}, 600_000);

async function report(name: string, ids: string[], format = 'html'): Promise<{ file: string; charts: { id: string; svg: string }[] }> {
  const file = path.join(fx.dir, 'reports', `${name}.${format === 'md' ? 'md' : 'html'}`);
  const r = await cli(['report', ...ids, '--db', fx.db, '--out', file, '--format', format, '--json']);
  expect(r.exitCode, r.stderr + r.stdout).toBe(0);
  const w = JSON.parse(r.stdout) as { out: string; charts: { id: string; svg: string }[] };
  expect(w.out).toBe(file);
  return { file, charts: w.charts };
}

describe('agentdyno report', () => {
  it('renders each kind as one self-contained HTML page with its charts inline', async () => {
    const cases: [string, string[], number][] = [
      ['sweep', [fx.ids.sweep], 8], // 2 tiers + Pareto + 3 distributions + power + lag
      ['replay', [fx.ids.replay], 5],
      ['merged', [fx.ids.merged], 0],
      ['loop', [fx.ids.loops[2]], 1],
      ['suite', [fx.ids.suite], 2],
      ['efc', [fx.ids.efc], 2],
      ['budget', [fx.ids.budget], 2],
      ['power', [fx.ids.power], 0],
      ['plan', [fx.ids.plan], 2], // one SIMULATED pass-rate chart per tier
      ['compare', [fx.ids.sweep, fx.ids.sweep, fx.ids.loops[1], fx.ids.loops[2]], 0],
    ];
    const three = pLimit(3); // CLI processes side by side: wall time on a 2-core machine
    const written = await Promise.all(cases.map(([name, ids]) => three(() => report(name, ids))));
    for (const [i, [name, , minCharts]] of cases.entries()) {
      const { file, charts } = written[i];
      const html = fs.readFileSync(file, 'utf8');
      expect(charts.length, name).toBeGreaterThanOrEqual(minCharts);
      // Inline: every chart's SVG is in the page, and nothing is fetched at view time.
      expect((html.match(/<figure class="chart"/g) ?? []).length).toBe(charts.length);
      expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(charts.length);
      expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
      expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
      for (const c of charts) expect(fs.readFileSync(c.svg, 'utf8')).toMatch(/^<svg/);
      pages[name] = { file, charts: charts.length };
    }
    const sweep = fs.readFileSync(pages.sweep.file, 'utf8');
    expect(sweep).toContain('SIMULATED');
    expect(sweep).toContain('N_max');
    expect(sweep).toContain('boundary:');
    expect(sweep).toMatch(/idle/);
  }, 300_000);

  it('the sweep page marks what the stored result says: N_max, the bracket, each level', () => {
    const s = openStore(fx.db, { mustExist: true });
    try {
      const d = loadRun(s, fx.ids.sweep);
      const page = buildPage([d]);
      const r = d.doc.result as { tiers: { sloTokPerS: number; nMax: number | null; minFailing: number | null }[]; levels: unknown[] };
      const charts = chartsOf(page);
      for (const t of r.tiers) {
        const c = charts.find((x) => x.id.endsWith(`pass-rate-${t.sloTokPerS}`))!;
        const spec = JSON.stringify(c.spec);
        if (t.nMax !== null) expect(spec).toContain(`N_max ${t.nMax}`);
        if (t.minFailing !== null) expect(spec).toContain(`min failing ${t.minFailing}`);
      }
      expect(d.calls.length).toBe(r.levels.length);
      expect(d.trace.length).toBeGreaterThan(0);
      expect(d.phases.every((p) => p.levelStartNs !== null && p.cutNs !== null)).toBe(true);
    } finally {
      s.close();
    }
  });

  it('--format md gives the same sections with the SVGs beside it', async () => {
    const { file, charts } = await report('sweep-md', [fx.ids.sweep], 'md');
    const md = fs.readFileSync(file, 'utf8');
    const html = fs.readFileSync(pages.sweep.file, 'utf8');
    const headings = [...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    for (const h of headings) expect(md).toContain(`## ${h}`);
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]);
    expect(links.length).toBe(charts.length);
    for (const l of links) expect(fs.existsSync(path.join(path.dirname(file), l)), l).toBe(true);
  }, 120_000);

  it('a comparison refuses agents/MW ratios across power classes', () => {
    const s = openStore(fx.db, { mustExist: true });
    try {
      const a = loadRun(s, fx.ids.sweep);
      // The same sweep as if measured on GPU boards: its ratio to the SIMULATED one must be refused.
      const measured = { ...a, doc: JSON.parse(JSON.stringify(a.doc)) as typeof a.doc };
      measured.doc.id = 'sweep-measured';
      for (const t of (measured.doc.result as { tiers: { power: { comparabilityClass: string; simulated: boolean } | null }[] }).tiers) if (t.power) Object.assign(t.power, { comparabilityClass: 'gpu-board', simulated: false });
      const table = buildPage([a, measured]).sections.find((x) => x.heading.startsWith('agents/MW'))!.blocks[0] as { rows: (string | number | null)[][] };
      expect(table.rows.length).toBeGreaterThan(0);
      expect(table.rows.every((r) => r[4] === 'refused' && String(r[5]).length > 0)).toBe(true);
      const same = buildPage([a, a]).sections.find((x) => x.heading.startsWith('agents/MW'))!.blocks[0] as { rows: (string | number | null)[][] };
      expect(same.rows.some((r) => r[4] === '1.000')).toBe(true);
    } finally {
      s.close();
    }
  });

  it.skipIf(!CHROMIUM)('each page opens in headless Chromium without errors and every chart drew its marks', async () => {
    const entries = Object.entries(pages);
    const checks = await openInChromium(entries.map(([name, p]) => ({ file: p.file, screenshot: path.join(OUT, `${name}.png`) })));
    for (const [i, [name, p]] of entries.entries()) {
      const shot = path.join(OUT, `${name}.png`);
      const r = checks[i];
      expect(r.consoleErrors, name).toEqual([]);
      expect(r.requests, name).toEqual([]);
      expect(r.charts.length, name).toBe(p.charts);
      for (const c of r.charts) {
        expect(c.marks, `${name} ${c.id}`).toBeGreaterThan(0);
        expect(c.width * c.height, `${name} ${c.id}`).toBeGreaterThan(100 * 100);
      }
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    }
  }, 300_000);
});

describe.skipIf(!CHROMIUM)('agentdyno report --png', () => {
  it('writes a PNG beside each chart SVG, drawn by the system Chromium', async () => {
    const file = path.join(fx.dir, 'reports', 'budget-png.html');
    const r = await cli(['report', fx.ids.budget, '--db', fx.db, '--out', file, '--png', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const w = JSON.parse(r.stdout) as { charts: { svg: string; png?: string }[] };
    expect(w.charts.length).toBeGreaterThan(0);
    for (const c of w.charts) expect(fs.readFileSync(c.png!).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);
});

if (!CHROMIUM) console.log('SKIPPED: report browser test: no Chromium at /usr/bin/chromium (apt-get install chromium, or set AGENTDYNO_CHROMIUM)');
