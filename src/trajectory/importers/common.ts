/**
 * Shared pieces of the importers: problems located by file/line/field, JSON(L) reading, token
 * estimation for messages-only formats, and the builder that turns a list of model calls (and the
 * gaps between them) into one agent's steps.
 */
import { countTokens } from 'gpt-tokenizer';
import type { AgentTrace, LlmStep, Step } from '../types.js';

/** Tool duration used when a format records no timing at all (documented in `agentdyno import --help`). */
export const DEFAULT_TOOL_MS = 1000;

/** One thing wrong with one entry of an input file. `line` is 1-based; 0 = the whole file. */
export interface ImportProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export function formatImportProblem(p: ImportProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.field}: ${p.message}`;
}

/** Thrown inside an importer for one entry; the driver turns it into an ImportProblem. */
export class EntryError extends Error {
  constructor(readonly line: number, readonly field: string, message: string) {
    super(message);
  }
}

export interface JsonlRecord {
  line: number;
  value: Record<string, unknown>;
}

/**
 * Parse JSON Lines. A line that is not JSON becomes a problem; an unparseable LAST line is reported
 * as a truncated log (the common way a still-running tool leaves its file).
 */
export function readJsonl(file: string, text: string, problems: ImportProblem[]): JsonlRecord[] {
  const out: JsonlRecord[] = [];
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  for (let i = 0; i <= last; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    try {
      const v = JSON.parse(raw) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        problems.push({ file, line: i + 1, field: '$', message: 'expected a JSON object on this line' });
        continue;
      }
      out.push({ line: i + 1, value: v as Record<string, unknown> });
    } catch (e) {
      const truncated = i === last && !text.endsWith('\n') ? ' (the file looks truncated: the last line is cut off)' : '';
      // A first line that is not JSON means the whole file is something else: one error, not one per line.
      if (out.length === 0 && problems.length === 0 && i < last) {
        throw new EntryError(i + 1, '$', `not JSON Lines (the first line is not a JSON object: ${(e as Error).message}); is this file really this format?`);
      }
      problems.push({ file, line: i + 1, field: '$', message: `not valid JSON: ${(e as Error).message}${truncated}` });
    }
  }
  return out;
}

/** Parse a whole-file JSON document; a parse failure names the line where it broke. */
export function readJsonDoc(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : text.split('\n').length;
    throw new EntryError(line, '$', `not valid JSON: ${(e as Error).message}${text.trimEnd().endsWith('}') || text.trimEnd().endsWith(']') ? '' : ' (the file looks truncated)'}`);
  }
}

// ---- typed field access that fails with the field's path ----

export function obj(v: unknown, line: number, field: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new EntryError(line, field, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}
export function arr(v: unknown, line: number, field: string): unknown[] {
  if (!Array.isArray(v)) throw new EntryError(line, field, `expected an array, got ${describe(v)}`);
  return v;
}
export function num(v: unknown, line: number, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new EntryError(line, field, `expected a non-negative number, got ${describe(v)}`);
  return v;
}
export function int(v: unknown, line: number, field: string): number {
  return Math.round(num(v, line, field));
}
export function optNum(v: unknown, line: number, field: string): number | undefined {
  return v === undefined || v === null ? undefined : num(v, line, field);
}
export function str(v: unknown, line: number, field: string): string {
  if (typeof v !== 'string' || v === '') throw new EntryError(line, field, `expected a non-empty string, got ${describe(v)}`);
  return v;
}
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

/** Reject keys a format does not define: a sign of a newer tool version or the wrong format. */
export function knownKeys(o: Record<string, unknown>, known: readonly string[], line: number, prefix: string, tool: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new EntryError(line, `${prefix}.${k}`, `unknown field (known: ${known.join(', ')}); the file may come from a newer ${tool} version or be another format`);
    }
  }
}

export function isoMs(v: unknown, line: number, field: string): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new EntryError(line, field, `expected an ISO timestamp, got ${describe(v)}`);
  return t;
}

// ---- token estimation (messages-only formats) ----

/** Text of a chat message's content in any of the common shapes (string, parts, tool calls). */
export function messageText(m: unknown): string {
  if (m === null || m === undefined) return '';
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.map(messageText).join('\n');
  if (typeof m !== 'object') return String(m);
  const o = m as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of ['content', 'text', 'thinking', 'arguments', 'input', 'output', 'tool_calls', 'function']) {
    if (o[k] !== undefined) parts.push(typeof o[k] === 'string' ? (o[k] as string) : k === 'input' ? JSON.stringify(o[k]) : messageText(o[k]));
  }
  return parts.join('\n');
}

/** cl100k/o200k-style count (gpt-tokenizer); an estimate for any other model's tokenizer. */
export function estimateTokens(text: string): number {
  return text ? countTokens(text) : 0;
}

/** Chat prompt size: content tokens plus the usual 4 tokens of framing per message and 3 per request. */
export function estimateChatTokens(messages: unknown[]): number {
  let n = 3;
  for (const m of messages) n += 4 + estimateTokens(messageText(m));
  return n;
}

// ---- building an agent from its calls ----

export interface ToolUse {
  name: string;
  /** Recorded (or derived from recorded timestamps) duration; undefined = the documented default. */
  durationMs?: number;
  status?: string;
  resultTokens?: number;
}

/** One model call in an agent, with what happened after it. */
export interface CallRecord {
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
  hashIds?: number[];
  blockSize?: number;
  ttftMs?: number;
  durationMs?: number;
  /** Wall-clock start / end (ms), when the format records them. */
  startMs?: number;
  endMs?: number;
  /** Tools the call asked for (run after it). */
  tools?: ToolUse[];
  /** Sub-agents started after this call. */
  spawn?: { agents: string[]; join: 'all' | 'none' };
  /** Sub-agents' wall time (ms) to take out of the gap before the next call. */
  spawnedWallMs?: number;
  /** Recorded idle time before the NEXT call that is not tool time (e.g. user think time). */
  thinkAfterMs?: number;
  content?: LlmStep['content'];
  /** Recorded send time after the trajectory's start (request-level traces). */
  offsetMs?: number;
  /** Step fields that are estimated, e.g. ["input_tokens"] (labelled on the step, counted in the fidelity summary). */
  estimated?: string[];
  /** Tokens appended since the previous call, when the format lets the importer measure them (else implied from the counts). */
  newInputTokens?: number;
}

export interface BuildResult {
  agent: AgentTrace;
  /** True when some tool duration had to be the documented default. */
  defaultedTimings: boolean;
}

// To the nanosecond: recorded durations (AgentPerf records ns) survive; float noise from subtracting timestamps does not.
const round = (x: number) => Math.max(0, Math.round(x * 1e6) / 1e6);

/**
 * Steps of one agent: llm, then (spawn), then tool steps for the tools it asked for, then think.
 * Tool time comes from the tools' own durations, else the wall gap to the next call, else the
 * default. A gap after a call that asked for no tool is think time (the user, or the harness).
 */
export function buildAgent(id: string, parent: string | null, systemPromptTokens: number, calls: CallRecord[]): BuildResult {
  const steps: Step[] = [];
  let defaulted = false;
  let prevEnd = 0; // prompt + output of the previous call
  calls.forEach((c, i) => {
    const input = Math.max(0, Math.round(c.inputTokens));
    const step: LlmStep = { type: 'llm', input_tokens: input, output_tokens: Math.max(0, Math.round(c.outputTokens)) };
    step.new_input_tokens =
      c.newInputTokens !== undefined ? Math.min(input, Math.max(0, Math.round(c.newInputTokens)))
      : i === 0 ? Math.max(0, input - Math.min(systemPromptTokens, input)) : Math.max(0, Math.min(input, input - prevEnd));
    if (c.cachedTokens !== undefined) step.cached_tokens = Math.min(input, Math.max(0, Math.round(c.cachedTokens)));
    if (c.hashIds && c.blockSize) {
      step.hash_ids = c.hashIds.slice(0, Math.ceil(input / c.blockSize));
      step.block_size = c.blockSize;
    }
    if (c.ttftMs !== undefined) step.ttft_ms = round(c.ttftMs);
    if (c.durationMs !== undefined) step.duration_ms = round(c.durationMs);
    if (c.offsetMs !== undefined) step.offset_ms = round(c.offsetMs);
    if (c.estimated?.length) step.estimated = [...new Set(c.estimated)];
    if (c.content) step.content = c.content;
    steps.push(step);
    prevEnd = input + step.output_tokens;
    if (c.spawn && c.spawn.agents.length) steps.push({ type: 'spawn', agents: c.spawn.agents, join: c.spawn.join });

    const next = calls[i + 1];
    const end = c.endMs ?? (c.startMs !== undefined && c.durationMs !== undefined ? c.startMs + c.durationMs : undefined);
    let gap = next?.startMs !== undefined && end !== undefined ? Math.max(0, next.startMs - end - (c.spawnedWallMs ?? 0)) : undefined;
    if (c.thinkAfterMs !== undefined && gap !== undefined) gap = Math.max(0, gap - c.thinkAfterMs);
    const tools = c.tools ?? [];
    if (tools.length) {
      const unknown = tools.filter((t) => t.durationMs === undefined).length;
      const knownSum = tools.reduce((s, t) => s + (t.durationMs ?? 0), 0);
      const share = unknown ? (gap !== undefined ? Math.max(0, gap - knownSum) / unknown : undefined) : 0;
      for (const t of tools) {
        let d = t.durationMs ?? share;
        let isDefault = false;
        if (d === undefined) {
          d = DEFAULT_TOOL_MS;
          defaulted = true;
          isDefault = true;
        }
        steps.push({
          type: 'tool',
          name: t.name || 'tool',
          duration_ms: round(d),
          ...(t.resultTokens !== undefined ? { result_tokens: Math.max(0, Math.round(t.resultTokens)) } : {}),
          ...(t.status ? { status: t.status } : {}),
          ...(isDefault ? { estimated: ['duration_ms'] } : {}),
        });
      }
    } else if (gap !== undefined && gap > 0 && next) {
      steps.push({ type: 'think', duration_ms: round(gap) });
    }
    if (c.thinkAfterMs && next) steps.push({ type: 'think', duration_ms: round(c.thinkAfterMs) });
  });
  // A system prompt cannot be larger than the first prompt that contains it (estimates can overshoot).
  const firstInput = calls.length ? Math.max(0, Math.round(calls[0].inputTokens)) : 0;
  const sys = Math.min(Math.max(0, Math.round(systemPromptTokens)), calls.length ? firstInput : Infinity);
  return { agent: { id, parent, system_prompt_tokens: sys, steps }, defaultedTimings: defaulted };
}

/**
 * Tools a call started together (parallel tool calls) whose durations were each measured from the
 * call's end to their own result: replayed one after another, their waits would add up. Reorder them
 * by completion and make each wait the increment since the previous result, so the sum is the wall
 * time to the last result (as recorded) rather than the sum of overlapping times.
 */
export function parallelToSequence(tools: ToolUse[]): ToolUse[] {
  const timed = tools.filter((t) => t.durationMs !== undefined).sort((a, b) => a.durationMs! - b.durationMs!);
  let prev = 0;
  for (const t of timed) {
    const d = t.durationMs!;
    t.durationMs = d - prev;
    prev = d;
  }
  return [...timed, ...tools.filter((t) => t.durationMs === undefined)];
}

/** Agent ids must be unique within a trajectory and non-empty. */
export function agentIdFor(raw: string, taken: Set<string>): string {
  let id = raw || 'agent';
  for (let k = 2; taken.has(id); k++) id = `${raw}-${k}`;
  taken.add(id);
  return id;
}
