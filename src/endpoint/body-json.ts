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
  json: string;
}

const cache = new WeakMap<object, Cached>();

function messageJson(m: unknown): string {
  if (m === null || typeof m !== 'object') return JSON.stringify(m) ?? 'null';
  const o = m as Record<string, unknown>;
  let keys = 0;
  for (const _k in o) keys++;
  if (keys !== 2 || typeof o.role !== 'string' || typeof o.content !== 'string') return JSON.stringify(o);
  const c = cache.get(o);
  if (c !== undefined && c.role === o.role && c.content === o.content) return c.json;
  const json = JSON.stringify(o);
  cache.set(o, { role: o.role, content: o.content, json });
  return json;
}

/** JSON.stringify(body), with body.messages (when an array) built from cached per-message JSON. */
export function stringifyBody(body: Record<string, unknown>): string {
  const msgs = body.messages;
  if (!Array.isArray(msgs)) return JSON.stringify(body);
  const rest = JSON.stringify({ ...body, messages: undefined }); // undefined drops the key
  const parts = new Array<string>(msgs.length);
  for (let i = 0; i < msgs.length; i++) parts[i] = messageJson(msgs[i]);
  const list = `"messages":[${parts.join(',')}]`;
  return rest === '{}' ? `{${list}}` : `${rest.slice(0, -1)},${list}}`;
}
