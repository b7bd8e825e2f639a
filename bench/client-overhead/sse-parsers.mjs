// Micro-benchmark: SSE decoding cost per event, eventsource-parser (+ streaming TextDecoder, what
// src/endpoint/sse.ts uses) against a minimal hand-written byte/line scanner. Same input for both:
// realistic chat-completion chunk events, (a) one event per body chunk (the common case) and
// (b) 16 events per body chunk (a client that fell behind), (c) events split at random byte offsets.
//   node bench/client-overhead/sse-parsers.mjs
import { createParser } from 'eventsource-parser';

const EVENT = (i) =>
  `data: {"id":"chatcmpl-8f1e","object":"chat.completion.chunk","created":1763900000,"model":"m","choices":[{"index":0,"delta":{"content":"tok${i} "},"logprobs":null,"finish_reason":null}]}\n\n`;
const N = 200_000;

function makeInputs() {
  const events = Array.from({ length: N }, (_, i) => Buffer.from(EVENT(i)));
  const grouped = [];
  for (let i = 0; i < N; i += 16) grouped.push(Buffer.concat(events.slice(i, i + 16)));
  const all = Buffer.concat(events);
  const split = [];
  let seed = 7;
  for (let off = 0; off < all.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const len = 20 + (seed % 300);
    split.push(all.subarray(off, off + len));
    off += len;
  }
  return { one: events, sixteen: grouped, split };
}

// --- candidate 1: the library (as in src/endpoint/sse.ts)
function libDecoder(onData) {
  const td = new TextDecoder();
  const p = createParser({ onEvent: (e) => onData(e.data) });
  return (chunk) => p.feed(td.decode(chunk, { stream: true }));
}

// --- candidate 2: minimal scanner on bytes (LF / CRLF only; no CR-only line ends, no id/retry).
function scanDecoder(onData) {
  let rest = null;
  let data = null;
  return (chunk) => {
    let buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && buf[end - 1] === 13) end--;
      if (end === start) {
        if (data !== null) onData(data);
        data = null;
      } else if (buf[start] === 100 /* d */ && buf[start + 4] === 58 /* : */) {
        const s = buf[start + 5] === 32 ? start + 6 : start + 5;
        const line = buf.toString('utf8', s, end);
        data = data === null ? line : `${data}\n${line}`;
      }
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
  };
}

function bench(name, make, chunks, parseJson) {
  let events = 0;
  let sink = 0;
  const onData = parseJson
    ? (d) => {
        events++;
        sink += JSON.parse(d).choices.length;
      }
    : (d) => {
        events++;
        sink += d.length;
      };
  // warm-up pass, then 3 timed passes; best of 3
  let best = Infinity;
  for (let pass = 0; pass < 4; pass++) {
    const feed = make(onData);
    events = 0;
    const t0 = process.hrtime.bigint();
    for (const c of chunks) feed(c);
    const ns = Number(process.hrtime.bigint() - t0);
    if (pass > 0) best = Math.min(best, ns / events);
  }
  if (events !== N) throw new Error(`${name}: ${events} events, expected ${N}`);
  return { best, sink };
}

const inputs = makeInputs();
console.log(`SSE decoding, ns per event (best of 3 passes over ${N} events; node ${process.version})`);
console.log('input               eventsource-parser  hand scanner  ratio   | + JSON.parse: library  scanner');
for (const [label, chunks] of Object.entries({ '1 event/chunk': inputs.one, '16 events/chunk': inputs.sixteen, 'random splits': inputs.split })) {
  const a = bench('lib', libDecoder, chunks, false).best;
  const b = bench('scan', scanDecoder, chunks, false).best;
  const aj = bench('lib', libDecoder, chunks, true).best;
  const bj = bench('scan', scanDecoder, chunks, true).best;
  console.log(`${label.padEnd(18)}  ${a.toFixed(0).padStart(18)}  ${b.toFixed(0).padStart(12)}  ${(a / b).toFixed(2).padStart(5)}x  | ${aj.toFixed(0).padStart(20)}  ${bj.toFixed(0).padStart(7)}`);
}
