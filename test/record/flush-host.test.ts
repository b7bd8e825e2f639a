import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FlushHost, serveFlushes } from '../../src/record/flush-host.js';
import { Recorder } from '../../src/record/recorder.js';
import { messageHash } from '../../src/trajectory/index.js';

const u = { prompt_tokens: 10, completion_tokens: 2 };
const conv = (rec: Recorder, i: number) => rec.add({ startMs: i * 10, endMs: i * 10 + 5, requestMessages: [{ role: 'user', content: `task ${i}` }], usage: u, finishReason: 'stop' });
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

describe('flush worker protocol (same thread, over a MessageChannel as with a Worker)', () => {
  it('batches new calls per flush, rewrites the file, and close waits for writes in flight', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flush-')), 'rec.jsonl');
    const { port1, port2 } = new MessageChannel();
    serveFlushes(port2, file, 'proxy');
    let stopped = false;
    const host = new FlushHost(port1, async () => {
      stopped = true;
      port1.close();
    });
    const rec = new Recorder();
    let posted = 0;
    for (let i = 0; i < 3; i++) conv(rec, i);
    host.flush(rec.calls.slice(posted), rec.estimated);
    posted = rec.calls.length;
    for (let i = 3; i < 5; i++) conv(rec, i);
    host.flush(rec.calls.slice(posted), rec.estimated);
    await host.close(); // must not return before both writes landed
    expect(stopped).toBe(true);
    expect(host.lastError).toBeUndefined();
    // Five unrelated conversations, none lost, the same as the proxy's own rebuild.
    expect(lines(file)).toHaveLength(5);
    expect(lines(file)).toEqual(rec.trajectories().map((t) => JSON.stringify(t)));
  });

  it('a failed write is reported, and close still returns', async () => {
    const { port1, port2 } = new MessageChannel();
    serveFlushes(port2, join(tmpdir(), 'no-such-dir-agentdyno', 'x', 'rec.jsonl'), 'proxy');
    const host = new FlushHost(port1, async () => port1.close());
    const rec = new Recorder();
    conv(rec, 0);
    host.flush(rec.calls, false);
    await host.close();
    expect(host.lastError).toMatch(/ENOENT/);
  });
});

describe('Recorder message-hash cache', () => {
  it('gives exactly messageHash, keyed on every hashed field', () => {
    const long = 'x'.repeat(5000);
    const msgs: unknown[] = [
      { role: 'system', content: long },
      { role: 'user', content: long },
      { role: 'tool', content: long, tool_call_id: 'a' },
      { role: 'tool', content: long, tool_call_id: 'b' },
      { role: 'tool', content: long, tool_call_id: '' },
      { role: 'user', content: long, name: 'bob' },
      { role: 'user', content: long, name: null },
      { role: 'assistant', content: long, tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{}' } }] },
      { role: 'user', content: [{ type: 'text', text: long }] },
      'bare string',
    ];
    const rec = new Recorder();
    for (let round = 0; round < 2; round++) rec.add({ startMs: round, endMs: round + 1, requestMessages: msgs, usage: u });
    expect(rec.calls[0].messages).toEqual(msgs.map(messageHash));
    expect(rec.calls[1].messages).toEqual(msgs.map(messageHash));
    expect(new Set(rec.calls[0].messages).size).toBe(msgs.length - 1); // name null == name absent, as in messageHash
  });
});
