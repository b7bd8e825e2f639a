/** HTTP GET with a timeout (undici). Never logs headers: they may carry BMC credentials. */
import { request, Agent } from 'undici';

export interface GetOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Accept self-signed TLS (BMCs): only with an explicit user option. */
  insecureTls?: boolean;
}

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

export async function httpGetText(url: string, opts: GetOptions = {}): Promise<string> {
  const t = opts.timeoutMs ?? 5000;
  const res = await request(url, {
    method: 'GET',
    headers: opts.headers,
    headersTimeout: t,
    bodyTimeout: t,
    dispatcher: opts.insecureTls ? insecureAgent : undefined,
  });
  const body = await res.body.text();
  if (res.statusCode >= 400) throw new Error(`GET ${url} answered HTTP ${res.statusCode}`);
  return body;
}
