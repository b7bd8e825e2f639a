/**
 * Which known format a file's content looks like, from its first JSON value's keys. Used only for
 * hints ("this looks like mooncake: agentdyno import mooncake FILE"), never to pick an importer
 * silently: the user names the format and the importer checks it.
 */

const has = (o: Record<string, unknown>, ...keys: string[]) => keys.every((k) => k in o);

function fromObject(o: Record<string, unknown>): string | undefined {
  if (o.format === 'agentdyno.trajectory.v1') return 'agentdyno.trajectory.v1';
  if (typeof o.schema_version === 'string' && o.schema_version.startsWith('ATIF')) return 'harbor';
  if (has(o, 'input_length', 'output_length') || has(o, 'timestamp', 'hash_ids', 'input_length')) return 'mooncake';
  if (has(o, 'turn_id', 'messages') || (o.mode === 'single_user_agentic_replay' && Array.isArray(o.tasks))) return 'aa-replay';
  if (has(o, 'timestamp', 'type', 'payload')) return 'codex';
  if ((o.type === 'user' || o.type === 'assistant' || o.type === 'progress' || o.type === 'summary') && (has(o, 'sessionId') || has(o, 'uuid'))) return 'claude-code';
  if (has(o, 'request', 'response')) return 'openai-chat-log';
  if (has(o, 'agent_context') || o.event === 'request_end') return 'dynamo';
  if (Array.isArray(o.requests) && (has(o, 'block_size') || has(o, 'tool_tokens') || has(o, 'id'))) return 'weka';
  if ('trajectory_format' in o || (Array.isArray(o.messages) && has(o, 'info'))) return 'mini-swe-agent';
  if (Array.isArray(o.trajectory)) return 'swe-agent';
  if (Array.isArray(o.history)) return 'openhands';
  return undefined;
}

/** The format name the text looks like, or undefined. */
export function sniffFormat(text: string): string | undefined {
  const trimmed = text.trimStart();
  let first: unknown;
  try {
    first = JSON.parse(trimmed);
  } catch {
    const line = trimmed.split('\n', 1)[0];
    try {
      first = JSON.parse(line);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(first)) {
    const e = first.find((x) => x && typeof x === 'object') as Record<string, unknown> | undefined;
    if (!e) return undefined;
    if ('role' in e) return 'mini-swe-agent';
    if ('action' in e || 'observation' in e) return 'openhands';
    return undefined;
  }
  return first && typeof first === 'object' ? fromObject(first as Record<string, unknown>) : undefined;
}

/** A hint for a file that failed under `format`, naming the importer that fits when another one does. */
export function formatHint(format: string, text: string, file: string): string | undefined {
  const guess = sniffFormat(text);
  if (!guess || guess === format) return undefined;
  if (guess === 'agentdyno.trajectory.v1') return `${file} is already agentdyno.trajectory.v1: no import needed (check it with \`agentdyno trajectories validate ${file}\`).`;
  return `${file} looks like ${guess}, not ${format}: try \`agentdyno import ${guess} ${file} --out OUT.jsonl\`.`;
}
