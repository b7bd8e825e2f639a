/**
 * Real published samples (test/fixtures/importers/README.md): calls, token sums and timings of the
 * import equal what the source file says. The source side is computed here from the raw JSON,
 * independently of the importer code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFiles, validateTrajectory, type LlmStep, type ToolStep, type Trajectory } from '../../../src/trajectory/index.js';

const F = 'test/fixtures/importers';
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const json = (p: string): J => JSON.parse(readFileSync(p, 'utf8'));
const jsonl = (p: string): J[] => readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const llms = (t: Trajectory): LlmStep[] => t.agents.flatMap((a) => a.steps.filter((s): s is LlmStep => s.type === 'llm'));
const tools = (t: Trajectory): ToolStep[] => t.agents.flatMap((a) => a.steps.filter((s): s is ToolStep => s.type === 'tool'));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('aa-replay (AgentPerf agentperf-default-v1, task_k8s_debugging)', () => {
  const rows = jsonl(`${F}/aa-replay/traces/task_k8s_debugging.jsonl`);

  it('keeps recorded prompt/completion tokens, model durations and tool delays exactly', () => {
    const r = importFiles('aa-replay', [`${F}/aa-replay/traces/task_k8s_debugging.jsonl`]);
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const s = llms(t);
    expect(s.map((x) => x.input_tokens)).toEqual(rows.map((x) => x.recorded_prompt_tokens));
    expect(s.map((x) => x.output_tokens)).toEqual(rows.map((x) => x.recorded_completion_tokens));
    expect(s.map((x) => x.duration_ms)).toEqual(rows.map((x) => x.recorded_model_duration_ms));
    expect(s.every((x) => x.estimated === undefined)).toBe(true);
    expect(sum(tools(t).map((x) => x.duration_ms))).toBeCloseTo(sum(rows.flatMap((x) => x.recorded_tool_calls_after.map((c: J) => c.duration_ms))), 6);
    // Prefix reuse is the recorded growth, not an artefact of estimates.
    expect(s[1].new_input_tokens).toBe(rows[1].recorded_prompt_tokens - rows[0].recorded_prompt_tokens - rows[0].recorded_completion_tokens);
    expect(r.fidelity.tokens).toMatchObject({ recordedCalls: 2, estimatedCalls: 0, recordedInput: 6888 + 7353 });
  });

  it('--keep-content keeps the messages (and each answer) so --content recorded replays real text', () => {
    const [t] = importFiles('aa-replay', [`${F}/aa-replay/traces/task_k8s_debugging.jsonl`], { keepContent: true }).trajectories;
    const s = llms(t);
    expect(s[0].content?.messages).toEqual(rows[0].messages);
    expect(s[1].content?.messages).toEqual(rows[1].messages);
    expect(s[0].content?.output).toBe(rows[1].messages[2].content);
    expect(importFiles('aa-replay', [`${F}/aa-replay/traces/task_k8s_debugging.jsonl`]).trajectories[0].agents[0].steps.some((x) => x.type === 'llm' && x.content)).toBe(false);
  });

  it('the manifest: traces are read and checked against its recorded totals', () => {
    const man = json(`${F}/aa-replay/manifest.json`);
    const r = importFiles('aa-replay', [`${F}/aa-replay/manifest.json`]);
    expect(r.trajectories).toHaveLength(man.tasks.length);
    const [t] = r.trajectories;
    expect(llms(t)).toHaveLength(man.tasks[0].model_calls);
    expect(tools(t)).toHaveLength(man.tasks[0].tool_calls);
    expect(sum(tools(t).map((x) => x.duration_ms))).toBeCloseTo(man.tasks[0].total_recorded_tool_delay_ms, 3);
    expect(t.labels).toMatchObject({ task: 'task_k8s_debugging', family: 'pinchbench-openclaw', adapter: 'pinchbench' });
    expect(r.fidelity.leftOut.map((l) => l.what)).toContain('task_k8s_debugging: tool_environment');
  });

  it('the mini replay (authored targets, no recorded counts): tokens labelled estimated per step', () => {
    const src = jsonl(`${F}/aa-mini-library-01.jsonl`);
    const r = importFiles('aa-replay', [`${F}/aa-mini-library-01.jsonl`]);
    const s = llms(r.trajectories[0]);
    expect(s.map((x) => x.output_tokens)).toEqual(src.map((x) => x.target_output_tokens));
    expect(s.every((x) => x.estimated?.includes('input_tokens') && x.estimated.includes('output_tokens'))).toBe(true);
    expect(r.fidelity.tokens.estimatedCalls).toBe(src.length);
  });
});

describe('weka (callanjfox/agentic-coding-analysis examples)', () => {
  it('sample_trace.json: _start_ts accepted, every request kept with its recorded numbers', () => {
    const src = json(`${F}/weka-sample-trace.json`);
    const r = importFiles('weka', [`${F}/weka-sample-trace.json`]);
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const s = llms(t);
    expect(s).toHaveLength(src.requests.length);
    expect(sum(s.map((x) => x.input_tokens))).toBe(sum(src.requests.map((x: J) => x.in)));
    expect(sum(s.map((x) => x.output_tokens))).toBe(sum(src.requests.map((x: J) => x.out)));
    expect(s.map((x) => x.duration_ms)).toEqual(src.requests.map((x: J) => Math.round(x.api_time * 1000 * 1e6) / 1e6));
    expect(s.map((x) => x.offset_ms)).toEqual(src.requests.map((x: J) => x.t * 1000));
    expect(s.map((x) => x.hash_ids!.length)).toEqual(src.requests.map((x: J) => x.hash_ids.length));
    // Client time before each request (think_time) is the recorded wait after the previous call.
    const waits = t.agents[0].steps.filter((x) => x.type === 'tool' || x.type === 'think').map((x) => (x as { duration_ms: number }).duration_ms);
    expect(waits).toEqual(src.requests.slice(1).map((x: J) => x.think_time * 1000));
    expect(t.arrival_ms).toBe(0);
    expect(r.fidelity.timings.defaulted).toBe(0);
  });

  it('parallel sub-agents: one spawn, each with its model, its own prefix, the wait after the last result', () => {
    const src = json(`${F}/weka-parallel-subagents.json`);
    const [t] = importFiles('weka', [`${F}/weka-parallel-subagents.json`]).trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const subs = src.requests.filter((x: J) => x.type === 'subagent');
    expect(t.agents.map((a) => [a.id, a.parent, a.model])).toEqual([
      ['main', null, undefined],
      ...subs.map((x: J) => [`sub-${x.agent_id}`, 'main', x.models[0]]),
    ]);
    expect(t.model).toBe(src.models[0]);
    expect(t.agents[0].steps.filter((x) => x.type === 'spawn')).toEqual([{ type: 'spawn', agents: subs.map((x: J) => `sub-${x.agent_id}`), join: 'all' }]);
    subs.forEach((x: J, k: number) => expect(t.agents[k + 1].system_prompt_tokens).toBe(x.system_tokens + x.tool_tokens));
    const last = src.requests[src.requests.length - 1];
    const lastResult = Math.max(...subs.map((x: J) => x.t));
    expect(t.agents[0].steps[2]).toEqual({ type: 'tool', name: 'tool_use', duration_ms: Math.round((last.t - lastResult) * 1000 * 1e6) / 1e6 });
    const all = src.requests.flatMap((x: J) => (x.type === 'subagent' ? x.requests : [x]));
    expect(sum(llms(t).map((x) => x.input_tokens))).toBe(src.totals.combined_tokens.input);
    expect(sum(llms(t).map((x) => x.output_tokens))).toBe(sum(all.map((x: J) => x.out)));
  });
});

describe('mooncake (FAST25 conversation_trace.jsonl)', () => {
  it('keeps every request, its lengths and its arrival offset', () => {
    const src = jsonl(`${F}/mooncake-conversation-trace.jsonl`);
    const r = importFiles('mooncake', [`${F}/mooncake-conversation-trace.jsonl`]);
    const all = r.trajectories.flatMap((t) => llms(t).map((s) => ({ t, s })));
    expect(all).toHaveLength(src.length);
    expect(sum(all.map((x) => x.s.input_tokens))).toBe(sum(src.map((x) => x.input_length)));
    expect(sum(all.map((x) => x.s.output_tokens))).toBe(sum(src.map((x) => x.output_length)));
    expect(all.map((x) => (x.t.arrival_ms ?? NaN) + (x.s.offset_ms ?? NaN)).sort((a, b) => a - b)).toEqual(src.map((x) => x.timestamp).sort((a, b) => a - b));
  });
});

describe('swe-agent (SWE-agent/SWE-agent tests/test_data, a gpt4 run)', () => {
  const P = `${F}/swe-agent/swe-agent__test-repo-i1.traj`;
  it('one call per assistant turn, prompts from the whole history, calibrated to tokens_sent', () => {
    const src = json(P);
    const r = importFiles('swe-agent', [P]);
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const s = llms(t);
    expect(s).toHaveLength(src.info.model_stats.api_calls);
    expect(sum(s.map((x) => x.input_tokens))).toBe(src.info.model_stats.tokens_sent);
    expect(sum(s.map((x) => x.output_tokens))).toBe(src.info.model_stats.tokens_received);
    // The demonstration (is_demo) is in every prompt: the first prompt is most of the first call's size.
    expect(s[0].input_tokens).toBeGreaterThan(src.info.model_stats.tokens_sent / src.info.model_stats.api_calls / 2);
    const c = r.fidelity.calibration!;
    expect(c).toMatchObject({ field: 'info.model_stats.tokens_sent', recorded: src.info.model_stats.tokens_sent, residual: 0 });
    expect(Math.abs(c.estimatedBefore - c.recorded) / c.recorded).toBeLessThan(0.25);
    expect(s.every((x) => x.estimated?.includes('input_tokens'))).toBe(true);
    expect(tools(t).map((x) => x.name)).toEqual(src.trajectory.map((x: J) => x.action.trim().split(/\s+/)[0]));
    expect(r.fidelity.timings.defaulted).toBe(src.trajectory.length);
  });
});

describe('mini-swe-agent (the repository\'s own tests/test_data/local.traj.json, a bare message list)', () => {
  it('imports: one call per assistant message, tokens estimated and labelled', () => {
    const src = json(`${F}/mini-swe-agent-local.traj.json`) as unknown as J[];
    const r = importFiles('mini-swe-agent', [`${F}/mini-swe-agent-local.traj.json`]);
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    expect(llms(t)).toHaveLength(src.filter((m) => m.role === 'assistant').length);
    expect(r.fidelity.tokens.estimatedCalls).toBe(llms(t).length);
    expect(llms(t)[0].input_tokens).toBeGreaterThan(0);
  });
});

describe('openhands (All-Hands-AI/OpenHands tests/runtime/trajs/basic.json)', () => {
  const P = `${F}/openhands-basic.json`;
  it('usage per model response, cached tokens, observation times', () => {
    const src = json(P) as unknown as J[];
    const [t] = importFiles('openhands', [P]).trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const responses = new Map<string, J>();
    for (const e of src) if (e.action && e.source === 'agent' && e.tool_call_metadata) responses.set(e.tool_call_metadata.model_response.id, e.tool_call_metadata.model_response.usage);
    const s = llms(t);
    expect(s.map((x) => [x.input_tokens, x.output_tokens, x.cached_tokens])).toEqual([...responses.values()].map((u) => [u.prompt_tokens, u.completion_tokens, u.prompt_tokens_details.cached_tokens]));
    const edit = src.find((e) => e.action === 'edit')!;
    const obs = src.find((e) => e.observation === 'edit')!;
    expect(tools(t)[0].duration_ms).toBeCloseTo(Date.parse(obs.timestamp + 'Z') - Date.parse(edit.timestamp + 'Z'), 0);
  });

  it('calls without usage are estimated from what came before (never 0- or 8-token prompts) or left out as unmeasured', () => {
    const src = json(P) as unknown as J[];
    for (const e of src) delete e.tool_call_metadata?.model_response?.usage;
    const d = join(mkdtempSync(join(tmpdir(), 'oh-')), 'no-usage.json');
    writeFileSync(d, JSON.stringify(src));
    try {
      const r = importFiles('openhands', [d]);
      const s = llms(r.trajectories[0]);
      expect(s[0].input_tokens).toBeGreaterThan(20);
      expect(s[1].input_tokens).toBeGreaterThan(s[0].input_tokens);
      expect(s.every((x) => x.estimated?.includes('input_tokens'))).toBe(true);
      // Drop the user message too: the first call has nothing to be estimated from.
      writeFileSync(d, JSON.stringify(src.filter((e) => e.source !== 'user')));
      const r2 = importFiles('openhands', [d]);
      expect(llms(r2.trajectories[0])).toHaveLength(1);
      expect(r2.fidelity.leftOut[0].what).toBe('1 unmeasured call');
    } finally {
      rmSync(d, { force: true });
    }
  });
});

describe('claude-code (callanjfox/agentic-coding-analysis examples/jsonl, Claude Code 2.1.83)', () => {
  const main = `${F}/claude-code/02f3098e-6bcb-4709-9968-23e2b2b2f40e.jsonl`;
  const side = `${F}/claude-code/agent-a44c06181169aa067.jsonl`;
  /** Per API response (deduplicated by message.id): prompt = input + cache creation + cache read. */
  const usageOf = (p: string, sidechain: boolean) => {
    const seen = new Map<string, J>();
    for (const l of jsonl(p)) if (l.type === 'assistant' && l.message?.usage && (l.isSidechain === true) === sidechain) seen.set(l.message.id, l.message);
    return [...seen.values()];
  };
  it('session and side chain: calls, prompt and output sums, cache reads, the sub-agent model', () => {
    const [t] = importFiles('claude-code', [main, side]).trajectories;
    const m = usageOf(main, false);
    const s = usageOf(side, true);
    const a0 = t.agents[0].steps.filter((x): x is LlmStep => x.type === 'llm');
    const a1 = t.agents[1].steps.filter((x): x is LlmStep => x.type === 'llm');
    expect(a0).toHaveLength(m.length);
    expect(a1).toHaveLength(s.length);
    const prompt = (u: J) => u.usage.input_tokens + (u.usage.cache_creation_input_tokens ?? 0) + (u.usage.cache_read_input_tokens ?? 0);
    expect(sum(a0.map((x) => x.input_tokens))).toBe(sum(m.map(prompt)));
    expect(sum(a1.map((x) => x.input_tokens))).toBe(sum(s.map(prompt)));
    expect(a1.map((x) => x.cached_tokens)).toEqual(s.map((u) => u.usage.cache_read_input_tokens));
    expect(t.model).toBe(m[0].model);
    expect(t.agents[1].model).toBe(s[0].model);
  });
});

