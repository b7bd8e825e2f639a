/** One self-contained HTML file: inline CSS and inline SVG charts; no script, no font, no image fetched at view time. */
import type { Block, Page } from './page.js';

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1b1f23;line-height:1.4}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}.sub{color:#555;margin-top:4px}
.banner{background:#fff3cd;border:1px solid #e0b400;padding:8px 12px;font-weight:600;margin:12px 0}
.note{color:#444;background:#f4f6f8;padding:6px 10px;border-left:3px solid #9aa}.warn{background:#fdecea;border-left:3px solid #c0392b;padding:6px 10px}.simulated{background:#fff3cd;border-left:3px solid #e0b400;padding:6px 10px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f6f8}
figure{margin:12px 0;display:inline-block;vertical-align:top}figcaption{font-size:.85em;color:#555;max-width:660px}caption{caption-side:bottom;font-size:.85em;color:#555;text-align:left}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}dt{font-weight:600}dd{margin:0}footer{margin-top:32px;color:#777;font-size:.8em}`;

function block(b: Block, svgs: Map<string, string>): string {
  switch (b.kind) {
    case 'text':
      return `<p${b.tone ? ` class="${b.tone}"` : ''}>${esc(b.text)}</p>`;
    case 'kv':
      return `<dl>${b.pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
    case 'table':
      return `<table>${b.caption ? `<caption>${esc(b.caption)}</caption>` : ''}<thead><tr>${b.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c === null ? '-' : String(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    case 'chart':
      return `<figure class="chart" id="${esc(b.id)}" data-chart="${esc(b.id)}">${svgs.get(b.id) ?? '<p class="warn">chart missing</p>'}<figcaption>${esc(b.caption)}</figcaption></figure>`;
  }
}

export function renderHtml(page: Page, svgs: Map<string, string>, footer: string): string {
  const body = page.sections.map((s) => `<section><h2>${esc(s.heading)}</h2>\n${s.blocks.map((b) => block(b, svgs)).join('\n')}</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(page.title)}</title><style>${CSS}</style></head>
<body><h1>${esc(page.title)}</h1><p class="sub">${esc(page.subtitle)}</p>
${page.simulated ? '<p class="banner">SIMULATED: figures on this page come from the built-in simulator (or a simulated power source). They illustrate the method and are not a measurement of any hardware.</p>' : ''}
${body}
<footer>${esc(footer)}</footer></body></html>
`;
}
