/**
 * What the recording proxy keeps: one ConversationCall per completed chat call, with messages
 * reduced to hashes (for prefix matching) unless content is kept. Headers are never seen here,
 * so API keys cannot reach the output.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { estimateChatTokens, messageHash, reconstructConversations, trajectoriesToJsonl, type ConversationCall, type Trajectory } from '../trajectory/index.js';

export interface RecordedExchange {
  startMs: number;
  endMs: number;
  ttftMs?: number;
  requestMessages: unknown[];
  responseMessage?: { content?: unknown; tool_calls?: { function?: { name?: string } }[]; [k: string]: unknown };
  finishReason?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null };
  model?: string;
  requestId?: string;
  agentContext?: { workflow_id?: unknown; program_id?: unknown; parent_program_id?: unknown };
}

const HASH_CACHE_CHARS = 64 * 1024 * 1024;

const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

export function callsToTrajectories(calls: ConversationCall[], idPrefix: string, estimated: boolean): Trajectory[] {
  if (!calls.length) return [];
  return reconstructConversations(calls, { idPrefix, source: { kind: 'proxy', ...(estimated ? { estimated: ['tokens'] } : {}) } });
}

/** Write + rename, so a reader never sees half a file. */
export async function writeTrajectoriesAsync(file: string, ts: Trajectory[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, trajectoriesToJsonl(ts));
  await rename(tmp, file);
}

export class Recorder {
  readonly calls: ConversationCall[] = [];
  /** Some call had no usage: tokens were estimated. */
  estimated = false;
  /** System-prompt token estimates by message hash: agents resend the same prompt every call, and tokenizing it is the dearest thing add() does. */
  private readonly sysTokens = new Map<string, number>();

  constructor(private readonly opts: { keepContent?: boolean; idPrefix?: string } = {}) {}

  /**
   * Message hashes by content string, then by the other hashed fields: an agent resends its whole
   * history every turn, and hashing it again (JSON + SHA-1 over tens of KiB) was the dearest part
   * of recording. Bounded by total content size (cleared past `HASH_CACHE_CHARS`).
   */
  private readonly hashCache = new Map<string, Map<string, string>>();
  private hashCacheChars = 0;

  private hash(m: unknown): string {
    const o = m as { role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown; name?: unknown } | null;
    if (!o || typeof o !== 'object' || typeof o.content !== 'string' || o.tool_calls != null) return messageHash(m);
    const k = (v: unknown) => (v == null ? '-' : typeof v === 'string' ? `s${v}` : undefined);
    const role = k(o.role);
    const name = k(o.name);
    const id = k(o.tool_call_id);
    if (role === undefined || name === undefined || id === undefined) return messageHash(m);
    const rest = `${role}\u0000${name}\u0000${id}`;
    let inner = this.hashCache.get(o.content);
    const hit = inner?.get(rest);
    if (hit !== undefined) return hit;
    const h = messageHash(m);
    if (!inner) {
      if (this.hashCacheChars + o.content.length > HASH_CACHE_CHARS) {
        this.hashCache.clear();
        this.hashCacheChars = 0;
      }
      inner = new Map();
      this.hashCache.set(o.content, inner);
      this.hashCacheChars += o.content.length;
    }
    inner.set(rest, h);
    return h;
  }

  add(x: RecordedExchange): void {
    const hashes = x.requestMessages.map((m) => this.hash(m));
    let sysKey = '';
    const sys: unknown[] = [];
    x.requestMessages.forEach((m, i) => {
      if ((m as { role?: string })?.role === 'system') {
        sys.push(m);
        sysKey += hashes[i];
      }
    });
    let systemPromptTokens = sys.length ? this.sysTokens.get(sysKey) : 0;
    if (systemPromptTokens === undefined) {
      systemPromptTokens = estimateChatTokens(sys);
      if (this.sysTokens.size >= 1000) this.sysTokens.clear();
      this.sysTokens.set(sysKey, systemPromptTokens);
    }
    let input = x.usage?.prompt_tokens;
    let output = x.usage?.completion_tokens;
    if (input === undefined || output === undefined) {
      // The upstream sent no usage: estimate, and say so in the trajectory.
      this.estimated = true;
      input ??= estimateChatTokens(x.requestMessages);
      output ??= estimateChatTokens(x.responseMessage ? [x.responseMessage] : []);
    }
    const cached = x.usage?.prompt_tokens_details?.cached_tokens;
    const ac = x.agentContext;
    this.calls.push({
      startMs: x.startMs,
      endMs: x.endMs,
      ttftMs: x.ttftMs,
      // Hashes only: enough to match prefixes, nothing to leak.
      messages: hashes,
      inputTokens: input,
      outputTokens: output,
      cachedTokens: typeof cached === 'number' ? cached : undefined,
      finishReason: x.finishReason,
      toolNames: (x.responseMessage?.tool_calls ?? []).map((t) => t.function?.name ?? 'tool'),
      identity: ac && s(ac.program_id) ? { programId: s(ac.program_id), workflowId: s(ac.workflow_id), parentProgramId: s(ac.parent_program_id) } : undefined,
      requestId: x.requestId,
      model: x.model,
      systemPromptTokens,
      content: this.opts.keepContent ? { messages: x.requestMessages, ...(x.responseMessage ? { response: x.responseMessage } : {}) } : undefined,
    });
  }

  trajectories(): Trajectory[] {
    return callsToTrajectories(this.calls, this.opts.idPrefix ?? 'proxy', this.estimated);
  }

  /** Rewrite the whole file (write + rename, so a reader never sees half a file). */
  writeTo(file: string): number {
    const ts = this.trajectories();
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, trajectoriesToJsonl(ts));
    renameSync(tmp, file);
    return ts.length;
  }

  /** writeTo without blocking on the disk (the periodic flush of a running proxy). */
  async writeToAsync(file: string): Promise<number> {
    const ts = this.trajectories();
    await writeTrajectoriesAsync(file, ts);
    return ts.length;
  }
}
