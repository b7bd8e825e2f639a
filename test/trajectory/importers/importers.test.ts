import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFiles, validateTrajectory, IMPORT_FORMATS, type LlmStep, type Trajectory } from '../../../src/trajectory/index.js';

const F = 'test/fixtures/importers';
const llm = (t: Trajectory, agent = 0) => t.agents[agent].steps.filter((s): s is LlmStep => s.type === 'llm');
const tmp = () => mkdtempSync(join(tmpdir(), 'imp-'));

describe('importers on their fixtures', () => {
  it('lists all eleven formats', () => {
    expect([...IMPORT_FORMATS].sort()).toEqual(['aa-replay', 'claude-code', 'codex', 'dynamo', 'harbor', 'mini-swe-agent', 'mooncake', 'openai-chat-log', 'openhands', 'swe-agent', 'weka'].sort());
  });

  it('weka: hash_ids + block_size survive, sub-agent spawned, think/tool times from think_time', () => {
    const { trajectories: [t] } = importFiles('weka', [`${F}/weka-sample-with-subagent.json`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.agents.map((a) => a.id)).toEqual(['main', 'sub-a44c06181169aa067']);
    const s = llm(t);
    expect(s[0]).toMatchObject({ input_tokens: 21477, output_tokens: 205, block_size: 64, duration_ms: 4870 });
    expect(s[0].hash_ids).toHaveLength(335);
    expect(t.agents[0].system_prompt_tokens).toBe(5930 + 14901);
    expect(t.agents[0].steps[1]).toEqual({ type: 'tool', name: 'tool_use', duration_ms: 12000 });
    expect(t.agents[0].steps.some((x) => x.type === 'spawn' && x.agents[0] === 'sub-a44c06181169aa067')).toBe(true);
    expect(llm(t, 1)[1].hash_ids![0]).toBe(762);
  });

  it('mooncake: one trajectory per unchained request, 512-token blocks kept', () => {
    const r = importFiles('mooncake', [`${F}/mooncake-conversation-trace.jsonl`]);
    expect(r.trajectories).toHaveLength(12);
    for (const t of r.trajectories) expect(validateTrajectory(t)).toEqual([]);
    expect(llm(r.trajectories[0])[0]).toMatchObject({ input_tokens: 6758, output_tokens: 500, block_size: 512, hash_ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] });
    // Arrivals are recorded now: kept as arrival_ms / offset_ms, nothing estimated for a single request.
    expect(r.trajectories[0].source.estimated).toBeUndefined();
    expect(r.trajectories.map((t) => t.arrival_ms)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3000, 3000]);
  });

  it('mooncake: session ids and prefix chaining make conversations', () => {
    const d = tmp();
    writeFileSync(join(d, 's.jsonl'), [
      { timestamp: 0, input_length: 1100, output_length: 10, hash_ids: [1, 2, 3], session_id: 'a' },
      { timestamp: 0, input_length: 600, output_length: 10, hash_ids: [9, 8] },
      { timestamp: 500, input_length: 1700, output_length: 10, hash_ids: [1, 2, 3, 4], session_id: 'a' },
      { timestamp: 900, input_length: 1100, output_length: 10, hash_ids: [9, 8, 7] },
    ].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const r = importFiles('mooncake', [join(d, 's.jsonl')]);
    expect(r.trajectories.map((t) => llm(t).length)).toEqual([2, 2]);
    expect(r.trajectories[0].agents[0].steps[1]).toEqual({ type: 'think', duration_ms: 500 });
  });

  it('claude-code: usage incl. cache reads, sub-agent side chain, dedupe by message.id', () => {
    const r = importFiles('claude-code', [`${F}/claude-code/02f3098e-6bcb-4709-9968-23e2b2b2f40e.jsonl`, `${F}/claude-code/agent-a44c06181169aa067.jsonl`]);
    expect(r.trajectories).toHaveLength(1); // the side chain is part of the session, not its own trajectory
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.model).toBe('claude-opus-4-6');
    expect(t.agents.map((a) => [a.id, a.parent])).toEqual([['main', null], ['agent-a44c06181169aa067', 'main']]);
    expect(llm(t)[0]).toMatchObject({ input_tokens: 3 + 25404, cached_tokens: 25404, output_tokens: 205 });
    expect(t.agents[0].steps[1]).toMatchObject({ type: 'tool', name: 'Bash', duration_ms: 3739, status: 'ok' });
    expect(t.agents[0].steps.find((s) => s.type === 'spawn')).toEqual({ type: 'spawn', agents: ['agent-a44c06181169aa067'], join: 'all' });
    expect(llm(t, 1)[0]).toMatchObject({ input_tokens: 3 + 555 + 12691, cached_tokens: 12691, output_tokens: 117 });

    // One API response written as two lines sharing message.id counts once.
    const d = tmp();
    const lines = readLines(`${F}/claude-code/agent-a44c06181169aa067.jsonl`);
    const dup = JSON.parse(lines[1]);
    dup.message.content = [{ type: 'text', text: 'second block' }];
    lines.splice(2, 0, JSON.stringify(dup));
    writeFileSync(join(d, 'agent-a44c06181169aa067.jsonl'), lines.join('\n') + '\n');
    const solo = importFiles('claude-code', [join(d, 'agent-a44c06181169aa067.jsonl')]).trajectories[0];
    expect(llm(solo)).toHaveLength(3);
  });

  it('codex: input includes cached, repeated token_count deduped, tool time from outputs', () => {
    const { trajectories: [t] } = importFiles('codex', [`${F}/codex-rollout.jsonl`]);
    expect(validateTrajectory(t)).toEqual([]);
    const s = llm(t);
    expect(s.map((x) => [x.input_tokens, x.cached_tokens, x.output_tokens])).toEqual([[9000, 0, 120], [9400, 8960, 300], [9800, 9600, 40]]);
    expect(t.agents[0].steps[1]).toEqual({ type: 'tool', name: 'shell', duration_ms: 4000 });
    expect(t.model).toBe('gpt-5-codex');
  });

  it('aa-replay: tokens estimated, recorded tool delays', () => {
    const { trajectories: [t] } = importFiles('aa-replay', [`${F}/aa-mini-library-01.jsonl`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.source.estimated).toContain('tokens');
    expect(llm(t).map((s) => s.output_tokens)).toEqual([256, 256, 256]);
    expect(llm(t)[1].input_tokens).toBeGreaterThan(llm(t)[0].input_tokens);
    expect(t.agents[0].steps[1]).toEqual({ type: 'tool', name: 'search_catalog', duration_ms: 50 });
  });

  it('mini-swe-agent: litellm usage, cached tokens and timestamps', () => {
    const { trajectories: [t] } = importFiles('mini-swe-agent', [`${F}/astropy__astropy-12907.traj.json`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(llm(t)[0]).toMatchObject({ input_tokens: 1689, output_tokens: 76, cached_tokens: 1664 });
    const tool = t.agents[0].steps[1];
    expect(tool.type).toBe('tool');
    expect((tool as { duration_ms: number }).duration_ms).toBeCloseTo(188.6, 0);
    expect(t.labels?.task).toBe('astropy__astropy-12907');
  });

  it('swe-agent: messages only, tokens estimated, execution_time or default', () => {
    const { trajectories: [t] } = importFiles('swe-agent', [`${F}/swe-agent-example.traj`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.source.estimated).toEqual(expect.arrayContaining(['tokens', 'timings']));
    expect(t.agents[0].steps[1]).toMatchObject({ type: 'tool', name: 'ls', duration_ms: 120 });
    expect(t.agents[0].steps.at(-1)).toMatchObject({ type: 'tool', name: 'submit', duration_ms: 1000 });
  });

  it('openhands: one call per model response, observation times', () => {
    const { trajectories: [t] } = importFiles('openhands', [`${F}/openhands-trajectory.json`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(llm(t).map((s) => s.input_tokens)).toEqual([5200, 5400, 5600]);
    expect(t.agents[0].steps[1]).toMatchObject({ type: 'tool', name: 'execute_bash', duration_ms: 4000 });
  });

  it('openai-chat-log: prefix matching continues the agent, a new conversation while waiting is a sub-agent', () => {
    const { trajectories } = importFiles('openai-chat-log', [`${F}/openai-chat-log.jsonl`]);
    expect(trajectories).toHaveLength(1);
    const [t] = trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.agents.map((a) => [a.id, a.parent, llm(t, t.agents.indexOf(a)).length])).toEqual([['main', null, 2], ['sub-1', 'main', 1]]);
    expect(t.agents[0].steps.map((s) => s.type)).toEqual(['llm', 'spawn', 'tool', 'llm']);
    // gap 1.5 s minus the sub-agent's 1.0 s after the call
    expect(t.agents[0].steps[2]).toEqual({ type: 'tool', name: 'delegate', duration_ms: 500 });
  });

  it('dynamo: agent_context builds the tree', () => {
    const { trajectories: [t] } = importFiles('dynamo', [`${F}/dynamo-agent-trace.jsonl`]);
    expect(validateTrajectory(t)).toEqual([]);
    expect(t.agents.map((a) => [a.id, a.parent])).toEqual([['main', null], ['sub-1', 'main']]);
    expect(llm(t)[1]).toMatchObject({ input_tokens: 2500, cached_tokens: 2000, ttft_ms: 40 });
  });
});

function readLines(p: string): string[] {
  return readFileSync(p, 'utf8').trim().split('\n');
}

describe('bad input', () => {
  it('truncated log: names file and line, writes nothing', () => {
    const d = tmp();
    const f = join(d, 'cut.jsonl');
    const txt = readFileSync(`${F}/mooncake-conversation-trace.jsonl`, 'utf8') as string;
    writeFileSync(f, txt.slice(0, txt.length - 40));
    expect(() => importFiles('mooncake', [f])).toThrow(new RegExp(`${f.replace(/[/.]/g, '\\$&')}:12: \\$: not valid JSON.*truncated`));
  });

  it('--skip-bad imports the rest and lists what was skipped', () => {
    const d = tmp();
    const f = join(d, 'mixed.jsonl');
    writeFileSync(f, '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}\n{"timestamp": 0, "input_length": -3, "output_length": 1, "hash_ids": []}\n');
    expect(() => importFiles('mooncake', [f])).toThrow(/mixed.jsonl:2: \$.input_length: expected a non-negative number, got -3/);
    const r = importFiles('mooncake', [f], { skipBad: true });
    expect(r.trajectories).toHaveLength(1);
    expect(r.skipped).toEqual([{ file: f, line: 2, field: '$.input_length', message: expect.stringContaining('-3') }]);
  });

  it('unknown fields and newer versions are named', () => {
    const d = tmp();
    const f = join(d, 'x.jsonl');
    writeFileSync(f, '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1], "prio": 3}\n');
    expect(() => importFiles('mooncake', [f])).toThrow(/x.jsonl:1: \$.prio: unknown field/);
    const g = join(d, 'new.traj.json');
    writeFileSync(g, JSON.stringify({ trajectory_format: 'mini-swe-agent-3', messages: [] }));
    expect(() => importFiles('mini-swe-agent', [g])).toThrow(/new.traj.json:1: \$.trajectory_format: "mini-swe-agent-3" is newer/);
    const h = join(d, 'cc.jsonl');
    const line = JSON.parse(readLines(`${F}/claude-code/agent-a44c06181169aa067.jsonl`)[1]);
    line.version = '3.0.1';
    writeFileSync(h, JSON.stringify(line) + '\n');
    expect(() => importFiles('claude-code', [h])).toThrow(/cc.jsonl:1: \$.version: Claude Code 3.0.1 is newer/);
  });

  it('a file that is not the named format says so', () => {
    expect(() => importFiles('codex', [`${F}/mooncake-conversation-trace.jsonl`])).toThrow(/mooncake-conversation-trace.jsonl:1: \$.timestamp: unknown field|unknown field/);
    expect(() => importFiles('weka', [`${F}/astropy__astropy-12907.traj.json`])).toThrow(/\$.requests: missing: this is not a cc-traces/);
    expect(() => importFiles('aa-replay', [`${F}/openai-chat-log.jsonl`])).toThrow(/openai-chat-log.jsonl:1: \$.version: missing/);
    expect(() => importFiles('nope', [`${F}/openai-chat-log.jsonl`])).toThrow(/unknown import format "nope"/);
  });

  it('claude-code: a missing sub-agent transcript imports with a warning, never a silent drop', () => {
    const d = tmp();
    copyFileSync(`${F}/claude-code/02f3098e-6bcb-4709-9968-23e2b2b2f40e.jsonl`, join(d, 'main.jsonl'));
    const r = importFiles('claude-code', [join(d, 'main.jsonl')]);
    const [t] = r.trajectories;
    expect(t.agents).toHaveLength(1);
    expect(t.agents[0].steps.some((s) => s.type === 'spawn')).toBe(false);
    expect(r.fidelity.leftOut).toEqual([expect.objectContaining({ what: expect.stringContaining('sub-agent a44c06181169aa067'), why: expect.stringContaining('agent-a44c06181169aa067.jsonl') })]);
  });
});
