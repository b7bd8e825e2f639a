/**
 * Request-body surgery without JSON.parse: the proxy must forward a chat request before it
 * looks at it (bodies of long agent conversations run to hundreds of KB, and parsing them on the
 * critical path costs every stream on the event loop). A top-level key scan jumps over strings
 * with the native indexOf, so it costs per JSON token outside strings, not per byte.
 */

export interface TopLevelScan {
  /** Top-level `"stream": true`. */
  streamTrue: boolean;
  /** A top-level `stream_options` key exists (then the caller takes the slow, parsing path). */
  hasStreamOptions: boolean;
  /** Offset of the opening `{`. */
  openAt: number;
}

const Q = 0x22;
const BS = 0x5c;

/** Index of the quote closing the string opened at `at`, or -1. */
function stringEnd(buf: Buffer, at: number): number {
  let j = buf.indexOf(Q, at + 1);
  while (j !== -1) {
    let k = j - 1;
    while (buf[k] === BS) k--;
    if ((j - 1 - k) % 2 === 0) return j; // an even run of backslashes: the quote is real
    j = buf.indexOf(Q, j + 1);
  }
  return -1;
}

const isWs = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * Scan a JSON object's top-level keys for `stream` and `stream_options`. Returns undefined when
 * the body is not a well-nested JSON object (the caller then passes it through untouched).
 */
export function scanTopLevel(buf: Buffer): TopLevelScan | undefined {
  let i = 0;
  while (isWs(buf[i])) i++;
  if (buf[i] !== 0x7b) return undefined;
  const openAt = i;
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  let streamTrue = false;
  let hasStreamOptions = false;
  for (; i < buf.length; i++) {
    const b = buf[i];
    if (b === Q) {
      const j = stringEnd(buf, i);
      if (j === -1) return undefined;
      if (depth === 1 && expectKey) {
        key = buf.toString('latin1', i + 1, j);
        expectKey = false;
        if (key === 'stream_options') hasStreamOptions = true;
      } else key = undefined;
      i = j;
    } else if (b === 0x7b || b === 0x5b) {
      depth++;
      if (depth === 1) expectKey = true;
      key = undefined;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth === 0) return { streamTrue, hasStreamOptions, openAt };
      if (depth < 0) return undefined;
    } else if (b === 0x2c) {
      if (depth === 1) expectKey = true;
      key = undefined;
    } else if (b === 0x3a) {
      if (depth === 1 && key === 'stream') {
        let v = i + 1;
        while (isWs(buf[v])) v++;
        streamTrue = buf.toString('latin1', v, v + 4) === 'true';
      }
    }
  }
  return undefined;
}

const INJECT = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * The body to forward for a chat request: streaming requests that did not ask for usage get
 * `stream_options.include_usage` (spliced in as bytes; parsed and re-serialized only when the
 * request already has a `stream_options` object). `injected` says the usage chunk must be
 * taken out of the stream the client sees.
 */
export function withUsageRequested(raw: Buffer): { payload: Buffer; injected: boolean } {
  const scan = scanTopLevel(raw);
  if (!scan || !scan.streamTrue) return { payload: raw, injected: false };
  if (!scan.hasStreamOptions) {
    return { payload: Buffer.concat([raw.subarray(0, scan.openAt + 1), INJECT, raw.subarray(scan.openAt + 1)]), injected: true };
  }
  try {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const so = (body.stream_options ?? {}) as Record<string, unknown>;
    if (so.include_usage === true) return { payload: raw, injected: false };
    return { payload: Buffer.from(JSON.stringify({ ...body, stream_options: { ...so, include_usage: true } })), injected: true };
  } catch {
    return { payload: raw, injected: false };
  }
}
