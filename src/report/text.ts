/**
 * The same typed sections as the report, as terminal text for `results show`: headings, key/value
 * lists, tables and notes; each chart is named with the command that draws it.
 */
import { renderTable } from '../ui/index.js';
import type { RunData } from './data.js';
import type { Block } from './page.js';
import { runSections } from './index.js';

function block(b: Block, id: string): string {
  switch (b.kind) {
    case 'text':
      return b.tone === 'warn' ? `WARNING: ${b.text}` : b.tone === 'simulated' ? (b.text.startsWith('SIMULATED') ? b.text : `[SIMULATED] ${b.text}`) : b.tone === 'note' ? `note: ${b.text}` : b.text;
    case 'kv': {
      const w = Math.max(0, ...b.pairs.map(([k]) => k.length));
      return b.pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
    }
    case 'table':
      return renderTable(b.headers, b.rows).trimEnd() + (b.caption ? `\n${b.caption}` : '');
    case 'chart':
      return `[chart] ${b.title}: \`agentdyno report ${id}\` draws it`;
  }
}

/** One run's typed result (agentdyno.run.v1) as text, section by section. */
export function renderRunText(d: RunData): string {
  return runSections(d)
    .map((s) => [`== ${s.heading}`, ...s.blocks.map((b) => block(b, d.doc.id))].join('\n\n'))
    .join('\n\n') + '\n';
}
