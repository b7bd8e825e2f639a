/**
 * Claude Code session transcripts (`~/.claude/projects/<dir>/<sessionId>.jsonl`): one JSON per line;
 * assistant lines carry `message.usage` (input + cache creation + cache read = prompt size; cache
 * read = prefix hit), one API response may be written as several lines sharing `message.id`
 * (deduplicated). Sub-agents (Task/Agent tool) live in side files `agent-<agentId>.jsonl` (next to
 * the session file, or under `<sessionId>/subagents/`), linked through `progress` lines
 * (`data.agentId`, `parentToolUseID`) or `toolUseResult.agentId`.
 */
import { basename, dirname, join } from 'node:path';
import { TRAJECTORY_FORMAT, type AgentTrace, type Trajectory } from '../types.js';
import { buildAgent, EntryError, int, isoMs, obj, parallelToSequence, readJsonl, type CallRecord, type JsonlRecord } from './common.js';
import type { ImportContext, Importer } from './types.js';

/** Major versions this importer has seen; a newer one may have changed the transcript. */
const KNOWN_MAJOR = 2;

interface Call extends CallRecord {
  id: string;
  toolIds: string[];
  firstLine: number;
}

interface Parsed {
  calls: Call[];
  model?: string;
  sessionId?: string;
  /** tool_use id -> sub-agent id */
  spawns: Map<string, string>;
  inlineSide: Map<string, JsonlRecord[]>;
}

function parse(file: string, recs: JsonlRecord[]): Parsed {
  const calls: Call[] = [];
  const byMsgId = new Map<string, Call>();
  const toolAt = new Map<string, { call: Call; idx: number }>();
  const spawns = new Map<string, string>();
  const inlineSide = new Map<string, JsonlRecord[]>();
  let lastInputTs: number | undefined;
  let model: string | undefined;
  let sessionId: string | undefined;
  for (const rec of recs) {
    const { line, value: v } = rec;
    if (typeof v.version === 'string') {
      const major = Number(v.version.split('.')[0]);
      if (major > KNOWN_MAJOR) throw new EntryError(line, '$.version', `Claude Code ${v.version} is newer than this importer knows (up to ${KNOWN_MAJOR}.x); check the transcript format and update agentdyno`);
    }
    if (typeof v.type !== 'string') throw new EntryError(line, '$.type', 'missing: this is not a Claude Code transcript line');
    sessionId ??= typeof v.sessionId === 'string' ? v.sessionId : undefined;
    if (v.type === 'progress') {
      const d = v.data as { agentId?: string } | undefined;
      if (d?.agentId && typeof v.parentToolUseID === 'string') spawns.set(v.parentToolUseID, d.agentId);
      continue;
    }
    if (v.type !== 'user' && v.type !== 'assistant') continue;
    const ts = v.timestamp === undefined ? undefined : isoMs(v.timestamp, line, '$.timestamp');
    const msg = obj(v.message, line, '$.message');
    const content = Array.isArray(msg.content) ? (msg.content as Record<string, unknown>[]) : [];
    if (v.type === 'user') {
      for (const b of content) {
        if (b?.type !== 'tool_result' || typeof b.tool_use_id !== 'string') continue;
        const at = toolAt.get(b.tool_use_id);
        if (at && ts !== undefined && at.call.endMs !== undefined) {
          const t = at.call.tools![at.idx];
          t.durationMs = Math.max(0, ts - at.call.endMs);
          t.status = b.is_error === true ? 'error' : 'ok';
        }
        const res = v.toolUseResult as { agentId?: string } | undefined;
        if (res?.agentId) spawns.set(b.tool_use_id, res.agentId);
      }
      if (ts !== undefined) lastInputTs = ts;
      continue;
    }
    const id = typeof msg.id === 'string' ? msg.id : `line-${line}`;
    const usage = msg.usage === undefined ? undefined : obj(msg.usage, line, '$.message.usage');
    if (!usage) continue; // synthetic assistant lines (errors, interruptions) have no usage
    model ??= typeof msg.model === 'string' ? msg.model : undefined;
    const read = int(usage.cache_read_input_tokens ?? 0, line, '$.message.usage.cache_read_input_tokens');
    const input = int(usage.input_tokens, line, '$.message.usage.input_tokens') + int(usage.cache_creation_input_tokens ?? 0, line, '$.message.usage.cache_creation_input_tokens') + read;
    const output = int(usage.output_tokens, line, '$.message.usage.output_tokens');
    let call = byMsgId.get(id);
    if (!call) {
      call = { id, inputTokens: input, outputTokens: output, cachedTokens: read, startMs: lastInputTs, endMs: ts, tools: [], toolIds: [], firstLine: line };
      byMsgId.set(id, call);
      calls.push(call);
    } else {
      // The same response split over several lines repeats its usage: keep the largest counts.
      call.outputTokens = Math.max(call.outputTokens, output);
      call.inputTokens = Math.max(call.inputTokens, input);
      if (ts !== undefined) call.endMs = Math.max(call.endMs ?? ts, ts);
    }
    if (call.startMs !== undefined && call.endMs !== undefined) call.durationMs = Math.max(0, call.endMs - call.startMs);
    for (const b of content) {
      if (b?.type === 'tool_use' && typeof b.id === 'string' && !call.toolIds.includes(b.id)) {
        call.toolIds.push(b.id);
        call.tools!.push({ name: typeof b.name === 'string' ? b.name : 'tool' });
        toolAt.set(b.id, { call, idx: call.tools!.length - 1 });
      }
    }
    if (v.isSidechain === true && typeof v.agentId === 'string') {
      const l = inlineSide.get(v.agentId) ?? [];
      l.push(rec);
      inlineSide.set(v.agentId, l);
    }
  }
  return { calls, model, sessionId, spawns, inlineSide };
}

