/**
 * A hook the recording proxy calls before it forwards a model call (chat, Responses, Messages):
 * it may rewrite the body (clamp the output-token cap) or refuse the call, and it hears how the
 * call ended. The loop's command agent uses it to hold an agent CLI and its sub-agents to one
 * affine budget tree (loop/agents/command-gate.ts). Identity: `x-agentdyno-agent` /
 * `x-agentdyno-parent-agent` headers, else `nvext.agent_context`, else the conversation's opening
 * (system prompt + first user message): the first opening seen is the main agent, each new one a
 * sub-agent of it (how Claude Code's side chains and Task sub-agents look on the wire).
 */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import type { NormalizedRequest, WireApi } from '../endpoint/index.js';

export interface GateRequest {
  api: WireApi;
  body: Record<string, unknown>;
  request: NormalizedRequest;
  agent: string;
  parent: string | null;
}

/** chat-shaped usage, as the recorder keeps it. */
export interface GateUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

export interface GateTicket {
  /** ok: usage is what the server reported (null: none); failed: nothing was used; cut: unknown, count it all. */
  settle(outcome: 'ok' | 'failed' | 'cut', usage: GateUsage | null): void;
}

export type GateAnswer = { ok: true; body: Record<string, unknown>; ticket: GateTicket } | { ok: false; status: number; type: string; message: string };

export interface RequestGate {
  admit(r: GateRequest): Promise<GateAnswer>;
}

const text = (c: unknown): string => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('') : '');

/** Online sub-agent identity (the recorder rebuilds the same tree offline from message prefixes). */
export class AgentIdentifier {
  private readonly byOpening = new Map<string, string>();
  private main: string | null = null;
  private n = 0;

  /** `isMain`: tells the main agent's conversation apart (e.g. it carries the task prompt); default: the first opening seen. */
  constructor(private readonly isMain?: (n: NormalizedRequest) => boolean) {}

  identify(req: IncomingMessage, body: Record<string, unknown>, n: NormalizedRequest): { agent: string; parent: string | null } {
    const h = (k: string) => (typeof req.headers[k] === 'string' && req.headers[k] ? (req.headers[k] as string) : undefined);
    const nv = (body.nvext as { agent_context?: { program_id?: unknown; parent_program_id?: unknown } } | undefined)?.agent_context;
    // Codex CLI names its agents in x-codex-turn-metadata (agent_name "/root", "/root/<sub>").
    let codex: string | undefined;
    try {
      const meta = h('x-codex-turn-metadata');
      const name = meta ? (JSON.parse(meta) as { agent_name?: unknown }).agent_name : undefined;
      if (typeof name === 'string' && name) codex = name;
    } catch {
      /* not JSON: ignored */
    }
    if (codex && !h('x-agentdyno-agent')) {
      const agent = codex === '/root' ? 'main' : codex;
      const up = codex.slice(0, codex.lastIndexOf('/')) || null;
      this.main ??= 'main';
      return { agent, parent: agent === 'main' ? null : up === '/root' || up === null ? 'main' : up };
    }
    const named = h('x-agentdyno-agent') ?? (typeof nv?.program_id === 'string' ? nv.program_id : undefined);
    if (named) {
      const parent = h('x-agentdyno-parent-agent') ?? (typeof nv?.parent_program_id === 'string' ? nv.parent_program_id : undefined) ?? null;
      if (parent === null) this.main ??= named;
      return { agent: named, parent: parent ?? (this.main && this.main !== named ? this.main : null) };
    }
    const sys = n.messages.filter((m) => m.role === 'system').map((m) => text(m.content)).join('\n');
    const first = n.messages.find((m) => m.role === 'user');
    const key = createHash('sha1').update(sys).update('\u0000').update(first ? text(first.content) : '').digest('hex');
    let agent = this.byOpening.get(key);
    if (!agent) {
      const main = this.isMain ? this.isMain(n) : this.main === null;
      agent = main ? 'main' : `sub-${++this.n}`;
      this.main ??= 'main';
      this.byOpening.set(key, agent);
    }
    return { agent, parent: agent === 'main' ? null : 'main' };
  }
}
