import { randomBytes } from 'node:crypto';

/** Sortable, human-friendly run id: `<kind>-YYYYMMDD-HHMMSS-xxxx` (UTC). */
export function newRunId(kind = 'run', now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}
