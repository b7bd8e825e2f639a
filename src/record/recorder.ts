/**
 * What the recording proxy keeps: one ConversationCall per completed chat call, with messages
 * reduced to hashes (for prefix matching) unless content is kept. Headers are never seen here,
 * so API keys cannot reach the output.
 */
import { writeFileSync, renameSync } from 'node:fs';
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

const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

export class Recorder {
  readonly calls: ConversationCall[] = [];
  private estimated = false;

  constructor(private readonly opts: { keepContent?: boolean; idPrefix?: string } = {}) {}

  add(x: RecordedExchange): void {
    const sys = x.requestMessages.filter((m) => (m as { role?: string })?.role === 'system');
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
      messages: x.requestMessages.map(messageHash),
      inputTokens: input,
      outputTokens: output,
      cachedTokens: typeof cached === 'number' ? cached : undefined,
      finishReason: x.finishReason,
      toolNames: (x.responseMessage?.tool_calls ?? []).map((t) => t.function?.name ?? 'tool'),
      identity: ac && s(ac.program_id) ? { programId: s(ac.program_id), workflowId: s(ac.workflow_id), parentProgramId: s(ac.parent_program_id) } : undefined,
      requestId: x.requestId,
      model: x.model,
      systemPromptTokens: sys.length ? estimateChatTokens(sys) : 0,
      content: this.opts.keepContent ? { messages: x.requestMessages, ...(x.responseMessage ? { response: x.responseMessage } : {}) } : undefined,
    });
  }

  trajectories(): Trajectory[] {
    if (!this.calls.length) return [];
    return reconstructConversations(this.calls, {
      idPrefix: this.opts.idPrefix ?? 'proxy',
      source: { kind: 'proxy', ...(this.estimated ? { estimated: ['tokens'] } : {}) },
    });
  }

  /** Rewrite the whole file (write + rename, so a reader never sees half a file). */
  writeTo(file: string): number {
    const ts = this.trajectories();
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, trajectoriesToJsonl(ts));
    renameSync(tmp, file);
    return ts.length;
  }
}
