/**
 * PNG copies of the chart SVGs (`report --png`), drawn by headless Chromium: the system's browser
 * through puppeteer-core, which never downloads one. Optional: without either, a clear error.
 */
import fs from 'node:fs';
import { AgentdynoError } from '../core/index.js';

export function findChromium(): string | null {
  return process.env.AGENTDYNO_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p)) ?? null;
}

/** Writes `<svg>.png` (2x scale) beside each SVG; returns the PNG paths. */
export async function svgsToPng(svgFiles: readonly string[]): Promise<string[]> {
  const exe = findChromium();
  let puppeteer: { launch: (typeof import('puppeteer-core'))['launch'] };
  try {
    puppeteer = await import('puppeteer-core');
  } catch {
    throw new AgentdynoError('--png needs the puppeteer-core package, which is not installed.', { code: 'E_BROWSER_UNAVAILABLE', where: '--png', hint: 'npm install puppeteer-core (it uses the system Chromium; nothing is downloaded), or use the SVGs.' });
  }
  if (!exe) throw new AgentdynoError('--png needs Chromium, and none was found.', { code: 'E_BROWSER_UNAVAILABLE', where: '/usr/bin/chromium', hint: 'apt-get install chromium, or set AGENTDYNO_CHROMIUM to a Chrome/Chromium binary; the SVGs are written either way.' });
  const browser = await puppeteer.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1200, deviceScaleFactor: 2 });
    const out: string[] = [];
    for (const svg of svgFiles) {
      await page.goto(`file://${svg}`, { waitUntil: 'load' });
      const el = await page.$('svg');
      const png = svg.replace(/\.svg$/, '.png');
      if (el) await el.screenshot({ path: png as `${string}.png` });
      out.push(png);
    }
    return out;
  } finally {
    await browser.close();
  }
}
