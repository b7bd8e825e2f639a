// Ground truth for the timing canary: the client's real read lag on the load's own tokens, from the
// paced server's write log (its clock) and the client's stored request rows (its clock).
//
// Clock method (nothing assumes the two processes share a clock): the offset theta = client clock -
// server clock is bracketed by the requests themselves, as NTP does with its exchanges.
//   request: the server saw the body after the client sent it -> recvNs + theta >= tSendNs
//            -> theta >= tSendNs - recvNs                 (lower bound, best from quiet moments)
//   token:   the client read it after the server wrote it  -> tFirstNs >= firstNs + theta
//            -> theta <= tFirstNs - firstNs               (upper bound, likewise)
// theta = the middle of [max lower, min upper]; its error is at most half that bracket, printed.
// On Linux process.hrtime is CLOCK_MONOTONIC for every process, so theta comes out ~0: a check on
// the method, not an assumption of it.
// True lag of a token = client arrival - theta - server write, for the first and last token of every
// request whose arrival fell in the level's window.

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = (p / 100) * (s.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return s[lo] + (s[hi] - s[lo]) * (idx - lo);
}

/**
 * @param serverLog lines {id, recvNs, firstNs, lastNs} (strings of ns)
 * @param requests stored rows {requestId, tSendNs, tFirstNs, tLastNs} (strings of ns or null)
 * @param window {startNs, endNs} (client clock, strings)
 */
export function compareTiming(serverLog, requests, window) {
  const byId = new Map(serverLog.map((l) => [l.id, l]));
  let lower = null;
  let upper = null;
  const pairs = [];
  for (const r of requests) {
    const s = byId.get(r.requestId);
    if (!s || r.tFirstNs == null || r.tLastNs == null || r.tSendNs == null) continue;
    const p = { sendNs: BigInt(r.tSendNs), firstNs: BigInt(r.tFirstNs), lastNs: BigInt(r.tLastNs), sRecvNs: BigInt(s.recvNs), sFirstNs: BigInt(s.firstNs), sLastNs: BigInt(s.lastNs) };
    pairs.push(p);
    const lo = p.sendNs - p.sRecvNs;
    const hi = p.firstNs - p.sFirstNs;
    if (lower === null || lo > lower) lower = lo;
    if (upper === null || hi < upper) upper = hi;
  }
  if (pairs.length === 0) throw new Error('no request of the client matched the server log (request ids)');
  if (upper < lower) throw new Error(`clock bounds inconsistent: theta >= ${lower} ns but <= ${upper} ns (clocks drifted?)`);
  const theta = (lower + upper) / 2n;
  const ws = BigInt(window.startNs);
  const we = BigInt(window.endNs);
  const lags = [];
  for (const p of pairs) {
    if (p.firstNs >= ws && p.firstNs < we) lags.push(Number(p.firstNs - theta - p.sFirstNs) / 1e6);
    if (p.lastNs >= ws && p.lastNs < we && p.lastNs !== p.firstNs) lags.push(Number(p.lastNs - theta - p.sLastNs) / 1e6);
  }
  let max = Number.NaN;
  for (const v of lags) if (!(v <= max)) max = v;
  return {
    clock: { thetaMs: Number(theta) / 1e6, uncertaintyMs: Number(upper - lower) / 2e6, requestsMatched: pairs.length },
    truth: { samples: lags.length, p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: max },
  };
}

/**
 * Within a factor of 2, with an absolute slack for sub-millisecond lags (where the ratio of two
 * tiny numbers says nothing): |a - b| <= slackMs also counts as agreeing.
 */
export function withinFactor2(a, b, slackMs) {
  if (!(a >= 0) || !(b >= 0)) return false;
  if (Math.abs(a - b) <= slackMs) return true;
  return a <= 2 * b && b <= 2 * a;
}
