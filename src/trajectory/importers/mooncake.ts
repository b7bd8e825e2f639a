/**
 * Mooncake traces (`kvcache-ai/Mooncake:FAST25-release/traces/*.jsonl`): one request per line with
 * `timestamp` (ms), `input_length`, `output_length`, `hash_ids` of 512-token blocks. Requests that
 * carry a session id are one conversation; otherwise a request continues the conversation whose
 * last request's blocks it extends (prefix chaining), or starts its own.
 */
import { basename } from 'node:path';
import { TRAJECTORY_FORMAT, type Trajectory } from '../types.js';
import { arr, buildAgent, EntryError, int, knownKeys, num, type CallRecord } from './common.js';
import { readJsonl } from './common.js';
import type { Importer } from './types.js';

export const MOONCAKE_BLOCK_SIZE = 512;
const KEYS = ['timestamp', 'input_length', 'output_length', 'hash_ids', 'session_id', 'chat_id', 'conversation_id'];

interface Req {
  line: number;
  ts: number;
  input: number;
  output: number;
  hashes: number[];
  session?: string;
}

export const mooncakeImporter: Importer = {
  format: 'mooncake',
  description: 'Mooncake request traces (timestamp, input/output length, 512-token hash_ids, optional session ids)',
  entry: 'line',
  noContentReason: 'Mooncake traces record only lengths, arrival times and block hash ids, never text; replay synthesizes the text of each block from its hash id',
  import(ctx) {
    const reqs: Req[] = [];
    for (const { line, value: v } of readJsonl(ctx.file, ctx.text, ctx.problems)) {
      try {
        if (v.input_length === undefined && v.hash_ids === undefined) throw new EntryError(line, '$.input_length', 'missing: this is not a Mooncake trace line');
        knownKeys(v, KEYS, line, '$', 'Mooncake trace');
        const s = v.session_id ?? v.chat_id ?? v.conversation_id;
        reqs.push({
          line,
          ts: num(v.timestamp, line, '$.timestamp'),
          input: int(v.input_length, line, '$.input_length'),
          output: int(v.output_length, line, '$.output_length'),
          hashes: arr(v.hash_ids ?? [], line, '$.hash_ids').map((h, k) => int(h, line, `$.hash_ids[${k}]`)),
          session: s === undefined || s === null ? undefined : String(s),
        });
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        ctx.problems.push({ file: ctx.file, line: e.line, field: e.field, message: e.message });
      }
    }
    const convs: Req[][] = [];
    const bySession = new Map<string, Req[]>();
    for (const r of reqs) {
      if (r.session !== undefined) {
        let c = bySession.get(r.session);
        if (!c) bySession.set(r.session, (c = [])), convs.push(c);
        c.push(r);
        continue;
      }
      // Prefix chaining: extends every block of some conversation's latest request.
      let best: Req[] | undefined;
      for (const c of convs) {
        const last = c[c.length - 1];
        if (last.session !== undefined || last.hashes.length < 2 || last.hashes.length >= r.hashes.length) continue;
        if (last.hashes.every((h, i) => r.hashes[i] === h) && (!best || last.hashes.length > best[best.length - 1].hashes.length)) best = c;
      }
      if (best) best.push(r);
      else convs.push([r]);
    }
    const name = basename(ctx.file).replace(/\.jsonl?$/, '');
    const chained = convs.filter((c) => c.length > 1).length;
    if (chained) ctx.leftOut.push({ what: `model time inside ${chained} chained conversation${chained === 1 ? '' : 's'}`, why: 'only arrivals are recorded: closed-loop think waits are arrival gaps (model time included); open-loop replay uses the arrivals themselves' });
    return convs.map((c): Trajectory => {
      // Arrival times are recorded (each call's offset_ms, the trajectory's arrival); model and tool
      // time are not, so the gap between chained requests is a think wait that includes model time.
      const calls: CallRecord[] = c.map((r, i) => ({
        inputTokens: r.input,
        outputTokens: r.output,
        hashIds: r.hashes,
        blockSize: MOONCAKE_BLOCK_SIZE,
        offsetMs: r.ts - c[0].ts,
        thinkAfterMs: c[i + 1] ? Math.max(0, c[i + 1].ts - r.ts) : undefined,
      }));
      const t: Trajectory = {
        format: TRAJECTORY_FORMAT,
        id: `${name}-${c[0].session ?? `L${c[0].line}`}`,
        source: { kind: 'mooncake', license: 'Apache-2.0', url: 'https://github.com/kvcache-ai/Mooncake/tree/main/FAST25-release', ...(c.length > 1 ? { estimated: ['think_times (arrival gaps, model time included)'] } : {}) },
        agents: [buildAgent('main', null, 0, calls).agent],
      };
      // Mooncake timestamps are already offsets from the trace start (ms).
      t.arrival_ms = c[0].ts;
      return t;
    });
  },
};
