// Ground-truth SSE server for the client-overhead bench. Runs in its own process (spawned by
// run.mjs). Minimal hand-written HTTP/1.1 over node:net so the server spends as little CPU as
// possible per token. Every token event carries the server's own send time
// (process.hrtime.bigint(), taken just before the socket write) as its content: `<ns>;`.
// On Linux hrtime is CLOCK_MONOTONIC, shared by all processes of the machine, so the client can
// subtract it from its arrival stamps (run.mjs verifies this at start-up).
// Env: INTERVAL_MS (default 20) gap between tokens; first token after one interval.
import net from 'node:net';

const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 20);
const HEAD =
  'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n' +
  'connection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n';

const chunk = (s) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

function stream(sock, maxTokens) {
  sock.write(HEAD);
  const t0 = performance.now();
  let i = 0;
  const tick = () => {
    if (sock.destroyed) return;
    const last = i === maxTokens - 1;
    const t = process.hrtime.bigint();
    sock.write(
      chunk(
        `data: {"id":"b","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${t};"},"finish_reason":${last ? '"stop"' : 'null'}}]}\n\n`,
      ),
    );
    i++;
    if (!last) {
      // Keep a fixed schedule (no drift); the true gap is whatever the stamps say.
      setTimeout(tick, Math.max(0, t0 + (i + 1) * INTERVAL_MS - performance.now()));
    } else {
      sock.write(
        chunk(`data: {"id":"b","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":${maxTokens},"total_tokens":${maxTokens + 4}}}\n\ndata: [DONE]\n\n`) +
          '0\r\n\r\n',
      );
      sock.busy = false;
      drain(sock);
    }
  };
  setTimeout(tick, INTERVAL_MS);
}

// Parse keep-alive requests: head up to \r\n\r\n, then content-length bytes of JSON body.
function drain(sock) {
  while (!sock.busy) {
    const buf = sock.buf;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const m = /content-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (buf.length < end + 4 + len) return;
    const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    sock.buf = buf.subarray(end + 4 + len);
    let maxTokens = 32;
    try {
      maxTokens = JSON.parse(body).max_tokens ?? 32;
    } catch {}
    sock.busy = true;
    stream(sock, maxTokens);
  }
}

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.buf = Buffer.alloc(0);
  sock.busy = false;
  sock.on('data', (d) => {
    sock.buf = sock.buf.length ? Buffer.concat([sock.buf, d]) : d;
    drain(sock);
  });
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port, pid: process.pid, hrtimeNs: process.hrtime.bigint().toString() });
});
// Never outlive the bench that spawned us.
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (m === 'stop') server.close(() => process.exit(0));
});
