/**
 * Removes secrets from a config before it is stored or printed (DESIGN 8: secrets never reach the
 * store, logs or reports). Keys are matched by name; values that look like bearer tokens or URLs
 * carrying a password are masked as well, and so is any secret this process registered (an API
 * key read from env, wherever it is echoed).
 */
import { REDACTED, redactSecrets } from '../core/index.js';
const SECRET_KEY = /(api[-_]?key|apikey|secret|passw(or)?d|passwd|pwd|authorization|auth[-_]?token|access[-_]?token|refresh[-_]?token|bearer|credential|private[-_]?key|cookie|^token$|[-_]token$)/i;

export { REDACTED };

/** Keys that name where a secret lives (`bmcPasswordFile`, `apiKeyEnv`) are provenance, not secrets. */
const REFERENCE_KEY = /(file|path|env|var)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE_KEY.test(key);
}

/** Registered secrets (env keys, URL passwords) and secret shapes masked; see core/secrets.ts. */
export function redactString(s: string): string {
  return redactSecrets(s);
}

/** Deep copy of `value` with secret-looking keys replaced by `[redacted]` (the key is kept so readers know it was set). */
export function redact<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return redactString(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  if (v instanceof Date) return v.toISOString();
  // `seen` holds the current path only: an object shared by two fields is not a cycle.
  seen.add(v);
  let out: unknown;
  if (Array.isArray(v)) out = v.map((x) => walk(x, seen));
  else {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (isSecretKey(k) && x !== null && x !== undefined && x !== '') o[k] = REDACTED;
      else o[k] = walk(x, seen);
    }
    out = o;
  }
  seen.delete(v);
  return out;
}
