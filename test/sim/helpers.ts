import { request } from 'node:http';
import { resolve } from 'node:path';
import { validateProfile, type SimProfile } from '../../src/sim/index.js';
import { loadTrajectories, type Trajectory } from '../../src/trajectory/index.js';

/** The bundled synthetic-v1 set (what `sim plan` and `npm start` use by default). */
export const bundledTrajectories = (): Trajectory[] => loadTrajectories([resolve(__dirname, '../../trajectories/synthetic-v1.jsonl')]).map((l) => l.trajectory);

/** The default SLO tiers: 20 and 60 tok/s, TTFT <= 10 s. */
export const DEFAULT_TIERS = [
  { sloTokPerS: 20, ttftCeilingMs: 10_000 },
  { sloTokPerS: 60, ttftCeilingMs: 10_000 },
];

/** A fast profile for HTTP tests: ~1 ms steps, so streams finish quickly. */
export function fastProfile(over: Partial<{ numBlocks: number; blockSize: number; maxModelLen: number }> = {}): SimProfile {
  return validateProfile(
    {
      name: 'test-fast',
      illustrative: true,
      source: 'hand-written for tests',
      served_model_name: 'sim-test',
      max_model_len: over.maxModelLen ?? 4096,
      step_time_ms: { a: 1, b: 0.01, c: 0, d: 0.001 },
      scheduler: { max_num_seqs: 64, max_num_batched_tokens: 1024 },
      kv_cache: { block_size: over.blockSize ?? 4, num_blocks: over.numBlocks ?? 10000 },
      power: { idle_w: 50, max_w: 250 },
      generation: { eos_mean_tokens: 20 },
    },
    'test/sim/helpers.ts',
  );
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error?: NodeJS.ErrnoException;
}

/** POST JSON and read the whole raw response body (SSE framing left as sent). */
export function rawPost(url: string, path: string, body: unknown): Promise<RawResponse> {
  return new Promise((resolve) => {
    let text = '';
    let status = 0;
    let headers: RawResponse['headers'] = {};
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, error: e }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, error: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status, headers, body: text, error: e }));
    req.end(JSON.stringify(body));
  });
}

export async function getText(url: string): Promise<string> {
  const r = await fetch(url);
  return r.text();
}

/** Parse `data:` payloads of an SSE body (either framing), for assertions. */
export function dataLines(body: string): string[] {
  return body
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''));
}

export function chatBody(words: number, maxTokens: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'anything',
    messages: [{ role: 'user', content: Array.from({ length: words }, (_, i) => `w${i}`).join(' ') }],
    max_tokens: maxTokens,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
}

export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
