/**
 * Scripted playback (`sim serve --script SESSION`): answer each request with the recorded
 * assistant turn of a trajectory kept with content, so a real agent client can be driven through a
 * deterministic session without a model. Matching is by conversation position, and stateless (so
 * parallel sub-agents and retries are fine): the agent is the one whose recorded first request
 * starts like this one (its system prompt and first user message; or the `x-agentdyno-agent`
 * header naming a recorded agent id), and the turn is the number of assistant messages already in
 * the request (an opening that differs only in the first user message still picks the agent with
 * that system prompt, when only one has it). A request no turn fits is answered 400 `script_divergence` naming the agent and turn.
 * `strict` also requires every earlier message to equal the recorded one (tool results included).
 */
import type { Trajectory, LlmStep } from '../../trajectory/index.js';
import type { WireMessage } from '../../endpoint/index.js';
import { AgentdynoError } from '../../core/index.js';
import { HttpError } from './completion.js';

export interface ScriptTurn {
  agent: string;
  /** 0-based llm call of that agent. */
  turn: number;
  step: LlmStep;
  /** The assistant message to send back (text, tool calls, reasoning). */
  reply: WireMessage;
  /** The request messages the recording saw (chat model), when kept. */
  request: WireMessage[] | null;
}

export interface SimScript {
  id: string;
  agents: { id: string; turns: ScriptTurn[] }[];
}

export interface ScriptOptions {
  /** Also compare the text of every earlier message (default: roles and positions only). */
  strict?: boolean;
  /** Multiply recorded ttft/duration (0 = as fast as possible; default 1). */
  timeScale?: number;
}

const text = (c: unknown): string => {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p: any) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
};

/** The assistant reply a step's content records (proxy: `response`; importers: `output` text or `response`). */
function replyOf(step: LlmStep): WireMessage | null {
  const c = step.content;
  if (!c) return null;
  const r = c.response as Partial<WireMessage> | undefined;
  if (r && typeof r === 'object') {
    const calls = Array.isArray(r.tool_calls)
      ? r.tool_calls.map((t: any, i: number) => ({ id: String(t.id ?? `call_${i}`), type: 'function' as const, function: { name: String(t.function?.name ?? 'tool'), arguments: typeof t.function?.arguments === 'string' ? t.function.arguments : JSON.stringify(t.function?.arguments ?? {}) } }))
      : undefined;
    return { role: 'assistant', content: typeof r.content === 'string' ? r.content : r.content == null ? null : text(r.content), ...(calls?.length ? { tool_calls: calls } : {}), ...(typeof r.reasoning_content === 'string' ? { reasoning_content: r.reasoning_content } : {}) };
  }
  if (typeof c.output === 'string') return { role: 'assistant', content: c.output };
  return null;
}

/** Build the script; refuses a trajectory whose llm steps lack what playback needs, naming the first such step. */
export function buildScript(t: Trajectory): SimScript {
  const agents = t.agents.map((a) => {
    const turns: ScriptTurn[] = [];
    a.steps.forEach((s, i) => {
      if (s.type !== 'llm') return;
      const reply = replyOf(s);
      if (!reply)
        throw new AgentdynoError(`trajectory ${t.id} agent ${a.id} step ${i} has no recorded assistant reply (content.response or content.output), so it cannot be played back`, { code: 'E_TRAJECTORY_INVALID', where: `${t.id}: agents[${a.id}].steps[${i}].content`, hint: 'Script a trajectory kept with content: agentdyno record --keep-content, or an importer that keeps the assistant turns.' });
      const req = Array.isArray(s.content?.messages) ? (s.content!.messages as WireMessage[]) : null;
      turns.push({ agent: a.id, turn: turns.length, step: s, reply, request: req });
    });
    return { id: a.id, turns };
  });
  return { id: t.id, agents };
}

const opening = (msgs: readonly WireMessage[]): string => {
  const sys = msgs.filter((m) => m.role === 'system').map((m) => text(m.content)).join('\n');
  const user = msgs.find((m) => m.role === 'user');
  return `${sys}\u0000${user ? text(user.content) : ''}`;
};

function divergence(msg: string): HttpError {
  return new HttpError(400, `agentdyno sim --script: ${msg}`, 'script_divergence');
}

/** The recorded turn answering `messages` (or a 400 script_divergence naming where it parted). */
export function matchTurn(script: SimScript, messages: readonly WireMessage[], agentHeader: string | undefined, o: ScriptOptions = {}): ScriptTurn {
  let agent = agentHeader ? script.agents.find((a) => a.id === agentHeader) : undefined;
  if (!agent) {
    // Exact opening first; else the system prompt alone (an agent's task prompt may change between runs).
    const key = opening(messages);
    const sys = key.split('\u0000')[0];
    const withReq = script.agents.filter((a) => a.turns[0]?.request);
    const fits = withReq.filter((a) => opening(a.turns[0].request!) === key);
    const bySystem = withReq.filter((a) => opening(a.turns[0].request!).split('\u0000')[0] === sys);
    agent = fits[0] ?? (bySystem.length === 1 ? bySystem[0] : undefined) ?? (script.agents.length === 1 ? script.agents[0] : undefined);
    if (!agent)
      throw divergence(`no recorded agent of script ${script.id} starts with this request's system prompt and first user message (agents: ${script.agents.map((a) => a.id).join(', ')}); send x-agentdyno-agent: <id> to pick one`);
  }
  const turn = messages.filter((m) => m.role === 'assistant').length;
  const t = agent.turns[turn];
  if (!t) throw divergence(`agent ${agent.id} has ${agent.turns.length} recorded turn(s); this request is turn ${turn + 1} (it carries ${turn} assistant message(s))`);
  if (t.request) {
    const want = t.request;
    if (want.length !== messages.length)
      throw divergence(`agent ${agent.id} turn ${turn + 1}: recorded request had ${want.length} messages, this one has ${messages.length}`);
    for (let i = 0; i < want.length; i++) {
      if (want[i].role !== messages[i].role) throw divergence(`agent ${agent.id} turn ${turn + 1}: message ${i + 1} is ${messages[i].role}, recorded ${want[i].role}`);
      if (o.strict && text(want[i].content) !== text(messages[i].content))
        throw divergence(`agent ${agent.id} turn ${turn + 1}: message ${i + 1} (${want[i].role}) differs from the recording: got ${JSON.stringify(text(messages[i].content).slice(0, 80))}, recorded ${JSON.stringify(text(want[i].content).slice(0, 80))}`);
    }
  }
  return t;
}

/** Chat chunk pieces of a reply: reasoning words, then answer words, then tool-argument pieces. */
export function replyPieces(reply: WireMessage): { kind: 'reasoning' | 'content' | 'tool'; text: string; call?: number }[] {
  const words = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];
  const out: { kind: 'reasoning' | 'content' | 'tool'; text: string; call?: number }[] = [];
  for (const w of words(reply.reasoning_content ?? '')) out.push({ kind: 'reasoning', text: w });
  for (const w of words(reply.content ?? '')) out.push({ kind: 'content', text: w });
  (reply.tool_calls ?? []).forEach((c, i) => {
    const a = c.function.arguments;
    if (!a) out.push({ kind: 'tool', text: '', call: i });
    for (let j = 0; j < a.length; j += 16) out.push({ kind: 'tool', text: a.slice(j, j + 16), call: i });
  });
  return out;
}
