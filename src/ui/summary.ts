/**
 * One-line summary of a stored run result for `results list`. Producers that want a specific line
 * put a `summary` string in their result; otherwise the first few scalar fields are shown.
 */
export function resultSummary(result: unknown, maxLen = 60): string {
  if (result === null || result === undefined) return '';
  if (typeof result !== 'object') return clip(String(result), maxLen);
  const r = result as Record<string, unknown>;
  if (typeof r.summary === 'string') return clip(r.summary, maxLen);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number') parts.push(`${k}=${Number.isInteger(v) ? v : v.toPrecision(3)}`);
    else if (typeof v === 'string' && v.length <= 24) parts.push(`${k}=${v}`);
    else if (typeof v === 'boolean') parts.push(`${k}=${v}`);
    if (parts.length >= 4) break;
  }
  return clip(parts.join(' '), maxLen);
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}

/** ISO timestamp to `YYYY-MM-DD HH:MM:SS` (UTC), for tables. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}
