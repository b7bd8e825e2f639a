/**
 * `import --keep-content` on a format that keeps no text says so once per import, with that format's
 * own reason (not a generic "records none, or not converted"), on real samples.
 */
import { describe, expect, it } from 'vitest';
import { importFiles } from '../../../src/trajectory/index.js';

const F = 'test/fixtures/importers';
const cases: [string, string, RegExp][] = [
  ['claude-code', `${F}/claude-code/02f3098e-6bcb-4709-9968-23e2b2b2f40e.jsonl`, /Claude Code transcripts do not record the system prompt/],
  ['codex', `${F}/codex-rollout.jsonl`, /codex importer reads token_count usage/],
  ['weka', `${F}/weka-sample-trace.json`, /Weka cc-traces record .* never message text/],
  ['mooncake', `${F}/mooncake-conversation-trace.jsonl`, /Mooncake traces record only lengths, arrival times and block hash ids/],
];

describe('--keep-content on formats without text', () => {
  it.each(cases)('%s: one clear left-out line for the whole import', (format, file, why) => {
    const r = importFiles(format, [file], { keepContent: true });
    expect(r.fidelity.contentCalls).toBe(0);
    const content = r.fidelity.leftOut.filter((l) => l.what === 'message content');
    expect(content).toHaveLength(1);
    expect(content[0].why).toMatch(why);
    // Without the flag nothing is said about content.
    expect(importFiles(format, [file]).fidelity.leftOut.some((l) => l.what === 'message content')).toBe(false);
  });
});
