/** The same Page as Markdown; each chart is an SVG file beside it, linked by a relative path. */
import type { Block, Cell, Page } from './page.js';

const cell = (c: Cell) => (c === null ? '-' : String(c)).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(headers: string[], rows: Cell[][]): string {
  return [`| ${headers.map(cell).join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function block(b: Block, chartPath: (id: string) => string): string {
  switch (b.kind) {
    case 'text':
      return b.tone === 'warn' ? `> **${b.text}**` : b.tone ? `> ${b.text}` : b.text;
    case 'kv':
      return table(['', ''], b.pairs);
    case 'table':
      return table(b.headers, b.rows) + (b.caption ? `\n\n*${b.caption}*` : '');
    case 'chart':
      return `![${b.title}](${chartPath(b.id)})\n\n*${b.caption}*`;
  }
}

export function renderMarkdown(page: Page, chartPath: (id: string) => string, footer: string): string {
  const parts = [`# ${page.title}`, page.subtitle];
  if (page.simulated) parts.push('> **SIMULATED**: figures here come from the built-in simulator (or a simulated power source). They illustrate the method and are not a measurement of any hardware.');
  for (const s of page.sections) parts.push(`## ${s.heading}`, ...s.blocks.map((b) => block(b, chartPath)));
  parts.push(`---\n${footer}`);
  return parts.join('\n\n') + '\n';
}