describe('harbor ATIF (hand-made in the RFC layout)', () => {
  const P = `${F}/harbor/trajectory.json`;
  it('one call per agent step with its metrics; the referenced sub-agent imported with its model', () => {
    const src = json(P);
    const sub = json(`${F}/harbor/subagent-ABC123.json`);
    const r = importFiles('harbor', [P]);
    const [t] = r.trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const agentSteps = src.steps.filter((s: J) => s.source === 'agent');
    const main = t.agents[0].steps.filter((x): x is LlmStep => x.type === 'llm');
    expect(main.map((x) => [x.input_tokens, x.output_tokens, x.cached_tokens])).toEqual(agentSteps.map((s: J) => [s.metrics.prompt_tokens, s.metrics.completion_tokens, s.metrics.cached_tokens]));
    expect(sum(main.map((x) => x.input_tokens))).toBe(src.final_metrics.total_prompt_tokens);
    expect(t.agents.map((a) => [a.id, a.parent, a.model])).toEqual([['main', null, undefined], ['sub-1', 'main', sub.agent.model_name]]);
    expect(t.agents[0].steps.find((x) => x.type === 'spawn')).toEqual({ type: 'spawn', agents: ['sub-1'], join: 'all' });
    expect(tools(t).map((x) => x.name)).toEqual(['financial_search', 'financial_search']);
    expect(r.fidelity.leftOut.map((l) => l.what)).toContain('tool durations');
    expect(main.map((x) => x.offset_ms)).toEqual(agentSteps.map((s: J) => Date.parse(s.timestamp) - Date.parse(src.steps[0].timestamp)));
  });

  it('a missing sub-agent file: imported with a warning, the delegation kept as a tool wait', () => {
    const d = mkdtempSync(join(tmpdir(), 'atif-'));
    writeFileSync(join(d, 'trajectory.json'), readFileSync(P, 'utf8'));
    const r = importFiles('harbor', [join(d, 'trajectory.json')]);
    expect(r.trajectories[0].agents).toHaveLength(1);
    expect(r.fidelity.leftOut.find((l) => l.what.startsWith('sub-agent subagent-ABC123.json'))?.why).toContain('is missing');
  });
});

