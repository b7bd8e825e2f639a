/**
 * Removes secrets from a config before it is stored or printed (DESIGN 8: secrets never reach the
 * store, logs or reports). Keys are matched by name; values that look like bearer tokens or URLs
 * carrying a password are masked as well.
 */
const SECRET_KEY = /(api[-_]?key|apikey|secret|passw(or)?d|passwd|pwd|authorization|auth[-_]?token|access[-_]?token|refresh[-_]?token|bearer|credential|private[-_]?key|cookie|^token$|[-_]token$)/i;

export const REDACTED = '[redacted]';

/** Keys that name where a secret lives (`bmcPasswordFile`, `apiKeyEnv`) are provenance, not secrets. */
const REFERENCE_KEY = /(file|path|env|var)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE_KEY.test(key);
}

function redactString(s: string): string {
  // user:password@host in URLs
  let out = s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]+)@/gi, `$1$2:${REDACTED}@`);
  out = out.replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`);
  // Common provider key shapes (sk-..., hf_...).
  out = out.replace(/\b(sk-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{16,})\b/g, REDACTED);
  return out;
}

/** Deep copy of `value` with secret-looking keys replaced by `[redacted]` (the key is kept so readers know it was set). */
export function redact<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return redactString(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => walk(x, seen));
  if (v instanceof Date) return v.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (isSecretKey(k) && x !== null && x !== undefined && x !== '') out[k] = REDACTED;
    else out[k] = walk(x, seen);
  }
  return out;
}
