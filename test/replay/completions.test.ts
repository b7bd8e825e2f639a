/**
 * --api completions: the plain-text template, prompts that keep the chat prefix structure and hit
 * the recorded token counts exactly on the simulator's tokenizer, lanes posting rendered prompts
 * (synthetic, generated history, recorded content), and one short level over HTTP against the sim.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import {
  AgentPrompt,
  cacheBustMarker,
  calibrateTokenModel,
  openTarget,
  recordedMessages,
  renderCompletionPrompt,
  runRealLevel,
  withMarker,
  type LaneConfig,
  type SessionOptions,
  type TokenModel,
} from '../../src/replay/index.js';
import type { ChatMessage } from '../../src/endpoint/index.js';
import { DEFAULT_VALIDITY } from '../../src/slo/index.js';
import { hashCompletionPrompt, loadProfile, startSimServer, startSimServerInWorker } from '../../src/sim/index.js';
import { loadTrajectories, type LlmStep, type Trajectory } from '../../src/trajectory/index.js';
import { runLaneCalls } from './helpers.js';

const FIX = resolve(__dirname, '../fixtures/replay');
// What calibration learns for the template on the sim (one token per word; "<|role|>" is one word).
const SIM_COMPLETIONS: TokenModel = { tokensPerWord: 1, perMessage: 1, perRequest: 1, markerTokens: 1, source: 'tokenize', maxRelError: 0 };
const simCount = (prompt: string): number => hashCompletionPrompt(prompt, 16).tokens;
const llm = (input: number, output: number, extra: Partial<LlmStep> = {}): LlmStep => ({ type: 'llm', input_tokens: input, output_tokens: output, ...extra });
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('completions template', () => {
  it('renders "<|role|>\\ncontent\\n" per message, then the assistant cue', () => {
    const msgs: ChatMessage[] = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi there' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'bye' },
    ];
    expect(renderCompletionPrompt(msgs)).toBe('<|system|>\nbe brief\n<|user|>\nhi there\n<|assistant|>\nhello\n<|user|>\nbye\n<|assistant|>\n');
  });

  it('renders multi-part text, null content and tool calls as plain text', () => {
    const msgs = [
      { role: 'user', content: [{ type: 'text', text: '[rid:abc]' }, { type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: '1', type: 'function', function: { name: 'bash', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', content: 'a.txt', tool_call_id: '1' },
    ] as unknown as ChatMessage[];
    expect(renderCompletionPrompt(msgs)).toBe('<|user|>\n[rid:abc]\nlook\n<|assistant|>\n\nbash({"cmd":"ls"})\n<|tool|>\na.txt\n<|assistant|>\n');
  });

  it('calibration against the sim completions tokenizer learns the template overheads with zero error', async () => {
    const m = await calibrateTokenModel(async (msgs) => simCount(renderCompletionPrompt(msgs)), 'tokenize');
    expect(m).toEqual(SIM_COMPLETIONS);
  });

  it('hits the recorded input_tokens exactly each turn, grows as a string and KV-block prefix, marker right after the shared system prompt', () => {
    const p = new AgentPrompt(SIM_COMPLETIONS, 800, cacheBustMarker(1, 0, 0), 5);
    const steps = [llm(2000, 150), llm(2600, 40), llm(5200, 300), llm(5600, 10)];
    let prev: { text: string; tokens: number } | null = null;
    let prevPrompt: string | null = null;
    for (const s of steps) {
      const prompt = renderCompletionPrompt(p.forStep(s, prev));
      expect(simCount(prompt)).toBe(s.input_tokens);
      if (prevPrompt !== null) {
        expect(prompt.startsWith(prevPrompt)).toBe(true);
        // The whole previous prompt, cue included, is a token prefix: every one of its full blocks is shared.
        const ha = hashCompletionPrompt(prevPrompt, 16).blockHashes;
        expect(hashCompletionPrompt(prompt, 16).blockHashes.slice(0, ha.length)).toEqual(ha);
      }
      prevPrompt = prompt;
      prev = p.syntheticOutput(s.output_tokens, s);
    }
    expect(p.rebuilds).toBe(0);
    // Two lanes: the same system block, then each lane's marker opens the first user message.
    const other = renderCompletionPrompt(new AgentPrompt(SIM_COMPLETIONS, 800, cacheBustMarker(1, 1, 0), 6).forStep(steps[0], null));
    const first = renderCompletionPrompt(new AgentPrompt(SIM_COMPLETIONS, 800, cacheBustMarker(1, 0, 0), 5).forStep(steps[0], null));
    const sysEnd = first.indexOf('<|user|>\n');
    expect(first.startsWith('<|system|>\n')).toBe(true);
    expect(other.slice(0, sysEnd)).toBe(first.slice(0, sysEnd));
    expect(simCount(first.slice(0, sysEnd))).toBe(800);
    expect(first.slice(sysEnd)).toMatch(new RegExp(`^<\\|user\\|>\\n\\${cacheBustMarker(1, 0, 0).slice(0, -1)}\\]\\n\\n`));
    expect(other.slice(sysEnd, sysEnd + 30)).not.toBe(first.slice(sysEnd, sysEnd + 30));
  });
});

const tree: Trajectory = {
  format: 'agentdyno.trajectory.v1',
  id: 'tree',
  source: { kind: 'synthetic' },
  agents: [{ id: 'main', parent: null, system_prompt_tokens: 100, steps: [llm(200, 10), { type: 'tool', name: 'bash', duration_ms: 100 }, llm(300, 12), llm(420, 5)] }],
};

async function runLane(over: Partial<LaneConfig>, calls: number) {
  const cfg: LaneConfig = { lane: 0, seed: 1, trajectories: [tree], tokenModel: SIM_COMPLETIONS, toolTimeScale: 1, maxIdleGapMs: null, midStart: false, history: 'recorded', forceOutputLength: true, errorPauseMs: 0, api: 'completions', ...over };
  const { records, sent } = await runLaneCalls(cfg, calls);
  return { records, sent };
}

describe('lanes with --api completions', () => {
  it('post rendered prompts of the recorded sizes, append-only, with the output length forced', async () => {
    const { sent } = await runLane({}, 3);
    const prompts = sent.map((s) => s.req.prompt!);
    for (const [i, s] of sent.entries()) {
      expect(s.req.api).toBe('completions');
      expect(s.req.messages).toBeUndefined();
      expect(s.req.forceOutputLength).toBe(true);
      expect(s.req.maxTokens).toBe([10, 12, 5][i]);
      expect(simCount(prompts[i])).toBe([200, 300, 420][i]);
    }
    expect(prompts[1].startsWith(prompts[0])).toBe(true);
    expect(prompts[2].startsWith(prompts[1])).toBe(true);
    // Chat mode sends the same messages the template rendered.
    const chat = await runLane({ api: 'chat', tokenModel: SIM_COMPLETIONS }, 3);
    expect(chat.sent.map((s) => renderCompletionPrompt(s.req.messages!))).toEqual(prompts);
  });

  it('--history generated appends the server\'s text to the next prompt', async () => {
    const { sent } = await runLane({ history: 'generated' }, 2);
    expect(sent[0].req.keepOutputText).toBe(true);
    const gen = Array.from({ length: 10 }, (_, i) => `gen${i}`).join(' ');
    expect(sent[1].req.prompt!.startsWith(`${sent[0].req.prompt!}${gen}\n<|user|>\n`)).toBe(true);
    expect(simCount(sent[1].req.prompt!)).toBe(300);
  });

  it('--content recorded renders the recorded messages (marker after the system message) through the same template', async () => {
    const trajectories = loadTrajectories([resolve(FIX, 'content.jsonl')]).map((l) => l.trajectory);
    const steps = trajectories[0].agents[0].steps.filter((s): s is LlmStep => s.type === 'llm');
    const { sent, records } = await runLane({ trajectories, content: 'recorded' }, 4);
    const marker = cacheBustMarker(1, 0, 0);
    expect(records.map((r) => r.contentSource)).toEqual(['recorded', 'recorded', 'synthetic', 'recorded']);
    for (const i of [0, 1, 3]) expect(sent[i].req.prompt).toBe(renderCompletionPrompt(withMarker(recordedMessages(steps[i])!, marker)));
    expect(sent[0].req.prompt!).toMatch(/^<\|system\|>\n[^\n]+\n<\|user\|>\n\[rid:[0-9a-f]{12}\]\n\n/);
  });
});

describe('--api completions against the simulator over HTTP', () => {
  it('calibrates on /tokenize with a prompt, and a short level sends exact prompt sizes with prefix-cache hits (recorded and generated history)', async () => {
    const profile = loadProfile(resolve(FIX, 'fast.yaml'));
    const sim = await startSimServerInWorker({ profile, port: 0, seed: 4 });
    closers.push(() => sim.close());
    const target = await openTarget({ target: sim.url, api: 'completions', startEmbeddedSim: () => Promise.reject(new Error('not used')) });
    closers.push(() => target.close());
    expect(target.probe).toMatchObject({ ok: true, streamed: true, usagePresent: true, honoursForcedLength: true });
    expect(target.tokenModel).toEqual(SIM_COMPLETIONS);
    const trajectories = loadTrajectories([resolve(FIX, 'tiny.jsonl')]).map((l) => l.trajectory);
    for (const history of ['recorded', 'generated'] as const) {
      const o: SessionOptions = {
        target,
        trajectories,
        tiers: [{ sloTokPerS: 25, ttftCeilingMs: 2000 }],
        slo: { callPassFraction: 0.9, agentPassFraction: 0.95 },
        validity: { ...DEFAULT_VALIDITY, minWindowS: 0.5 },
        level: { warmupS: 0.2, windowS: 1.2, drainCapS: 0.4, warmupCapS: 10, toolTimeScale: 1, maxIdleGapMs: null, seed: 5, history, midStart: true, api: 'completions' },
        store: null,
        runId: 'test',
        sink: null,
        signal: new AbortController().signal,
      };
      const { report } = await runRealLevel(o, 3);
      expect(report.api).toBe('completions');
      expect(report.errors).toEqual({});
      // With chat-mode messages (3 template tokens per message on the sim) the counts would be off: zero error means /v1/completions got the template.
      expect(report.promptTokenError.synthetic.calls).toBeGreaterThan(0);
      expect(report.promptTokenError.maxPct).toBe(0);
      expect(report.cache.cachedTokens ?? 0).toBeGreaterThan(0);
    }
  });

  it('without /tokenize, calibrates from usage of max_tokens=1 probes on /v1/completions', async () => {
    const sim = await startSimServer({ profile: loadProfile(resolve(FIX, 'fast.yaml')), port: 0, seed: 2, disableTokenize: true });
    closers.push(() => sim.close());
    const target = await openTarget({ target: sim.url, api: 'completions', startEmbeddedSim: () => Promise.reject(new Error('not used')) });
    closers.push(() => target.close());
    expect(target.tokenModel).toEqual({ ...SIM_COMPLETIONS, source: 'usage-probe' });
  });
});
