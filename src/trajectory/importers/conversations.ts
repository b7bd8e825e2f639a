/**
 * Rebuild agents and sub-agents from a flat list of chat calls (the recording proxy, OpenAI chat
 * logs, Dynamo traces). An agent is identified by what the client sends (`agent_context`
 * program / parent / workflow ids) or, failing that, by the conversation itself: a request whose
 * messages extend an earlier request's messages continues that agent; any other request starts a
 * new agent, which is a sub-agent of an agent waiting on a tool call at that moment, else the root
 * of a new trajectory.
 */
import { createHash } from 'node:crypto';
import { TRAJECTORY_FORMAT, type AgentTrace, type LlmStep, type Trajectory, type TrajectorySource } from '../types.js';
import { buildAgent, estimateChatTokens, messageText, type CallRecord } from './common.js';

export interface AgentIdentity {
  workflowId?: string;
  programId?: string;
  parentProgramId?: string;
}

export interface ConversationCall {
  startMs: number;
  endMs: number;
  ttftMs?: number;
  /** Request messages; used for prefix matching (never stored unless `content` is set). */
  messages?: unknown[];
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
  finishReason?: string;
  /** Names of the tools the response asked for. */
  toolNames?: string[];
  identity?: AgentIdentity;
  requestId?: string;
  model?: string;
  /** System prompt size when the caller measured it (messages may be hashes only). */
  systemPromptTokens?: number;
  content?: LlmStep['content'];
}

export interface ConversationOptions {
  source: TrajectorySource;
  idPrefix: string;
}

interface AgentState {
  id: string;
  traj: number;
  parent: AgentState | null;
  calls: ConversationCall[];
  lastHashes: string[];
  programId?: string;
  /** Index in the parent's calls after which this agent was spawned. */
  spawnedAfter: number;
  children: AgentState[];
}

/** Stable per-message hash over the parts that identify a message. */
export function messageHash(m: unknown): string {
  const o = (m && typeof m === 'object' ? m : { content: m }) as Record<string, unknown>;
  const key = JSON.stringify([o.role ?? null, o.content ?? null, o.tool_calls ?? null, o.tool_call_id ?? null, o.name ?? null]);
  return createHash('sha1').update(key).digest('base64');
}

function isPrefix(a: string[], b: string[]): boolean {
  if (a.length === 0 || a.length >= b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const firstSystem = (msgs: unknown[] | undefined) => (msgs ?? []).find((m) => (m as { role?: string })?.role === 'system');

export function reconstructConversations(calls: ConversationCall[], opts: ConversationOptions): Trajectory[] {
  const sorted = [...calls].sort((a, b) => a.startMs - b.startMs);
  const agents: AgentState[] = [];
  const byProgram = new Map<string, AgentState>();
  const trajKeys = new Map<string, number>();
  let trajCount = 0;
  const perTraj = new Map<number, number>();
  const newAgent = (parent: AgentState | null, traj: number): AgentState => {
    const n = perTraj.get(traj) ?? 0;
    perTraj.set(traj, n + 1);
    const a: AgentState = {
      id: n === 0 ? 'main' : `sub-${n}`,
      traj,
      parent,
      calls: [],
      lastHashes: [],
      spawnedAfter: parent ? parent.calls.length - 1 : -1,
      children: [],
    };
    parent?.children.push(a);
    agents.push(a);
    return a;
  };
  const lastEnd = (a: AgentState) => a.calls[a.calls.length - 1]?.endMs ?? -Infinity;
  const waiting = (a: AgentState, at: number) => {
    const last = a.calls[a.calls.length - 1];
    return !!last && last.endMs <= at && (last.finishReason === 'tool_calls' || (last.toolNames?.length ?? 0) > 0);
  };

  for (const c of sorted) {
    const hashes = (c.messages ?? []).map(messageHash);
    let agent: AgentState | undefined;
    const pid = c.identity?.programId;
    if (pid) {
      agent = byProgram.get(pid);
      if (!agent) {
        const parent = c.identity?.parentProgramId ? byProgram.get(c.identity.parentProgramId) ?? null : null;
        let traj: number;
        if (parent) traj = parent.traj;
        else {
          const wk = c.identity?.workflowId ?? `program:${pid}`;
          traj = trajKeys.get(wk) ?? trajCount++;
          trajKeys.set(wk, traj);
        }
        agent = newAgent(parent, traj);
        agent.programId = pid;
        byProgram.set(pid, agent);
      }
    } else {
      let best: AgentState | undefined;
      for (const a of agents) {
        if (a.programId || lastEnd(a) > c.startMs) continue;
        if (isPrefix(a.lastHashes, hashes) && (!best || a.lastHashes.length > best.lastHashes.length)) best = a;
      }
      agent = best;
      if (!agent) {
        // A new conversation: a sub-agent of whoever is waiting on a tool call right now.
        let parent: AgentState | null = null;
        for (const a of agents) if (!a.programId && waiting(a, c.startMs) && (!parent || lastEnd(a) > lastEnd(parent))) parent = a;
        agent = newAgent(parent, parent ? parent.traj : trajCount++);
      }
    }
    agent.calls.push(c);
    agent.lastHashes = hashes;
  }

  const out: Trajectory[] = [];
  for (let t = 0; t < trajCount; t++) {
    const members = agents.filter((a) => a.traj === t);
    const traces: AgentTrace[] = [];
    let estimatedSystem = false;
    for (const a of members) {
      const recs: CallRecord[] = a.calls.map((c, i) => {
        const kids = a.children.filter((k) => k.spawnedAfter === i);
        const kidsEnd = kids.length ? Math.max(...kids.map((k) => lastEnd(k))) : undefined;
        return {
          inputTokens: c.inputTokens,
          outputTokens: c.outputTokens,
          cachedTokens: c.cachedTokens,
          ttftMs: c.ttftMs,
          durationMs: Math.max(0, c.endMs - c.startMs),
          startMs: c.startMs,
          endMs: c.endMs,
          tools: (c.toolNames ?? []).filter((n) => n).map((name) => ({ name })),
          spawn: kids.length ? { agents: kids.map((k) => k.id), join: 'all' as const } : undefined,
          spawnedWallMs: kidsEnd !== undefined ? Math.max(0, kidsEnd - c.endMs) : undefined,
          content: c.content,
        };
      });
      const sys = firstSystem(a.calls[0].messages);
      const given = a.calls[0].systemPromptTokens;
      const sysTokens = Math.min(given ?? (sys ? estimateChatTokens([sys]) : 0), a.calls[0].inputTokens);
      if (given !== undefined || sys) estimatedSystem = true;
      traces.push(buildAgent(a.id, a.parent ? a.parent.id : null, sysTokens, recs).agent);
    }
    const first = members[0].calls[0];
    const estimated = new Set(opts.source.estimated ?? []);
    if (estimatedSystem) estimated.add('system_prompt_tokens');
    const traj: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: `${opts.idPrefix}-${t + 1}`,
      source: { ...opts.source, ...(estimated.size ? { estimated: [...estimated] } : {}) },
      ...(first.model ? { model: first.model } : {}),
      agents: traces,
    };
    const reqIds = members.flatMap((a) => a.calls.map((c, i) => (c.requestId ? { agent: a.id, call: i, request_id: c.requestId } : null))).filter(Boolean);
    if (reqIds.length) (traj as Trajectory & { meta?: unknown }).meta = { request_ids: reqIds };
    out.push(traj);
  }
  return out;
}

export { messageText };
