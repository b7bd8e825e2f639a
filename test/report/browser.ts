/** Headless Chromium for report tests: Debian's /usr/bin/chromium through puppeteer-core (which never downloads a browser). */
import fs from 'node:fs';

export const CHROMIUM = process.env.AGENTDYNO_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p)) ?? null;

export interface PageCheck {
  consoleErrors: string[];
  requests: string[];
  /** Per chart id: drawn data marks (children of Vega's role-mark groups) and the SVG's drawn size. */
  charts: { id: string; marks: number; width: number; height: number }[];
}

/** Opens each page in one headless Chromium (one launch for all: a launch costs seconds on a loaded machine), checks it, screenshots it. */
export async function openInChromium(pages: { file: string; screenshot: string }[]): Promise<PageCheck[]> {
  const { default: puppeteer } = await import('puppeteer-core');
  // A launch waits for Chromium to print its DevTools URL: 30 s (the default) was not enough once on a
  // 2-core CI machine with other files' servers and CLIs running beside it.
  const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, timeout: 120_000, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const out: PageCheck[] = [];
    for (const { file, screenshot } of pages) {
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') consoleErrors.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${String(e)}`));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const marks = svg ? Array.from(svg.querySelectorAll('g.role-mark')).reduce((n, g) => n + g.children.length, 0) : 0;
          return { id: f.id, marks, width: box?.width ?? 0, height: box?.height ?? 0 };
        }),
      );
      await page.screenshot({ path: screenshot, fullPage: true });
      await page.close();
      out.push({ consoleErrors, requests, charts });
    }
    return out;
  } finally {
    await browser.close();
  }
}
