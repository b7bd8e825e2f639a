/**
 * One-line summary of a stored run result for `results list`. Producers that want a specific line
 * put a `summary` string in their result; otherwise the first few scalar fields are shown.
 */
export function resultSummary(result: unknown, maxLen = 60): string {
  if (result === null || result === undefined) return '';
  if (typeof result !== 'object') return clip(String(result), maxLen);
  const r = result as Record<string, unknown>;
  if (typeof r.summary === 'string') return clip(r.summary, maxLen);
  // Suites and EFC fits (agentdyno.run.v1): their headline, not their first scalar fields.
  const sum = r.summary as { tasks?: unknown; succeeded?: unknown; meanNormalizedScore?: unknown } | undefined;
  if (sum && typeof sum.tasks === 'number' && typeof sum.succeeded === 'number') return clip(`${sum.succeeded}/${sum.tasks} tasks succeeded, mean normalized ${Number(sum.meanNormalizedScore).toFixed(3)}`, maxLen);
  const fit = r.fit as { n?: unknown; fits?: Record<string, { logistic?: { r2?: number | null } }>; raw?: string } | undefined;
  if (fit && typeof fit.n === 'number') {
    const r2 = (c: string) => { const v = fit.fits?.[c]?.logistic?.r2; return typeof v === 'number' ? v.toFixed(3) : '-'; };
    return clip(`${fit.n} runs: R2 EFC/D ${r2('efcPerDemand')} vs ${fit.raw ?? 'raw'} ${r2(fit.raw ?? '')}`, maxLen);
  }
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