function sideFile(ctx: ImportContext, sessionId: string | undefined, agentId: string): string | undefined {
  const dir = dirname(ctx.file);
  for (const p of [join(dir, `agent-${agentId}.jsonl`), ...(sessionId ? [join(dir, sessionId, 'subagents', `agent-${agentId}.jsonl`)] : [])]) {
    const t = ctx.readFile(p);
    if (t !== undefined) return p;
  }
  return undefined;
}

export const claudeCodeImporter: Importer = {
  format: 'claude-code',
  description: 'Claude Code session JSONL, with sub-agent side chains agent-<id>.jsonl and cache-read tokens',
  entry: 'file',
  import(ctx) {
    const name = basename(ctx.file);
    const recs = readJsonl(ctx.file, ctx.text, ctx.problems);
    if (ctx.problems.some((p) => p.file === ctx.file)) throw new EntryError(ctx.problems.find((p) => p.file === ctx.file)!.line, '$', 'the transcript has unreadable lines (see above); a partial conversation is not imported');
    // A side chain named alongside its session file is imported as part of that session.
    if (name.startsWith('agent-')) {
      const sid = recs.find((r) => typeof r.value.sessionId === 'string')?.value.sessionId as string | undefined;
      if (sid && [...ctx.allFiles].some((f) => basename(f) === `${sid}.jsonl`)) return [];
    }
    const agents: AgentTrace[] = [];
    let estimatedTools = false;
    /** The sub-agent's transcript: its side file, else side-chain lines inline in the session. */
    const subOf = (parsed: Parsed, file: string, agentId: string): { sub: Parsed; file: string } | undefined => {
      const side = sideFile(ctx, parsed.sessionId, agentId);
      if (side) {
        const probs: typeof ctx.problems = [];
        const srecs = readJsonl(side, ctx.readFile(side)!, probs);
        if (probs.length) throw new EntryError(probs[0].line, probs[0].field, `${side}: ${probs[0].message}`);
        const sub = parse(side, srecs);
        return sub.calls.length ? { sub, file: side } : undefined;
      }
      const inline = parsed.inlineSide.get(agentId);
      if (inline) {
        const sub = parse(file, inline);
        return sub.calls.length ? { sub, file } : undefined;
      }
      return undefined;
    };
    const visit = (parsed: Parsed, id: string, parent: string | null, file: string, depth: number) => {
      if (!parsed.calls.length) throw new EntryError(0, '$', `${file}: no assistant lines with message.usage: not a Claude Code transcript, or an empty session`);
      const children: { agentId: string; sub: Parsed; file: string }[] = [];
      for (const c of parsed.calls) {
        const kids: string[] = [];
        const keep: boolean[] = [];
        c.toolIds.forEach((tid, k) => {
          const aid = parsed.spawns.get(tid);
          if (!aid || depth > 4) return void keep.push(true);
          const found = subOf(parsed, file, aid);
          if (!found) {
            // Keep the call as the tool wait it was (its recorded duration), and say so.
            ctx.leftOut.push({ what: `sub-agent ${aid} (${basename(file)}:${c.firstLine})`, why: `no transcript: agent-${aid}.jsonl is not next to ${basename(file)} nor under ${parsed.sessionId ?? '<sessionId>'}/subagents/; replayed as a ${c.tools![k].name} tool wait of its recorded time` });
            return void keep.push(true);
          }
          kids.push(`agent-${aid}`);
          children.push({ agentId: aid, ...found });
          keep.push(false); // the sub-agent replaces the tool step
        });
        c.tools = c.tools!.filter((_, k) => keep[k] !== false);
        // Parallel tool_use blocks: each result timed from the call's end, so the waits overlap.
        if (c.tools.length > 1) c.tools = parallelToSequence(c.tools);
        if (kids.length) c.spawn = { agents: kids, join: 'all' };
        for (const t of c.tools) if (t.durationMs === undefined) estimatedTools = true;
      }
      const sys = parsed.calls[0].cachedTokens ?? 0;
      const built = buildAgent(id, parent, sys, parsed.calls).agent;
      if (parent !== null && parsed.model) built.model = parsed.model;
      agents.push(built);
      for (const ch of children) visit(ch.sub, `agent-${ch.agentId}`, id, ch.file, depth + 1);
    };
    // In a session file, inline side-chain lines belong to sub-agents; an agent-*.jsonl alone is its own root.
    const main = parse(ctx.file, recs.filter((r) => name.startsWith('agent-') || r.value.isSidechain !== true));
    const mainInline = parse(ctx.file, recs.filter((r) => r.value.isSidechain === true));
    main.inlineSide = mainInline.inlineSide;
    visit(main, 'main', null, ctx.file, 0);
    const estimated = ['system_prompt_tokens', ...(estimatedTools ? ['timings'] : [])];
    if (ctx.keepContent) ctx.leftOut.push({ what: 'message content', why: 'Claude Code transcripts do not record the system prompt or tool definitions, so no call\'s prompt can be rebuilt as sent; counts are kept' });
    const t: Trajectory = {
      format: TRAJECTORY_FORMAT,
      id: main.sessionId ?? name.replace(/\.jsonl$/, ''),
      source: { kind: 'claude-code', estimated },
      ...(main.model ? { model: main.model } : {}),
      agents,
    };
    return [t];
  },
};
