/**
 * The proxy's wire to its upstream: checking `--upstream`, choosing which credentials travel (the
 * proxy's own key, the upstream URL's user:password, else the client's own Authorization), and
 * relaying a response with every echo of the proxy's credentials masked, streams included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { AgentdynoError, StreamScrubber, displayUrl, formsOf, registerSecret } from '../core/index.js';

export interface Upstream {
  /** scheme://host[:port][/prefix], no credentials, no trailing /v1. */
  base: string;
  /** For printing: credentials masked. */
  display: string;
  /** `Authorization` value built from URL credentials (`http://user:key@host`), if any. */
  basicAuth?: string;
}

/** Parses and checks `--upstream` (E_USAGE when it is not an http(s) URL). */
export function parseUpstream(raw: string): Upstream {
  const display = displayUrl(raw);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AgentdynoError(`"${display}" is not a URL.`, { code: 'E_USAGE', where: '--upstream', hint: 'Give the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000 or https://api.example.com/v1.' });
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
    throw new AgentdynoError(`"${display}" must be an http:// or https:// URL with a host.`, { code: 'E_USAGE', where: '--upstream', hint: 'e.g. http://127.0.0.1:8000' });
  }
  let basicAuth: string | undefined;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username), pass = decodeURIComponent(u.password);
    registerSecret(pass || user);
    basicAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  const creds = u.username || u.password ? `${u.username}:${u.password}@` : '';
  return { base: `${u.protocol}//${u.host}${path}`, display: displayUrl(`${u.protocol}//${creds}${u.host}${path}`), basicAuth };
}

const HOP = new Set(['host', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'accept-encoding', 'expect']);
const AUTH = new Set(['authorization', 'x-api-key', 'api-key']);

/**
 * Headers for the upstream: the client's own, less hop-by-hop and agentdyno headers. With a proxy
 * key (or URL credentials) the client's credentials are replaced; without, the client's own
 * Authorization / x-api-key travel unchanged.
 */
export function upstreamHeaders(req: IncomingMessage, creds: { apiKey?: string; basicAuth?: string }, anthropicStyle: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const own = creds.apiKey !== undefined || creds.basicAuth !== undefined;
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP.has(k) || k.startsWith('x-agentdyno-') || (own && AUTH.has(k))) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  // We read (and scrub) the body, so it must come uncompressed.
  out['accept-encoding'] = 'identity';
  if (creds.apiKey !== undefined) {
    if (anthropicStyle || req.headers['x-api-key'] !== undefined) out['x-api-key'] = creds.apiKey;
    else if (req.headers['api-key'] !== undefined) out['api-key'] = creds.apiKey;
    else out.authorization = `Bearer ${creds.apiKey}`;
  } else if (creds.basicAuth) out.authorization = creds.basicAuth;
  return out;
}

/** Literal forms of the proxy's own credentials, as an upstream may echo them. */
export function credentialForms(creds: { apiKey?: string; basicAuth?: string }): string[] {
  const all = new Set<string>();
  if (creds.apiKey) for (const f of formsOf(creds.apiKey)) all.add(f);
  if (creds.basicAuth) {
    const b64 = creds.basicAuth.slice('Basic '.length);
    for (const f of formsOf(b64)) all.add(f);
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const pass = decoded.slice(decoded.indexOf(':') + 1);
    for (const f of formsOf(pass || decoded)) all.add(f);
  }
  return [...all].sort((a, b) => b.length - a.length);
}

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer | Uint8Array>;
}

function decoded(up: UpstreamResponse): AsyncIterable<Buffer | Uint8Array> {
  const enc = String(up.headers['content-encoding'] ?? '').toLowerCase();
  const z = enc === 'gzip' || enc === 'x-gzip' ? createGunzip() : enc === 'deflate' ? createInflate() : enc === 'br' ? createBrotliDecompress() : null;
  if (!z) return up.body;
  void (async () => {
    try {
      for await (const c of up.body) z.write(c);
      z.end();
    } catch (e) {
      z.destroy(e as Error);
    }
  })();
  return z;
}

/**
 * Relays `up` to `res`: headers (scrubbed, less hop-by-hop and length/encoding, which change) plus
 * `extraHeaders`, then the body through `onText` (raw text, for usage) and a scrubber.
 * Non-streamed bodies are buffered so they go out with a length. Throws when the upstream breaks.
 */
export async function relay(
  up: UpstreamResponse, res: ServerResponse, literals: readonly string[],
  opts: { extraHeaders?: Record<string, string>; onText?: (text: string) => void } = {},
): Promise<void> {
  const scrub = new StreamScrubber(literals);
  const clean = (s: string) => { const a = scrub.push(s); return a + scrub.end(); };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(up.headers)) {
    if (v === undefined || HOP.has(k) || k === 'content-encoding') continue;
    headers[k] = Array.isArray(v) ? v.map(clean) : clean(String(v));
  }
  Object.assign(headers, opts.extraHeaders ?? {});
  const streaming = String(up.headers['content-type'] ?? '').includes('text/event-stream');
  const dec = new StringDecoder('utf8');
  if (!streaming) {
    let text = '';
    for await (const c of decoded(up)) text += dec.write(Buffer.from(c));
    text += dec.end();
    opts.onText?.(text);
    const out = clean(text);
    headers['content-length'] = String(Buffer.byteLength(out));
    res.writeHead(up.statusCode, headers);
    res.end(out);
    return;
  }
  res.writeHead(up.statusCode, headers);
  res.flushHeaders();
  for await (const c of decoded(up)) {
    const text = dec.write(Buffer.from(c));
    opts.onText?.(text);
    const out = scrub.push(text);
    if (out) res.write(out);
  }
  const last = dec.end();
  opts.onText?.(last);
  res.end(scrub.push(last) + scrub.end());
}
