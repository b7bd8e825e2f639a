import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsFor, FeedbackShaper, LlmAgent, paramValues, SearchAgent, type TurnContext } from '../../src/loop/index.js';

// A scripted fake OpenAI-compatible endpoint: each POST gets the next canned reply.
const replies: unknown[] = [];
const received: { messages: { role: string; content: string | null; tool_call_id?: string }[]; max_tokens: number }[] = [];
let server: http.Server;
let url = '';
const call = (id: string, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } });
const reply = (tool_calls: unknown[]) => ({ choices: [{ message: { role: 'assistant', content: null, tool_calls } }], usage: { prompt_tokens: 50, completion_tokens: 10 } });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(replies.shift() ?? reply([call('z', 'submit', '{}')])));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => server.close());

const ctx = (feedback: string): TurnContext => ({
  iteration: 1,
  task: { id: 'kernel/x', instruction: 'make it fast', editable: ['k.c'], params: {}, metric: 'runtime_ms', direction: 'lower', files: ['k.c', 'check.sh'] },
  feedback,
  remaining: { tokens: 1000, wallSec: 100, iterations: 5 },
  shown: [],
  readFile: (p) => (p === 'k.c' ? 'int f(void){return 0;}' : null),
});

describe('llm agent (fake endpoint)', () => {
  it('validates tool calls, answers malformed ones with an error, and proposes on run_experiment', async () => {
    replies.push(
      reply([call('a', 'write_file', '{"path": "k.c"}'), call('b', 'read_file', 'not json'), call('c', 'write_file', '{"path": "check.sh", "content": "x"}'), call('d', 'nope', '{}')]),
      reply([call('e', 'read_file', '{"path": "k.c"}'), call('f', 'write_file', '{"path": "k.c", "content": "int f(void){return 1;}"}'), call('g', 'run_experiment', '{"note": "try", "expected_value": 3}')]),
      reply([call('h', 'submit', '{"reason": "done"}')]),
    );
    const agent = new LlmAgent({ target: url, model: 'fake' });
    const t1 = await agent.propose(ctx('[budget] 1000 tokens left'));
    expect(t1.proposal).toMatchObject({ kind: 'change', files: { 'k.c': 'int f(void){return 1;}' }, note: 'try', claimed: { expected_value: 3 } });
    expect(t1.tokensIn + t1.tokensOut).toBe(120);
    const toolMsgs = received[1].messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(toolMsgs[0]).toMatch(/invalid arguments for write_file: .*content/);
    expect(toolMsgs[1]).toBe('error: arguments are not valid JSON');
    expect(toolMsgs[2]).toMatch(/check.sh is not editable/);
    expect(toolMsgs[3]).toMatch(/unknown tool "nope"/);
    expect(received[0].messages[1].content).toContain('[budget] 1000 tokens left');
    const t2 = await agent.propose(ctx('[budget] 880 tokens left\nbuild ok'));
    expect(t2.proposal).toEqual({ kind: 'stop', reason: 'done' });
    // The feedback came back as the run_experiment call's result.
    const last = received[2].messages.find((m) => m.tool_call_id === 'g');
    expect(last?.content).toBe('[budget] 880 tokens left\nbuild ok');
  });
});

describe('search agent', () => {
  it('grid enumerates every combination then stops', async () => {
    const a = new SearchAgent({ o: { type: 'enum', values: ['x', 'y'] }, b: { type: 'int', values: [1, 2, 3] } }, 'grid');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(JSON.stringify((await a.propose(ctx(''))).proposal));
    expect(seen.size).toBe(6);
    expect((await a.propose(ctx(''))).proposal.kind).toBe('stop');
    expect(paramValues({ type: 'int', min: 1, max: 29 })).toEqual([1, 5, 9, 13, 17, 21, 25, 29]);
  });

  it('coordinate descent keeps what measured better', async () => {
    const a = new SearchAgent({ b: { type: 'int', values: [1, 2, 3] } }, 'coordinate');
    const cost: Record<number, number> = { 1: 10, 2: 5, 3: 8 };
    let last = 0;
    const proposals: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = ctx('');
      if (last) c.shown = [{ kind: 'measurement', text: '', detail: { value: cost[last], mode: 'rich', sourceIteration: i, corrupted: false } }];
      const p = (await a.propose(c)).proposal;
      if (p.kind === 'stop') break;
      last = p.params!.b as number;
      proposals.push(last);
    }
    expect(proposals.slice(0, 3)).toEqual([1, 2, 3]);
    expect(proposals.length).toBeLessThan(10);
  });
});

describe('feedback shaping', () => {
  const outcome = (iteration: number, v: number) =>
    eventsFor({
      iteration,
      status: 'ok',
      evaluation: { status: 'ok', steps: [], measurement: { n: 3, values: [v, v, v], median: v, mean: v, ciLow: v, ciHigh: v, cv: 0 }, harnessModified: [], sandbox: 'bwrap', wallMs: 1 },
      scores: null,
      improved: false,
      best: { median: 10, ciLow: 9, ciHigh: 11, iteration: 0 },
      metric: 'runtime_ms',
      direction: 'lower',
      errors: [],
    });
  it('noisy corrupts numbers (seeded) and says so; stale and delayed lag one iteration', () => {
    const n1 = new FeedbackShaper('noisy', 3).shape(outcome(1, 7)).find((e) => e.kind === 'measurement')!;
    const n2 = new FeedbackShaper('noisy', 3).shape(outcome(1, 7)).find((e) => e.kind === 'measurement')!;
    expect(n1.detail.corrupted).toBe(true);
    expect(n1.detail.value).toBe(7);
    expect(n1.detail.shownValue).toBe(n2.detail.shownValue);
    expect(n1.text).not.toContain('median 7.000');
    const st = new FeedbackShaper('stale', 1);
    expect(st.shape(outcome(1, 7))[0].text).toBe('no result yet');
    const s2 = st.shape(outcome(2, 5)).find((e) => e.kind === 'measurement')!;
    expect(s2.detail).toMatchObject({ sourceIteration: 1, corrupted: true, value: 7 });
    const d = new FeedbackShaper('delayed', 1);
    d.shape(outcome(1, 7));
    expect(d.shape(outcome(2, 5)).find((e) => e.kind === 'measurement')!.text).toMatch(/^\[result of iteration 1\] runtime_ms median 7\.000/);
  });
});
