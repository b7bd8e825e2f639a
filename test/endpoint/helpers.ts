/** Tiny loopback HTTP servers for endpoint tests (independent of src/sim). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServer {
  url: string;
  port: number;
  requests: { path: string; headers: IncomingMessage['headers']; body: any }[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: any) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body: any = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        /* keep raw */
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

export const ev = (obj: unknown, eol = '\n'): string => `data: ${JSON.stringify(obj)}${eol}${eol}`;
export const chatDelta = (delta: Record<string, unknown>, finish: string | null = null) =>
  ev({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
export const tok = (content: string) => chatDelta({ content });
export const usageEv = (prompt: number, completion: number, cached?: number) =>
  ev({
    id: 'c1',
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
    },
  });
export const DONE = 'data: [DONE]\n\n';

/** A well-formed chat stream of `n` one-token chunks, each its own write, `gapMs` apart. */
export async function streamTokens(res: ServerResponse, n: number, gapMs = 0, usage = true): Promise<void> {
  sseHead(res);
  for (let i = 0; i < n; i++) {
    res.write(i === n - 1 ? chatDelta({ content: `t${i}` }, 'stop') : tok(`t${i}`));
    if (gapMs) await sleep(gapMs);
  }
  if (usage) res.write(usageEv(10, n));
  res.end(DONE);
}

/** JSON.stringify that survives bigint. */
export const dump = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