describe('aa-replay estimated prompts: new input measured from the messages', () => {
  it('the mini replay: new input is the history appended after each answer, never a 0 from target arithmetic', () => {
    const src = jsonl(`${F}/aa-mini-library-01.jsonl`);
    const s = llms(importFiles('aa-replay', [`${F}/aa-mini-library-01.jsonl`]).trajectories[0]);
    for (let i = 1; i < s.length; i++) {
      const appended = src[i].messages.length - src[i - 1].messages.length - 1; // minus the previous answer
      expect(appended).toBeGreaterThan(0);
      expect(s[i].new_input_tokens).toBeGreaterThan(0);
      expect(s[i].new_input_tokens).toBeLessThan(s[i].input_tokens - s[0].input_tokens + 1);
    }
  });
});

describe('codex (the layout of a Codex CLI 0.104 rollout)', () => {
  const P = `${F}/codex-rollout-0.104.jsonl`;
  it('per-call last_token_usage (input includes cached), deduplicated; parallel tools timed to the last output', () => {
    const lines = jsonl(P);
    const [t] = importFiles('codex', [P]).trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    // Source side: distinct total_token_usage values, each with its last_token_usage.
    const seen = new Map<string, J>();
    for (const l of lines) if (l.type === 'event_msg' && l.payload.type === 'token_count' && l.payload.info) seen.set(JSON.stringify(l.payload.info.total_token_usage), l.payload.info.last_token_usage);
    const s = llms(t);
    expect(s.map((x) => [x.input_tokens, x.cached_tokens, x.output_tokens])).toEqual([...seen.values()].map((u) => [u.input_tokens, u.cached_input_tokens, u.output_tokens]));
    expect(t.model).toBe(lines.find((l) => l.type === 'turn_context').payload.model);
    // The first call asked for two tools at once; together they took until the last output.
    const at = (id: string) => Date.parse(lines.find((l) => l.payload.call_id === id && l.payload.type === 'function_call_output').timestamp);
    const callEnd = Date.parse(lines.find((l) => l.type === 'event_msg' && l.payload.type === 'token_count' && l.payload.info).timestamp);
    const first = t.agents[0].steps.slice(1, 3) as ToolStep[];
    expect(first.map((x) => x.type)).toEqual(['tool', 'tool']);
    expect(sum(first.map((x) => x.duration_ms))).toBeCloseTo(Math.max(at('call_a'), at('call_b')) - callEnd, 6);
  });
});

