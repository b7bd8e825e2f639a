/**
 * Request-body serialization with each chat message's JSON cached. A replayed agent's prompt grows
 * append-only (src/replay/prompt.ts shares its message objects across calls), so re-serializing the
 * whole history for every call (JSON.stringify escape-scans ~100 KB for a 27K-token prompt) is work
 * on the event loop that reads tokens. Each message's JSON is cached on the object and reused only
 * while its role and content are the same strings (a message changed in place is serialized anew)
 * and it has no other fields (tool calls and the like are always serialized fresh).
 */
interface Cached {
  role: unknown;
  content: unknown;
  /** The message's JSON, UTF-8 encoded once (writes and concatenation are then memcpy). */
  bytes: Buffer;
}

const cache = new WeakMap<object, Cached>();

function messageBytes(m: unknown): Buffer {
  if (m === null || typeof m !== 'object') return Buffer.from(JSON.stringify(m) ?? 'null');
  const o = m as Record<string, unknown>;
  let keys = 0;
  for (const _k in o) keys++;
  if (keys !== 2 || typeof o.role !== 'string' || typeof o.content !== 'string') return Buffer.from(JSON.stringify(o));
  const c = cache.get(o);
  if (c !== undefined && c.role === o.role && c.content === o.content) return c.bytes;
  const bytes = Buffer.from(JSON.stringify(o));
  cache.set(o, { role: o.role, content: o.content, bytes });
  return bytes;
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/**
 * The UTF-8 bytes of JSON.stringify(body) as a list of buffers (body.messages, when an array, from
 * cached per-message bytes): the net transport writes them as one writev, undici gets their concat.
 */
export function encodeBody(body: Record<string, unknown>): Buffer[] {
  const msgs = body.messages;
  if (!Array.isArray(msgs)) return [Buffer.from(JSON.stringify(body))];
  const rest = JSON.stringify({ ...body, messages: undefined }); // undefined drops the key
  const out: Buffer[] = [Buffer.from(rest === '{}' ? '{"messages":[' : `${rest.slice(0, -1)},"messages":[`)];
  for (let i = 0; i < msgs.length; i++) {
    if (i > 0) out.push(COMMA);
    out.push(messageBytes(msgs[i]));
  }
  out.push(CLOSE);
  return out;
}

/** JSON.stringify(body) as one string (same bytes as encodeBody). */
export function stringifyBody(body: Record<string, unknown>): string {
  return Buffer.concat(encodeBody(body)).toString('utf8');
}