describe('codex (a rollout written by the real Codex CLI 0.171.0)', () => {
  const P = `${F}/codex-rollout-0.171.jsonl`;
  it('imports the current layout (ordinal, metadata, world_state, token_usage_record): usage per response, calls timed by the record, not by the late token_count', () => {
    const lines = jsonl(P);
    expect(lines[0].payload.cli_version).toBe('0.171.0');
    const [t] = importFiles('codex', [P]).trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    // Source side: one token_usage_record per response id, in order.
    const recs = lines.filter((l) => l.type === 'token_usage_record');
    const s = llms(t);
    expect(s.map((x) => [x.input_tokens, x.cached_tokens, x.output_tokens])).toEqual(recs.map((r) => [r.payload.usage.input_tokens, r.payload.usage.cached_input_tokens, r.payload.usage.output_tokens]));
    // The totals agree with the last token_count (which only repeats them), so nothing is counted twice.
    const last = lines.filter((l) => l.type === 'event_msg' && l.payload.type === 'token_count' && l.payload.info).at(-1)!.payload.info.total_token_usage;
    expect(sum(s.map((x) => x.input_tokens))).toBe(last.input_tokens);
    expect(sum(s.map((x) => x.output_tokens))).toBe(last.output_tokens);
    // The first call: from the user's message to its record; its two parallel tools until the last output.
    const ts = (l: J) => Date.parse(l.timestamp);
    const userMsg = lines.filter((l) => l.type === 'response_item' && l.payload.type === 'message' && l.payload.role === 'user').at(-1)!;
    expect(s[0].duration_ms).toBe(ts(recs[0]) - ts(userMsg));
    const outs = lines.filter((l) => l.type === 'response_item' && l.payload.type === 'function_call_output');
    const first = t.agents[0].steps.slice(1, 3) as ToolStep[];
    expect(first.map((x) => x.type)).toEqual(['tool', 'tool']);
    expect(sum(first.map((x) => x.duration_ms))).toBe(Math.max(ts(outs[0]), ts(outs[1])) - ts(recs[0]));
  });
});

describe('claude-code (a session written by the real Claude Code 2.1.197)', () => {
  const P = `${F}/claude-code-2.1.197.jsonl`;
  it('imports the current layout: usage per assistant message (cache reads added back to input), the tool timed from its result', () => {
    const lines = jsonl(P);
    const [t] = importFiles('claude-code', [P]).trajectories;
    expect(validateTrajectory(t)).toEqual([]);
    const asst = lines.filter((l) => l.type === 'assistant');
    expect(asst.every((l) => l.version === '2.1.197')).toBe(true);
    const s = llms(t);
    expect(s.map((x) => [x.input_tokens, x.cached_tokens, x.output_tokens])).toEqual(
      asst.map((l) => {
        const u = l.message.usage;
        return [u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens, u.cache_read_input_tokens, u.output_tokens];
      }),
    );
    expect(t.model).toBe(asst[0].message.model);
    const [tool] = tools(t);
    const result = lines.find((l) => l.type === 'user' && Array.isArray(l.message.content) && l.message.content[0]?.type === 'tool_result');
    expect(tool.duration_ms).toBe(Date.parse(result.timestamp) - Date.parse(asst[0].timestamp));
  });
});
